package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/spikestream/spikestream/models"
)

// trainer owns a tape machine and an Adam solver over one graph.
type trainer struct {
	vm     G.VM
	solver G.Solver
	net    *gnet
	loss   *G.Node
	inputs map[*G.Node]*tensor.Dense
}

func newTrainer(g *G.ExprGraph, net *gnet, loss *G.Node, cfg FitConfig) (*trainer, error) {
	if _, err := G.Grad(loss, net.learnables()...); err != nil {
		return nil, fmt.Errorf("gradient: %w", err)
	}
	return &trainer{
		vm:     G.NewTapeMachine(g, G.BindDualValues(net.learnables()...)),
		solver: G.NewAdamSolver(G.WithLearnRate(cfg.LearnRate), G.WithL2Reg(1e-5)),
		net:    net, loss: loss, inputs: map[*G.Node]*tensor.Dense{},
	}, nil
}

// step binds the batch values, runs forward and backward, applies Adam and returns the
// loss. The slices are copied into tensors owned by the trainer.
func (t *trainer) step(batch map[*G.Node][]float32) (float64, error) {
	for n, v := range batch {
		d, ok := t.inputs[n]
		if !ok {
			d = tensor.New(tensor.WithShape(n.Shape()...), tensor.WithBacking(make([]float32, len(v))))
			t.inputs[n] = d
		}
		copy(d.Data().([]float32), v)
		if err := G.Let(n, d); err != nil {
			return 0, fmt.Errorf("bind %s: %w", n.Name(), err)
		}
	}
	if err := t.vm.RunAll(); err != nil {
		return 0, fmt.Errorf("run graph: %w", err)
	}
	l := float64(t.loss.Value().Data().(float32))
	if math.IsNaN(l) || math.IsInf(l, 0) {
		return l, fmt.Errorf("loss is %v", l)
	}
	if err := t.solver.Step(G.NodesToValueGrads(t.net.learnables())); err != nil {
		return 0, fmt.Errorf("adam step: %w", err)
	}
	t.vm.Reset()
	return l, nil
}

func (t *trainer) close() { t.vm.Close() }

// inputStats estimates input standardisation from up to n un-augmented examples.
func inputStats(spec models.InputSpec, ex []*Example, n int, seed uint64) ([]float32, []float32) {
	r := rand.New(rand.NewPCG(seed, 5))
	n = min(n, len(ex))
	x := make([]float32, n*spec.Size())
	for i := 0; i < n; i++ {
		spec.Fill(&ex[r.IntN(len(ex))].Snip, 0, x[i*spec.Size():(i+1)*spec.Size()])
	}
	return standardiser(x, spec.Size())
}

func standardise(x, mean, invStd []float32) {
	for i := range x {
		x[i] = (x[i] - mean[i]) * invStd[i]
	}
}

func b2f(b bool) float32 {
	if b {
		return 1
	}
	return 0
}

func sigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }
