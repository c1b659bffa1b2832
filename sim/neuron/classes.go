package neuron

import (
	"fmt"
	"math/rand"
	"slices"
)

// ModelVersion changes whenever RandomCell or Simulate give different results for the same
// inputs (new parameters, morphologies or numerics); caches of simulated cells key on it.
const ModelVersion = 5

// Cell class names accepted by RandomCell.
const (
	PyramidalLarge = "pyramidal-large"
	PyramidalSmall = "pyramidal-small"
	FSInterneuron  = "fs-interneuron"
	RSInterneuron  = "rs-interneuron"
)

// classSpec builds a random morphology and biophysics for one class.
type classSpec func(rng *rand.Rand) (*Morphology, Biophysics)

var classes = map[string]classSpec{
	PyramidalLarge: pyramidalLarge,
	PyramidalSmall: pyramidalSmall,
	FSInterneuron:  fsInterneuron,
	RSInterneuron:  rsInterneuron,
}

// Classes returns the names of the built-in cell classes, sorted. It allocates.
func Classes() []string {
	names := make([]string, 0, len(classes))
	for n := range classes {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// RandomCell draws a cell of the named class: a procedural morphology and channel
// densities randomised with rng. The same rng state gives the same cell. Errors wrap
// ErrUnknownClass.
func RandomCell(class string, rng *rand.Rand) (*Cell, error) {
	spec, ok := classes[class]
	if !ok {
		return nil, fmt.Errorf("random cell: %w: %q (have %v)", ErrUnknownClass, class, Classes())
	}
	m, bio := spec(rng)
	return NewCell(class, m, bio)
}

// RandomBiophysics draws the channel densities of the named class, for use with a
// user-supplied morphology (ReadSWC then NewCell). Errors wrap ErrUnknownClass.
func RandomBiophysics(class string, rng *rand.Rand) (Biophysics, error) {
	spec, ok := classes[class]
	if !ok {
		return Biophysics{}, fmt.Errorf("random biophysics: %w: %q", ErrUnknownClass, class)
	}
	_, bio := spec(rng)
	return bio, nil
}

// pyramidalBio returns pyramidal-cell channel densities: sodium concentrated in the AIS,
// weakly active dendrites, spiny (higher capacitance) dendrites.
func pyramidalBio(rng *rand.Rand) Biophysics {
	u := func(lo, hi float64) float64 { return uniform(rng, lo, hi) }
	gl := u(0.03, 0.05)
	somaNa := u(70, 110)
	return Biophysics{
		ByKind: map[SegKind]Density{
			Soma:   {somaNa, u(15, 25), gl, 1},
			AIS:    {somaNa * u(6, 10), u(80, 120), gl, 1},
			Axon:   {u(60, 100), u(20, 40), gl, 1},
			Basal:  {u(0.5, 1.5), u(2, 4), gl, u(1.5, 2)},
			Apical: {u(0.5, 1.5), u(2, 4), gl, u(1.5, 2)},
		},
		RaOhmCm: u(100, 150), VRestMV: u(-70, -65), VTMV: u(-60, -56),
		QNa: u(1, 1.3), QK: u(1, 1.5), ENaMV: 50, EKMV: -90,
	}
}

// interneuronBio returns aspiny interneuron densities; qNa and qK set the speed of the
// gates (fast-spiking cells need both fast), gNaScale and gKScale the channel densities.
func interneuronBio(rng *rand.Rand, qNa, qK, gNaScale, gKScale float64) Biophysics {
	u := func(lo, hi float64) float64 { return uniform(rng, lo, hi) }
	gl := u(0.05, 0.1)
	somaNa := gNaScale * u(60, 100)
	return Biophysics{
		ByKind: map[SegKind]Density{
			Soma:   {somaNa, gKScale * u(20, 30), gl, 1},
			AIS:    {somaNa * u(5, 8), gKScale * u(80, 120), gl, 1},
			Axon:   {u(60, 100), gKScale * u(20, 40), gl, 1},
			Basal:  {u(0.5, 1.5), u(2, 4), gl, 1},
			Apical: {u(0.5, 1.5), u(2, 4), gl, 1},
		},
		RaOhmCm: u(100, 150), VRestMV: u(-70, -65), VTMV: u(-60, -56),
		QNa: qNa * u(1, 1.2), QK: qK * u(1, 1.2), ENaMV: 50, EKMV: -90,
	}
}

func pyramidalLarge(rng *rand.Rand) (*Morphology, Biophysics) {
	g := &grower{m: &Morphology{}, rng: rng}
	g.addSoma(uniform(rng, 20, 26))
	g.apical(uniform(rng, 700, 1000), uniform(rng, 4, 5.5), 6+rng.Intn(5), 3+rng.Intn(3))
	g.basals(5+rng.Intn(4), uniform(rng, 150, 250), uniform(rng, 1.6, 2.2))
	g.axon(uniform(rng, 1.2, 1.6), 400)
	return g.m, pyramidalBio(rng)
}

func pyramidalSmall(rng *rand.Rand) (*Morphology, Biophysics) {
	g := &grower{m: &Morphology{}, rng: rng}
	g.addSoma(uniform(rng, 14, 18))
	g.apical(uniform(rng, 300, 450), uniform(rng, 2.5, 3.5), 3+rng.Intn(4), 2+rng.Intn(2))
	g.basals(4+rng.Intn(3), uniform(rng, 100, 180), uniform(rng, 1.2, 1.6))
	g.axon(uniform(rng, 1, 1.3), 300)
	return g.m, pyramidalBio(rng)
}

func fsInterneuron(rng *rand.Rand) (*Morphology, Biophysics) {
	g := &grower{m: &Morphology{}, rng: rng}
	g.addSoma(uniform(rng, 14, 19))
	g.stellate(5+rng.Intn(4), uniform(rng, 120, 220), uniform(rng, 1.2, 1.8))
	g.axon(uniform(rng, 0.9, 1.2), 250)
	return g.m, interneuronBio(rng, 2.5, 4.5, 2, 2)
}

func rsInterneuron(rng *rand.Rand) (*Morphology, Biophysics) {
	g := &grower{m: &Morphology{}, rng: rng}
	g.addSoma(uniform(rng, 12, 16))
	g.bipolar(uniform(rng, 200, 350), uniform(rng, 2.2, 3), 2+rng.Intn(3))
	g.axon(uniform(rng, 0.8, 1.1), 250)
	return g.m, interneuronBio(rng, 1.4, 1.5, 1.3, 1.2)
}

// apical grows a trunk along +y with oblique side branches and a terminal tuft.
func (g *grower) apical(lengthUm, diamUm float64, obliques, tuft int) {
	up := g.randomUnitBiased(1, 8)
	trunk := branchSpec{kind: Apical, lengthUm: lengthUm, diamStartUm: diamUm,
		diamEndUm: max(1, diamUm*0.3), stepUm: 15, wiggle: 0.05, pull: [3]float64{0, 1, 0},
		pullWeight: 0.2}
	last := g.grow(0, g.surface(up), up, trunk)
	g.obliques(obliques, lengthUm)
	tip := g.m.Segments[last].End
	for range tuft {
		dir := g.randomUnitBiased(1, 1.5)
		g.grow(last, tip, dir, branchSpec{kind: Apical, lengthUm: uniform(g.rng, 150, 250),
			diamStartUm: 1.2, diamEndUm: 0.6, stepUm: 15, wiggle: 0.2, pull: dir,
			pullWeight: 0.3, branchPerUm: 0.005, childLenFrac: 0.6, depth: 1})
	}
}

// obliques attaches side branches to random apical trunk segments within its lower 70%.
func (g *grower) obliques(count int, trunkUm float64) {
	var trunk []int
	for i, s := range g.m.Segments {
		if s.Kind == Apical && s.End[1] < 0.7*trunkUm {
			trunk = append(trunk, i)
		}
	}
	for range count {
		if len(trunk) == 0 {
			return
		}
		at := trunk[g.rng.Intn(len(trunk))]
		dir := g.randomUnitBiased(0.5, 0.5)
		g.grow(at, g.m.Segments[at].End, dir, branchSpec{kind: Apical,
			lengthUm: uniform(g.rng, 100, 250), diamStartUm: uniform(g.rng, 0.9, 1.5),
			diamEndUm: 0.5, stepUm: 15, wiggle: 0.25, pull: dir, pullWeight: 0.3,
			branchPerUm: 0.004, childLenFrac: 0.6, depth: 1})
	}
}

// basals grows dendrites from the lower half of the soma, radiating outward and down.
func (g *grower) basals(count int, lengthUm, diamUm float64) {
	for range count {
		dir := g.randomUnitBiased(-1, 0.6)
		g.grow(0, g.surface(dir), dir, branchSpec{kind: Basal,
			lengthUm: lengthUm * uniform(g.rng, 0.7, 1.3), diamStartUm: diamUm,
			diamEndUm: 0.5, stepUm: 12, wiggle: 0.25, pull: dir, pullWeight: 0.3,
			branchPerUm: 0.012, childLenFrac: 0.7, depth: 2})
	}
}

// stellate grows compact aspiny dendrites in all directions.
func (g *grower) stellate(count int, lengthUm, diamUm float64) {
	for range count {
		dir := g.randomUnit()
		g.grow(0, g.surface(dir), dir, branchSpec{kind: Basal,
			lengthUm: lengthUm * uniform(g.rng, 0.7, 1.3), diamStartUm: diamUm,
			diamEndUm: 0.5, stepUm: 12, wiggle: 0.3, pull: dir, pullWeight: 0.2,
			branchPerUm: 0.01, childLenFrac: 0.6, depth: 2})
	}
}

// bipolar grows two long dendrites roughly along +-y and a few short ones.
func (g *grower) bipolar(lengthUm, diamUm float64, extra int) {
	for _, sign := range []float64{1, -1} {
		dir := g.randomUnitBiased(sign, 4)
		g.grow(0, g.surface(dir), dir, branchSpec{kind: Basal,
			lengthUm: lengthUm * uniform(g.rng, 0.8, 1.2), diamStartUm: diamUm,
			diamEndUm: 0.5, stepUm: 15, wiggle: 0.15, pull: dir, pullWeight: 0.3,
			branchPerUm: 0.006, childLenFrac: 0.5, depth: 1})
	}
	g.stellate(extra, lengthUm*0.4, diamUm*0.6)
}

// axon grows an initial segment and a thinner axon downward from the soma.
func (g *grower) axon(diamUm, lengthUm float64) {
	dir := g.randomUnitBiased(-1, 6)
	ais := branchSpec{kind: AIS, lengthUm: uniform(g.rng, 25, 50), diamStartUm: diamUm,
		diamEndUm: diamUm * 0.8, stepUm: 10, wiggle: 0.05, pull: dir, pullWeight: 0.3}
	last := g.grow(0, g.surface(dir), dir, ais)
	rest := branchSpec{kind: Axon, lengthUm: lengthUm, diamStartUm: diamUm * 0.8,
		diamEndUm: diamUm * 0.6, stepUm: 20, wiggle: 0.1, pull: dir, pullWeight: 0.3}
	g.grow(last, g.m.Segments[last].End, dir, rest)
}
