package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/spikestream/spikestream/models"
)

// gnet is an MLP in a gorgonia graph. Weights are learnable nodes in gorgonia's layout
// (In x Out, so a batch multiplies as x W); export transposes them for models.MLP.
type gnet struct {
	ws, bs []*G.Node
	acts   []string
}

// newGNet adds an MLP with layer widths sizes (input first) to g. Hidden layers use ReLU,
// the last is linear. Weights start He-uniform from seed, biases at zero.
func newGNet(g *G.ExprGraph, sizes []int, seed uint64) *gnet {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b9))
	n := &gnet{}
	for i := 0; i+1 < len(sizes); i++ {
		in, out := sizes[i], sizes[i+1]
		lim := math.Sqrt(6 / float64(in))
		w := make([]float32, in*out)
		for j := range w {
			w[j] = float32((2*r.Float64() - 1) * lim)
		}
		if i+2 == len(sizes) {
			for j := range w {
				w[j] *= 0.5
			}
		}
		wt := tensor.New(tensor.WithShape(in, out), tensor.WithBacking(w))
		bt := tensor.New(tensor.WithShape(1, out), tensor.WithBacking(make([]float32, out)))
		n.ws = append(n.ws, G.NewMatrix(g, tensor.Float32, G.WithShape(in, out),
			G.WithName(fmt.Sprintf("w%d", i)), G.WithValue(wt)))
		n.bs = append(n.bs, G.NewMatrix(g, tensor.Float32, G.WithShape(1, out),
			G.WithName(fmt.Sprintf("b%d", i)), G.WithValue(bt)))
		act := models.ActReLU
		if i+2 == len(sizes) {
			act = models.ActLinear
		}
		n.acts = append(n.acts, act)
	}
	return n
}

// apply adds the network applied to x (batch x In) to the graph.
func (n *gnet) apply(x *G.Node) (*G.Node, error) {
	h := x
	for i := range n.ws {
		xw, err := G.Mul(h, n.ws[i])
		if err != nil {
			return nil, fmt.Errorf("layer %d matmul: %w", i, err)
		}
		if h, err = G.BroadcastAdd(xw, n.bs[i], nil, []byte{0}); err != nil {
			return nil, fmt.Errorf("layer %d bias: %w", i, err)
		}
		if n.acts[i] == models.ActReLU {
			if h, err = G.Rectify(h); err != nil {
				return nil, fmt.Errorf("layer %d relu: %w", i, err)
			}
		}
	}
	return h, nil
}

// learnables lists the weight and bias nodes.
func (n *gnet) learnables() G.Nodes {
	var out G.Nodes
	for i := range n.ws {
		out = append(out, n.ws[i], n.bs[i])
	}
	return out
}

// export copies the current weights into a models.MLP with the given standardisation.
func (n *gnet) export(mean, invStd []float32) *models.MLP {
	m := &models.MLP{Mean: append([]float32(nil), mean...),
		InvStd: append([]float32(nil), invStd...)}
	for i := range n.ws {
		shape := n.ws[i].Shape()
		in, out := shape[0], shape[1]
		w := n.ws[i].Value().Data().([]float32)
		d := models.Dense{In: in, Out: out, Activation: n.acts[i],
			W: make([]float32, in*out),
			B: append([]float32(nil), n.bs[i].Value().Data().([]float32)...)}
		for r := 0; r < in; r++ {
			for c := 0; c < out; c++ {
				d.W[c*in+r] = w[r*out+c]
			}
		}
		m.Layers = append(m.Layers, d)
	}
	return m
}

// l2Rows adds row-wise L2 normalisation of e (batch x D) to the graph.
func l2Rows(e *G.Node, batch int) (*G.Node, error) {
	sq, err := G.Square(e)
	if err != nil {
		return nil, err
	}
	ss, err := G.Sum(sq, 1)
	if err != nil {
		return nil, err
	}
	eps := G.NewConstant(float32(1e-8))
	if ss, err = G.Add(ss, eps); err != nil {
		return nil, err
	}
	norm, err := G.Sqrt(ss)
	if err != nil {
		return nil, err
	}
	if norm, err = G.Reshape(norm, tensor.Shape{batch, 1}); err != nil {
		return nil, err
	}
	return G.BroadcastHadamardDiv(e, norm, nil, []byte{1})
}

// standardiser computes per-input mean and inverse standard deviation over rows of x
// (n x dim, row-major). Inputs with (near) zero spread get inverse SD 1.
func standardiser(x []float32, dim int) (mean, invStd []float32) {
	n := len(x) / dim
	mean, invStd = make([]float32, dim), make([]float32, dim)
	s, ss := make([]float64, dim), make([]float64, dim)
	for r := 0; r < n; r++ {
		for j, v := range x[r*dim : (r+1)*dim] {
			s[j] += float64(v)
			ss[j] += float64(v) * float64(v)
		}
	}
	for j := range mean {
		m := s[j] / float64(n)
		sd := math.Sqrt(max(ss[j]/float64(n)-m*m, 0))
		mean[j], invStd[j] = float32(m), 1
		if sd > 1e-6 {
			invStd[j] = float32(1 / sd)
		}
	}
	return mean, invStd
}
