package neuron

import "math"

// Sources is one simulated action potential as current sources: the transmembrane current
// of every segment over a window around the somatic peak. Coordinates are in the cell's
// frame relative to the soma centre. A Sources is immutable once returned and safe for
// concurrent reading; Potential allocates nothing that outlives the call.
type Sources struct {
	Class      string
	Start, End [][3]float64 // segment endpoints relative to the soma centre, um
	Parent     []int        // parent segment index, -1 for the soma
	Kind       []SegKind
	DiamUm     []float64   // segment diameters, um; optional (nil: Potential uses MinDistanceUm)
	CurrentsNA [][]float32 // [segment][step] outward transmembrane current, nA
	DtMs       float64     // step of CurrentsNA and SomaVmMV
	PeakStep   int         // step of the somatic AP peak
	SomaVmMV   []float32   // somatic membrane potential over the window, mV
	StimNA     float64     // amplitude of the somatic current pulse that fired the cell
	StimStep   int         // step of the pulse onset (may be negative: before the window)
}

// NumSteps returns the number of time steps in the window.
func (s *Sources) NumSteps() int { return len(s.SomaVmMV) }

// NumSegments returns the number of current sources.
func (s *Sources) NumSegments() int { return len(s.CurrentsNA) }

// sources cuts the window around the peak out of the recorded run and downsamples it to
// OutDtMs by averaging (which conserves charge).
func (r *run) sources(peak int) *Sources {
	o, c := r.o, r.c
	n := c.NumSegments()
	factor := int(o.OutDtMs/o.DtMs + 0.5)
	pre := int(o.PreMs/o.OutDtMs + 0.5)
	post := int(o.PostMs/o.OutDtMs + 0.5)
	total := pre + post + 1
	// Output step k averages raw steps centred on peak + (k-pre)*factor.
	first := peak - pre*factor - factor/2
	s := &Sources{Class: c.Class, DtMs: o.OutDtMs, PeakStep: pre,
		CurrentsNA: make([][]float32, n), SomaVmMV: make([]float32, total), StimNA: r.stimNA,
		StimStep: int(math.Floor((stimOnsetMs(o)/o.DtMs - float64(first)) / float64(factor)))}
	steps := len(r.vSoma)
	for k := range total {
		s.SomaVmMV[k] = avgWindow(r.vSoma, first+k*factor, factor, 1, 0, steps)
	}
	for i := range n {
		cur := make([]float32, total)
		for k := range cur {
			cur[k] = avgWindow(r.imNA, first+k*factor, factor, n, i, steps)
		}
		s.CurrentsNA[i] = cur
	}
	s.setGeometry(c.Morphology)
	return s
}

// avgWindow averages x[(j)*stride+off] over j in [from, from+count), clamping j into
// [0, steps); before the run began the cell was at rest, so clamped values repeat the
// first step (a resting cell) and are close to zero current.
func avgWindow(x []float32, from, count, stride, off, steps int) float32 {
	var sum float32
	for j := from; j < from+count; j++ {
		jj := min(max(j, 0), steps-1)
		if j < 0 && stride > 1 {
			continue // membrane current before the run: the cell was at rest
		}
		sum += x[jj*stride+off]
	}
	return sum / float32(count)
}

func (s *Sources) setGeometry(m *Morphology) {
	soma := m.Segments[0]
	centre := lerp(soma.Start, soma.End, 0.5)
	n := len(m.Segments)
	s.Start, s.End = make([][3]float64, n), make([][3]float64, n)
	s.Parent, s.Kind, s.DiamUm = make([]int, n), make([]SegKind, n), make([]float64, n)
	for i, seg := range m.Segments {
		s.DiamUm[i] = seg.DiamUm
		s.Start[i] = sub(seg.Start, centre)
		s.End[i] = sub(seg.End, centre)
		s.Parent[i] = seg.Parent
		s.Kind[i] = seg.Kind
	}
}

// Merged returns a copy of s in which each unbranched run of dendritic segments of one
// kind is merged into sources of at most maxLenUm (summed currents, a straight line from the
// run's first start to its last end). The soma is never merged. Far from the cell the
// field is unchanged to first order; it makes projection proportionally cheaper.
// Merged allocates the new Sources; s is not modified.
func (s *Sources) Merged(maxLenUm float64) *Sources {
	n := s.NumSegments()
	children := make([]int, n)
	for _, p := range s.Parent {
		if p >= 0 {
			children[p]++
		}
	}
	out := &Sources{Class: s.Class, DtMs: s.DtMs, PeakStep: s.PeakStep,
		SomaVmMV: s.SomaVmMV, StimNA: s.StimNA, StimStep: s.StimStep}
	group := make([]int, n)
	var lengthUm []float64
	for i := range n {
		p := s.Parent[i]
		segUm := dist(s.Start[i], s.End[i])
		if p > 0 && children[p] == 1 && s.Kind[p] == s.Kind[i] && mergeable(s.Kind[i]) &&
			lengthUm[group[p]]+segUm <= maxLenUm {
			g := group[p]
			group[i] = g
			out.End[g] = s.End[i]
			if s.DiamUm != nil {
				out.DiamUm[g] = (out.DiamUm[g]*lengthUm[g] + s.DiamUm[i]*segUm) /
					max(lengthUm[g]+segUm, 1e-9)
			}
			lengthUm[g] += segUm
			addInto(out.CurrentsNA[g], s.CurrentsNA[i])
			continue
		}
		group[i] = len(out.Start)
		parent := -1
		if p >= 0 {
			parent = group[p]
		}
		out.Start = append(out.Start, s.Start[i])
		out.End = append(out.End, s.End[i])
		out.Parent = append(out.Parent, parent)
		out.Kind = append(out.Kind, s.Kind[i])
		if s.DiamUm != nil {
			out.DiamUm = append(out.DiamUm, s.DiamUm[i])
		}
		out.CurrentsNA = append(out.CurrentsNA, slicesClone(s.CurrentsNA[i]))
		lengthUm = append(lengthUm, segUm)
	}
	return out
}

// mergeable says which kinds Merged may merge: dendrites only. The soma, AIS and axon
// carry the large, fast spike currents that shape the field near the soma, and a spike
// travelling along the axon would be smeared by summing distant segments.
func mergeable(k SegKind) bool { return k == Basal || k == Apical }

func addInto(dst, src []float32) {
	for i, v := range src {
		dst[i] += v
	}
}

func slicesClone(x []float32) []float32 { return append([]float32(nil), x...) }
