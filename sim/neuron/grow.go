package neuron

import (
	"math"
	"math/rand"
)

// branchSpec describes one procedurally grown dendrite or axon.
type branchSpec struct {
	kind         SegKind
	lengthUm     float64
	diamStartUm  float64
	diamEndUm    float64
	stepUm       float64
	wiggle       float64 // random change of direction per step (radians, roughly)
	pull         [3]float64
	pullWeight   float64 // how strongly the branch keeps to pull each step
	branchPerUm  float64 // probability of a side branch per um of length
	childLenFrac float64 // side branch length as a fraction of what remains
	depth        int     // side branches may branch again while depth > 0
}

// grower appends segments to a morphology in depth-first order, which keeps every parent
// before its children.
type grower struct {
	m   *Morphology
	rng *rand.Rand
}

// grow adds a branch starting at start in direction dir, attached to parent, and returns
// the index of its last segment.
func (g *grower) grow(parent int, start, dir [3]float64, b branchSpec) int {
	steps := max(1, int(math.Round(b.lengthUm/b.stepUm)))
	pos, last := start, parent
	for k := range steps {
		dir = g.turn(dir, b)
		end := add(pos, scale(dir, b.stepUm))
		frac := (float64(k) + 0.5) / float64(steps)
		diam := b.diamStartUm + frac*(b.diamEndUm-b.diamStartUm)
		g.m.Segments = append(g.m.Segments,
			Segment{Parent: last, Start: pos, End: end, DiamUm: diam, Kind: b.kind})
		last, pos = len(g.m.Segments)-1, end
		remaining := b.lengthUm * (1 - frac)
		if b.depth > 0 && remaining > 30 && g.rng.Float64() < b.branchPerUm*b.stepUm {
			g.sideBranch(last, pos, dir, remaining, diam, b)
		}
	}
	return last
}

func (g *grower) sideBranch(parent int, pos, dir [3]float64, remainingUm, diamUm float64,
	b branchSpec) {
	child := b
	child.depth--
	child.lengthUm = remainingUm * b.childLenFrac * (0.7 + 0.6*g.rng.Float64())
	child.diamStartUm = max(0.5, 0.7*diamUm)
	child.diamEndUm = min(child.diamStartUm, b.diamEndUm)
	child.pull = dir
	child.pullWeight = b.pullWeight * 0.5
	g.grow(parent, pos, g.deviate(dir, 0.5+0.6*g.rng.Float64()), child)
}

// turn perturbs dir randomly and bends it toward the branch's pull direction.
func (g *grower) turn(dir [3]float64, b branchSpec) [3]float64 {
	jitter := [3]float64{g.rng.NormFloat64(), g.rng.NormFloat64(), g.rng.NormFloat64()}
	d := add(dir, scale(jitter, b.wiggle))
	d = add(d, scale(b.pull, b.pullWeight))
	return unit(d)
}

// deviate returns a unit vector at angle thetaRad from dir, in a random plane.
func (g *grower) deviate(dir [3]float64, thetaRad float64) [3]float64 {
	dir = unit(dir)
	perp := unit(cross(dir, g.randomUnit()))
	return unit(add(scale(dir, math.Cos(thetaRad)), scale(perp, math.Sin(thetaRad))))
}

func (g *grower) randomUnit() [3]float64 {
	for {
		v := [3]float64{g.rng.NormFloat64(), g.rng.NormFloat64(), g.rng.NormFloat64()}
		if n := norm(v); n > 1e-6 {
			return scale(v, 1/n)
		}
	}
}

// randomUnitBiased returns a random unit vector whose y component is pushed toward yBias
// (-1: downward, +1: upward) with the given weight.
func (g *grower) randomUnitBiased(yBias, weight float64) [3]float64 {
	v := g.randomUnit()
	v[1] += yBias * weight
	return unit(v)
}

// addSoma starts a morphology with a soma of diameter diamUm centred at the origin, its
// axis along y.
func (g *grower) addSoma(diamUm float64) {
	h := diamUm / 2
	g.m.Segments = append(g.m.Segments, Segment{Parent: -1, Start: [3]float64{0, -h, 0},
		End: [3]float64{0, h, 0}, DiamUm: diamUm, Kind: Soma})
}

// surface returns the point on the soma surface in direction dir.
func (g *grower) surface(dir [3]float64) [3]float64 {
	return scale(unit(dir), g.m.Segments[0].DiamUm/2)
}

func cross(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

// uniform returns a value drawn uniformly from [lo, hi).
func uniform(rng *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }
