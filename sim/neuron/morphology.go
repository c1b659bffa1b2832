package neuron

import (
	"errors"
	"fmt"
	"math"
)

// ErrBadMorphology is returned, wrapped with detail, for a morphology that cannot be
// simulated (broken tree, non-positive diameter, non-finite coordinates).
var ErrBadMorphology = errors.New("bad morphology")

// maxCoordUm bounds coordinates and diameters (10 cm): anything larger is a unit error.
const maxCoordUm = 1e5

// SegKind says which part of the cell a segment belongs to; it selects the channel
// densities of the segment.
type SegKind uint8

// Segment kinds. The numeric values of Soma, Axon, Basal and Apical match the SWC types.
const (
	Soma   SegKind = 1
	Axon   SegKind = 2
	Basal  SegKind = 3
	Apical SegKind = 4
	AIS    SegKind = 5 // axon initial segment; not an SWC type
)

// String returns the kind's name, e.g. "apical".
func (k SegKind) String() string {
	switch k {
	case Soma:
		return "soma"
	case Axon:
		return "axon"
	case Basal:
		return "basal"
	case Apical:
		return "apical"
	case AIS:
		return "ais"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Segment is one cylinder of a morphology. Coordinates are in um, in the cell's own frame:
// the soma centre is near the origin and, for pyramidal cells, the apical dendrite points
// along +y.
type Segment struct {
	Parent     int // index of the parent segment; -1 for the root (the soma)
	Start, End [3]float64
	DiamUm     float64
	Kind       SegKind
}

// LengthUm returns the distance between the segment's endpoints in um.
func (s Segment) LengthUm() float64 { return dist(s.Start, s.End) }

// Morphology is a neuron as a tree of segments. Segments[0] is the root and every parent
// index is smaller than its child's index (Hines ordering); Validate checks this.
type Morphology struct {
	Segments []Segment
}

// Validate reports whether m is a tree that Simulate can use: a single root at index 0,
// parents before children, positive finite diameters and finite coordinates. The error
// wraps ErrBadMorphology.
func (m *Morphology) Validate() error {
	if m == nil || len(m.Segments) == 0 {
		return fmt.Errorf("%w: no segments", ErrBadMorphology)
	}
	for i, s := range m.Segments {
		if err := validateSegment(i, s); err != nil {
			return err
		}
	}
	return nil
}

func validateSegment(i int, s Segment) error {
	switch {
	case i == 0 && s.Parent != -1:
		return fmt.Errorf("%w: segment 0 must be the root (parent -1), has parent %d",
			ErrBadMorphology, s.Parent)
	case i > 0 && (s.Parent < 0 || s.Parent >= i):
		return fmt.Errorf("%w: segment %d has parent %d; parents must precede children",
			ErrBadMorphology, i, s.Parent)
	case !(s.DiamUm > 0) || s.DiamUm > maxCoordUm:
		return fmt.Errorf("%w: segment %d has diameter %g um", ErrBadMorphology, i, s.DiamUm)
	}
	for _, v := range append(s.Start[:], s.End[:]...) {
		if !(math.Abs(v) <= maxCoordUm) {
			return fmt.Errorf("%w: segment %d has coordinate %g um (limit %g)",
				ErrBadMorphology, i, v, maxCoordUm)
		}
	}
	return nil
}

// TotalLengthUm returns the summed length of all segments of kind k, in um.
func (m *Morphology) TotalLengthUm(k SegKind) float64 {
	total := 0.0
	for _, s := range m.Segments {
		if s.Kind == k {
			total += s.LengthUm()
		}
	}
	return total
}

func dist(a, b [3]float64) float64 {
	dx, dy, dz := a[0]-b[0], a[1]-b[1], a[2]-b[2]
	return math.Sqrt(dx*dx + dy*dy + dz*dz)
}

func sub(a, b [3]float64) [3]float64 { return [3]float64{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }

func add(a, b [3]float64) [3]float64 { return [3]float64{a[0] + b[0], a[1] + b[1], a[2] + b[2]} }

func scale(a [3]float64, k float64) [3]float64 { return [3]float64{a[0] * k, a[1] * k, a[2] * k} }

func dot(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }

func norm(a [3]float64) float64 { return math.Sqrt(dot(a, a)) }

// unit returns a/|a|, or +y for a zero vector.
func unit(a [3]float64) [3]float64 {
	n := norm(a)
	if n == 0 {
		return [3]float64{0, 1, 0}
	}
	return scale(a, 1/n)
}

// refine returns a copy of m in which every segment longer than maxLenUm is split into
// equal pieces no longer than maxLenUm, keeping Hines ordering.
func refine(m *Morphology, maxLenUm float64) *Morphology {
	out := &Morphology{Segments: make([]Segment, 0, len(m.Segments))}
	last := make([]int, len(m.Segments)) // index in out of the distal piece of segment i
	for i, s := range m.Segments {
		parent := -1
		if s.Parent >= 0 {
			parent = last[s.Parent]
		}
		pieces := 1
		if s.Kind != Soma {
			pieces = max(1, int(math.Ceil(s.LengthUm()/maxLenUm)))
		}
		for p := range pieces {
			piece := s
			piece.Parent = parent
			piece.Start = lerp(s.Start, s.End, float64(p)/float64(pieces))
			piece.End = lerp(s.Start, s.End, float64(p+1)/float64(pieces))
			out.Segments = append(out.Segments, piece)
			parent = len(out.Segments) - 1
		}
		last[i] = parent
	}
	return out
}

func lerp(a, b [3]float64, f float64) [3]float64 {
	return [3]float64{a[0] + f*(b[0]-a[0]), a[1] + f*(b[1]-a[1]), a[2] + f*(b[2]-a[2])}
}
