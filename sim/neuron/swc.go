package neuron

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ErrBadSWC is returned, wrapped with the line and the problem, for an SWC file that
// cannot be read as a single neuron tree.
var ErrBadSWC = errors.New("bad SWC file")

// swcSample is one line of an SWC file.
type swcSample struct {
	id, kind, parent int
	pos              [3]float64
	radiusUm         float64
	line             int
}

// ReadSWC reads a neuron morphology in the SWC format (one sample per line:
// id type x y z radius parent; '#' starts a comment; coordinates and radii in um).
//
// The file must hold exactly one tree whose root is a soma sample (type 1). All soma
// samples connected to the root become one soma segment centred on the root. Every other
// sample becomes a segment from its parent's position to its own; a sample at its
// parent's position adds nothing. SWC types 2, 3 and 4 map to Axon, Basal and Apical;
// other types are treated as dendrite (Basal). Errors wrap ErrBadSWC and name the line.
func ReadSWC(r io.Reader) (*Morphology, error) {
	samples, err := parseSWC(r)
	if err != nil {
		return nil, err
	}
	order, children, err := swcTree(samples)
	if err != nil {
		return nil, err
	}
	return swcMorphology(samples, order, children), nil
}

func parseSWC(r io.Reader) (map[int]*swcSample, error) {
	samples := map[int]*swcSample{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = strings.TrimSpace(text[:i])
		}
		if text == "" {
			continue
		}
		s, err := parseSample(text, line)
		if err != nil {
			return nil, err
		}
		if _, dup := samples[s.id]; dup {
			return nil, fmt.Errorf("%w: line %d: duplicate sample id %d", ErrBadSWC, line, s.id)
		}
		samples[s.id] = s
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read SWC: %w", err)
	}
	if len(samples) == 0 {
		return nil, fmt.Errorf("%w: no samples", ErrBadSWC)
	}
	return samples, nil
}

func parseSample(text string, line int) (*swcSample, error) {
	f := strings.Fields(text)
	if len(f) != 7 {
		return nil, fmt.Errorf("%w: line %d: %d fields, want 7 (id type x y z radius parent)",
			ErrBadSWC, line, len(f))
	}
	var v [7]float64
	for i, s := range f {
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%w: line %d: field %d %q is not a finite number",
				ErrBadSWC, line, i+1, s)
		}
		v[i] = x
	}
	for _, i := range []int{0, 1, 6} {
		if v[i] != math.Trunc(v[i]) || math.Abs(v[i]) > 1<<31 {
			return nil, fmt.Errorf("%w: line %d: field %d must be an integer", ErrBadSWC,
				line, i+1)
		}
	}
	s := &swcSample{id: int(v[0]), kind: int(v[1]), pos: [3]float64{v[2], v[3], v[4]},
		radiusUm: v[5], parent: int(v[6]), line: line}
	switch {
	case s.id < 0:
		return nil, fmt.Errorf("%w: line %d: negative id %d", ErrBadSWC, line, s.id)
	case s.kind < 0:
		return nil, fmt.Errorf("%w: line %d: negative type %d", ErrBadSWC, line, s.kind)
	case !(s.radiusUm > 0):
		return nil, fmt.Errorf("%w: line %d: radius %g um must be positive", ErrBadSWC, line,
			s.radiusUm)
	case max(math.Abs(v[2]), math.Abs(v[3]), math.Abs(v[4]), v[5]) > maxCoordUm:
		return nil, fmt.Errorf("%w: line %d: coordinate or radius beyond %g um", ErrBadSWC,
			line, maxCoordUm)
	case s.parent < -1 || s.parent == s.id:
		return nil, fmt.Errorf("%w: line %d: bad parent %d", ErrBadSWC, line, s.parent)
	}
	return s, nil
}

// swcTree checks that the samples form one tree rooted at a soma sample and returns the
// ids in depth-first order from the root, and the children of every id.
func swcTree(samples map[int]*swcSample) ([]int, map[int][]int, error) {
	root := -1
	children := map[int][]int{}
	for _, s := range samples {
		if s.parent == -1 {
			if root >= 0 {
				return nil, nil, fmt.Errorf("%w: lines %d and %d are both roots (parent -1)",
					ErrBadSWC, min(s.line, samples[root].line), max(s.line, samples[root].line))
			}
			root = s.id
			continue
		}
		if _, ok := samples[s.parent]; !ok {
			return nil, nil, fmt.Errorf("%w: line %d: parent %d does not exist",
				ErrBadSWC, s.line, s.parent)
		}
		children[s.parent] = append(children[s.parent], s.id)
	}
	if root < 0 {
		return nil, nil, fmt.Errorf("%w: no root (a sample with parent -1)", ErrBadSWC)
	}
	if samples[root].kind != int(Soma) {
		return nil, nil, fmt.Errorf("%w: line %d: root has type %d, want 1 (soma)",
			ErrBadSWC, samples[root].line, samples[root].kind)
	}
	order := depthFirst(root, children)
	if len(order) != len(samples) {
		return nil, nil, fmt.Errorf("%w: %d samples are not connected to the root (a cycle)",
			ErrBadSWC, len(samples)-len(order))
	}
	return order, children, nil
}

// depthFirst lists the ids reachable from root, parents before children, children in
// ascending id order so the result does not depend on map iteration.
func depthFirst(root int, children map[int][]int) []int {
	var order []int
	stack := []int{root}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		order = append(order, id)
		kids := children[id]
		slices.Sort(kids)
		for i := len(kids) - 1; i >= 0; i-- {
			stack = append(stack, kids[i])
		}
	}
	return order
}

// swcMorphology converts a checked tree into segments in Hines order.
func swcMorphology(samples map[int]*swcSample, order []int, children map[int][]int) *Morphology {
	root := samples[order[0]]
	somaUm := somaDiameter(samples, root, children)
	m := &Morphology{Segments: []Segment{{Parent: -1,
		Start: add(root.pos, [3]float64{0, -somaUm / 2, 0}),
		End:   add(root.pos, [3]float64{0, somaUm / 2, 0}), DiamUm: somaUm, Kind: Soma}}}
	seg := map[int]int{root.id: 0} // segment whose distal end is at each sample
	for _, id := range order[1:] {
		s, p := samples[id], samples[samples[id].parent]
		if seg[p.id] == 0 && s.kind == int(Soma) {
			seg[id] = 0 // part of the soma
			continue
		}
		start, diam := p.pos, s.radiusUm+p.radiusUm
		if seg[p.id] == 0 {
			// Leave the soma at its surface, with the sample's own diameter.
			start = add(root.pos, scale(unit(sub(s.pos, root.pos)), somaUm/2))
			diam = 2 * s.radiusUm
		}
		if dist(start, s.pos) < 0.01 {
			seg[id] = seg[p.id]
			continue
		}
		m.Segments = append(m.Segments, Segment{Parent: seg[p.id], Start: start, End: s.pos,
			DiamUm: diam, Kind: swcKind(s.kind)})
		seg[id] = len(m.Segments) - 1
	}
	return m
}

// somaDiameter is twice the larger of the root radius and the mean distance of the other
// soma samples attached to it (three-point somas and soma contours).
func somaDiameter(samples map[int]*swcSample, root *swcSample, children map[int][]int) float64 {
	sum, n := 0.0, 0
	for _, id := range children[root.id] {
		if s := samples[id]; s.kind == int(Soma) {
			sum += dist(s.pos, root.pos)
			n++
		}
	}
	r := root.radiusUm
	if n > 0 {
		r = max(r, sum/float64(n))
	}
	return 2 * r
}

func swcKind(t int) SegKind {
	switch SegKind(t) {
	case Axon, Basal, Apical:
		return SegKind(t)
	}
	return Basal
}
