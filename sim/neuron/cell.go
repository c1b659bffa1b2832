package neuron

import (
	"errors"
	"fmt"
	"math"
)

// ErrUnknownClass is returned, wrapped, for a cell class name that Classes does not list.
var ErrUnknownClass = errors.New("unknown cell class")

// ErrBadBiophysics is returned, wrapped with detail, for channel parameters that cannot be
// simulated (negative conductances, non-positive capacitance or resistivity).
var ErrBadBiophysics = errors.New("bad biophysics")

// Density holds the membrane properties of one kind of segment.
type Density struct {
	GNaMSPerCm2   float64 // peak sodium conductance density, mS/cm2
	GKMSPerCm2    float64 // peak delayed-rectifier potassium conductance density, mS/cm2
	GLeakMSPerCm2 float64 // leak conductance density, mS/cm2
	CmUFPerCm2    float64 // specific membrane capacitance, uF/cm2
}

// Biophysics holds the electrical parameters of a cell. ByKind must have an entry for
// every SegKind present in the morphology (AIS included: NewCell creates one).
type Biophysics struct {
	ByKind  map[SegKind]Density
	RaOhmCm float64 // axial resistivity, ohm*cm
	VRestMV float64 // resting potential; leak reversals are set so the cell rests here
	VTMV    float64 // threshold offset of the channel kinetics, mV (about -55 .. -60)
	QNa     float64 // speed factor of the sodium gates (1 = reference kinetics)
	QK      float64 // speed factor of the potassium gate; larger gives narrower spikes
	ENaMV   float64 // sodium reversal potential, mV
	EKMV    float64 // potassium reversal potential, mV
}

func (b *Biophysics) validate() error {
	for k, d := range b.ByKind {
		if d.GNaMSPerCm2 < 0 || d.GKMSPerCm2 < 0 || d.GLeakMSPerCm2 <= 0 || d.CmUFPerCm2 <= 0 {
			return fmt.Errorf("%w: %v densities %+v", ErrBadBiophysics, k, d)
		}
	}
	if !(b.RaOhmCm > 0) || !(b.QNa > 0) || !(b.QK > 0) {
		return fmt.Errorf("%w: Ra %g ohm*cm, QNa %g, QK %g must be positive",
			ErrBadBiophysics, b.RaOhmCm, b.QNa, b.QK)
	}
	return nil
}

// Cell is a morphology with its membrane properties, discretised into compartments of at
// most MaxSegmentUm and ready to simulate. It is immutable once built and safe for
// concurrent use; Simulate allocates its own state. The exported fields describe what was
// built: changing them afterwards does not change the simulation (build a new Cell).
type Cell struct {
	Class      string
	Morphology *Morphology // discretised; Sources segments correspond one to one
	Bio        Biophysics

	parent  []int
	capNF   []float64 // membrane capacitance, nF
	gNaUS   []float64 // peak sodium conductance, uS
	gKUS    []float64 // peak potassium conductance, uS
	gLUS    []float64 // leak conductance, uS
	eLeakMV []float64 // leak reversal chosen so that VRestMV is an equilibrium
	gAxUS   []float64 // axial conductance to the parent compartment, uS (0 for the root)
}

// MaxSegmentUm is the longest compartment NewCell keeps; longer segments are split.
const MaxSegmentUm = 20.0

// aisLengthUm is the length of axon that NewCell marks as initial segment when a
// morphology has an axon but no AIS.
const aisLengthUm = 40.0

// NewCell discretises m (a copy; m is not modified), makes sure it has an axon initial
// segment (marking the first 40 um of axon, or growing a short synthetic axon when m has
// none), and precomputes the compartment conductances. Errors wrap ErrBadMorphology or
// ErrBadBiophysics.
func NewCell(class string, m *Morphology, bio Biophysics) (*Cell, error) {
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("new cell: %w", err)
	}
	if err := bio.validate(); err != nil {
		return nil, fmt.Errorf("new cell: %w", err)
	}
	dm := withAIS(refine(m, MaxSegmentUm))
	for _, s := range dm.Segments {
		if _, ok := bio.ByKind[s.Kind]; !ok {
			return nil, fmt.Errorf("new cell: %w: no densities for %v", ErrBadBiophysics, s.Kind)
		}
	}
	c := &Cell{Class: class, Morphology: dm, Bio: bio}
	c.precompute()
	return c, nil
}

func (c *Cell) precompute() {
	n := len(c.Morphology.Segments)
	c.parent = make([]int, n)
	c.capNF, c.gNaUS, c.gKUS = make([]float64, n), make([]float64, n), make([]float64, n)
	c.gLUS, c.eLeakMV, c.gAxUS = make([]float64, n), make([]float64, n), make([]float64, n)
	rest := steadyGates(c.Bio.VRestMV, c.Bio.VTMV)
	for i, s := range c.Morphology.Segments {
		d := c.Bio.ByKind[s.Kind]
		area := segAreaUm2(s)
		// mS/cm2 * um2 * 1e-8 cm2/um2 * 1e3 uS/mS = 1e-5; same factor for uF/cm2 -> nF.
		c.capNF[i] = d.CmUFPerCm2 * area * 1e-5
		c.gNaUS[i] = d.GNaMSPerCm2 * area * 1e-5
		c.gKUS[i] = d.GKMSPerCm2 * area * 1e-5
		c.gLUS[i] = d.GLeakMSPerCm2 * area * 1e-5
		c.eLeakMV[i] = c.restingLeakReversal(i, rest)
		c.parent[i] = s.Parent
		if s.Parent >= 0 {
			c.gAxUS[i] = c.axialUS(i, s.Parent)
		}
	}
}

// restingLeakReversal returns the leak reversal that cancels the resting Na and K current
// of compartment i.
func (c *Cell) restingLeakReversal(i int, g gates) float64 {
	v := c.Bio.VRestMV
	iNa := c.gNaUS[i] * g.m * g.m * g.m * g.h * (v - c.Bio.ENaMV)
	iK := c.gKUS[i] * g.n * g.n * g.n * g.n * (v - c.Bio.EKMV)
	return v + (iNa+iK)/c.gLUS[i]
}

// axialUS returns the conductance between the centres of compartment i and its parent p;
// the soma is taken as isopotential, so it adds no resistance.
func (c *Cell) axialUS(i, p int) float64 {
	r := halfResistanceMOhm(c.Morphology.Segments[i], c.Bio.RaOhmCm)
	if c.Morphology.Segments[p].Kind != Soma {
		r += halfResistanceMOhm(c.Morphology.Segments[p], c.Bio.RaOhmCm)
	}
	return 1 / max(r, 1e-9)
}

// halfResistanceMOhm is the axial resistance of half of segment s, in MOhm:
// Ra * (L/2) / (pi r^2) with L, r in um gives ohm*um^-1*cm = 1e4 ohm; 1e-2 MOhm.
func halfResistanceMOhm(s Segment, raOhmCm float64) float64 {
	r := s.DiamUm / 2
	return raOhmCm * (s.LengthUm() / 2) / (math.Pi * r * r) * 1e-2
}

// segAreaUm2 is the lateral area of a segment's cylinder; a soma shorter than its diameter
// is treated as a sphere of that diameter.
func segAreaUm2(s Segment) float64 {
	l := s.LengthUm()
	if s.Kind == Soma && l < s.DiamUm {
		l = s.DiamUm
	}
	return math.Pi * s.DiamUm * max(l, 0.1)
}

// NumSegments returns the number of compartments.
func (c *Cell) NumSegments() int { return len(c.parent) }

// withAIS returns m with an axon initial segment: axon compartments whose midpoint lies
// within aisLengthUm of the soma along the tree become AIS; a cell without any axon gets a
// synthetic one pointing away from its dendrites.
func withAIS(m *Morphology) *Morphology {
	hasAxon := false
	for _, s := range m.Segments {
		if s.Kind == AIS {
			return m
		}
		hasAxon = hasAxon || s.Kind == Axon
	}
	if !hasAxon {
		return refine(addSyntheticAxon(m), MaxSegmentUm)
	}
	pathUm := make([]float64, len(m.Segments))
	for i := range m.Segments {
		s := &m.Segments[i]
		l := s.LengthUm()
		if s.Parent >= 0 && m.Segments[s.Parent].Kind != Soma {
			pathUm[i] = pathUm[s.Parent]
		}
		if s.Kind == Axon && pathUm[i]+l/2 < aisLengthUm {
			s.Kind = AIS
		}
		pathUm[i] += l
	}
	return m
}

// addSyntheticAxon appends a 40 um AIS and a 200 um axon to the root, pointing away from
// the centroid of the dendrites.
func addSyntheticAxon(m *Morphology) *Morphology {
	soma := m.Segments[0]
	centre := lerp(soma.Start, soma.End, 0.5)
	var sum [3]float64
	for _, s := range m.Segments[1:] {
		sum = add(sum, sub(s.End, centre))
	}
	dir := unit(scale(sum, -1))
	if norm(sum) == 0 {
		dir = [3]float64{0, -1, 0}
	}
	start := add(centre, scale(dir, soma.DiamUm/2))
	mid := add(start, scale(dir, aisLengthUm))
	end := add(mid, scale(dir, 200))
	out := &Morphology{Segments: append([]Segment(nil), m.Segments...)}
	out.Segments = append(out.Segments,
		Segment{Parent: 0, Start: start, End: mid, DiamUm: 1.2, Kind: AIS},
		Segment{Parent: len(m.Segments), Start: mid, End: end, DiamUm: 0.8, Kind: Axon})
	return out
}
