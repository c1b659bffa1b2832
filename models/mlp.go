package models

import (
	"fmt"
	"math"
)

// Activation names used in checkpoints.
const (
	ActReLU   = "relu"
	ActLinear = "linear"
)

// Dense is one fully connected layer: y = act(W x + b), W stored row-major by output
// (Out rows of In weights) so that each output is one contiguous dot product.
type Dense struct {
	In, Out    int
	W          []float32 // Out x In
	B          []float32 // Out
	Activation string    // ActReLU or ActLinear
}

// MLP is a stack of Dense layers applied to a standardised input: x' = (x - Mean) * InvStd.
// It is immutable after construction and may be shared; scratch space lives in Scratch.
type MLP struct {
	Mean, InvStd []float32 // per-input standardisation, len Layers[0].In
	Layers       []Dense
}

// validate checks that the layer shapes chain and that all weights are finite.
func (m *MLP) validate(nIn int) error {
	if len(m.Layers) == 0 {
		return fmt.Errorf("%w: no layers", ErrBadCheckpoint)
	}
	if len(m.Mean) != nIn || len(m.InvStd) != nIn {
		return fmt.Errorf("%w: standardisation has %d/%d values, want %d", ErrBadCheckpoint,
			len(m.Mean), len(m.InvStd), nIn)
	}
	prev := nIn
	for i, l := range m.Layers {
		if l.In != prev || len(l.W) != l.In*l.Out || len(l.B) != l.Out || l.Out < 1 {
			return fmt.Errorf("%w: layer %d shape %dx%d does not chain from %d",
				ErrBadCheckpoint, i, l.In, l.Out, prev)
		}
		if l.Activation != ActReLU && l.Activation != ActLinear {
			return fmt.Errorf("%w: layer %d activation %q", ErrBadCheckpoint, i, l.Activation)
		}
		prev = l.Out
	}
	for _, v := range [][]float32{m.Mean, m.InvStd} {
		if !allFinite(v) {
			return fmt.Errorf("%w: non-finite standardisation", ErrBadCheckpoint)
		}
	}
	for i, l := range m.Layers {
		if !allFinite(l.W) || !allFinite(l.B) {
			return fmt.Errorf("%w: layer %d has non-finite weights", ErrBadCheckpoint, i)
		}
	}
	return nil
}

// OutSize returns the width of the last layer.
func (m *MLP) OutSize() int { return m.Layers[len(m.Layers)-1].Out }

// maxWidth returns the widest layer input or output, the scratch size a forward pass needs.
func (m *MLP) maxWidth() int {
	w := m.Layers[0].In
	for _, l := range m.Layers {
		w = max(w, l.Out)
	}
	return w
}

// Scratch holds the two ping-pong buffers of a forward pass; one per goroutine.
type Scratch struct{ a, b []float32 }

// NewScratch allocates the scratch buffers that m.Forward needs.
func NewScratch(m *MLP) Scratch {
	n := m.maxWidth()
	return Scratch{a: make([]float32, n), b: make([]float32, n)}
}

// Forward runs the network on x (raw inputs, len Layers[0].In). It standardises into
// scratch and returns a slice of scratch holding the output; x is not modified. It does not
// allocate.
func (m *MLP) Forward(x []float32, s *Scratch) []float32 {
	cur := s.a[:len(x)]
	for i, v := range x {
		cur[i] = (v - m.Mean[i]) * m.InvStd[i]
	}
	next := s.b
	for li := range m.Layers {
		l := &m.Layers[li]
		out := next[:l.Out]
		l.apply(cur, out)
		cur, next = out, cur[:cap(cur)]
	}
	return cur
}

// apply computes one layer.
func (l *Dense) apply(x, y []float32) {
	x = x[:l.In]
	for o := range y {
		v := dot(l.W[o*l.In:(o+1)*l.In], x) + l.B[o]
		if l.Activation == ActReLU && v < 0 {
			v = 0
		}
		y[o] = v
	}
}

// dot returns the dot product of a and b[:len(a)], eight accumulators wide; re-slicing
// as it goes lets the compiler drop bounds checks.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	for len(a) >= 8 && len(b) >= 8 {
		s0 += a[0] * b[0]
		s1 += a[1] * b[1]
		s2 += a[2] * b[2]
		s3 += a[3] * b[3]
		s4 += a[4] * b[4]
		s5 += a[5] * b[5]
		s6 += a[6] * b[6]
		s7 += a[7] * b[7]
		a, b = a[8:], b[8:]
	}
	for i := range a {
		s0 += a[i] * b[i]
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

func allFinite(v []float32) bool {
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return false
		}
	}
	return true
}

// sigmoid is the logistic function in float32.
func sigmoid(x float32) float32 {
	return float32(1 / (1 + math.Exp(-float64(x))))
}

// l2Normalise scales v to unit length in place; a zero vector stays zero.
func l2Normalise(v []float32) {
	var ss float32
	for _, x := range v {
		ss += x * x
	}
	if ss == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(float64(ss)))
	for i := range v {
		v[i] *= inv
	}
}
