package train

import (
	"io"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/spikestream/spikestream/models"
	"github.com/spikestream/spikestream/probe"
)

// TestForwardMatchesGorgonia checks the hand-written float32 forward pass (standardisation,
// layers and, for the embedder, L2 normalisation) against the gorgonia graph it was
// exported from, to 1e-5.
func TestForwardMatchesGorgonia(t *testing.T) {
	tests := []struct {
		name  string
		sizes []int
		l2    bool
	}{
		{"detector", []int{DetectorSpec.Size(), 32, 16, 1}, false},
		{"embedder", []int{EmbedderSpec.Size(), 48, 32, EmbedDim}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const batch = 8
			nIn, nOut := tc.sizes[0], tc.sizes[len(tc.sizes)-1]
			r := rand.New(rand.NewPCG(1, 2))
			raw, mean, invStd := randomInputs(r, batch, nIn)
			g := G.NewGraph()
			net := newGNet(g, tc.sizes, 11)
			x := G.NewMatrix(g, tensor.Float32, G.WithShape(batch, nIn), G.WithName("x"))
			out, err := net.apply(x)
			if err == nil && tc.l2 {
				out, err = l2Rows(out, batch)
			}
			if err != nil {
				t.Fatal(err)
			}
			std := append([]float32(nil), raw...)
			for b := 0; b < batch; b++ {
				standardise(std[b*nIn:(b+1)*nIn], mean, invStd)
			}
			want := runGraph(t, g, x, out, std, batch, nIn)
			m := net.export(mean, invStd)
			sc := models.NewScratch(m)
			got := make([]float32, nOut)
			for b := 0; b < batch; b++ {
				if tc.l2 {
					models.EmbedInput(m, raw[b*nIn:(b+1)*nIn], &sc, got)
				} else {
					copy(got, m.Forward(raw[b*nIn:(b+1)*nIn], &sc))
				}
				for j := range got {
					w := want[b*nOut+j]
					if d := math.Abs(float64(got[j] - w)); d > 1e-5*max(1, math.Abs(float64(w))) {
						t.Fatalf("row %d out %d: forward %g, gorgonia %g", b, j, got[j], w)
					}
				}
			}
		})
	}
}

// randomInputs returns a batch of raw inputs and a standardisation that is not trivial.
func randomInputs(r *rand.Rand, batch, nIn int) (raw, mean, invStd []float32) {
	raw, mean, invStd = make([]float32, batch*nIn), make([]float32, nIn), make([]float32, nIn)
	for i := range mean {
		mean[i], invStd[i] = float32(r.NormFloat64()), float32(0.2+2*r.Float64())
	}
	for i := range raw {
		raw[i] = float32(3 * r.NormFloat64())
	}
	return raw, mean, invStd
}

// runGraph binds x and runs g forward once, returning out's values.
func runGraph(t *testing.T, g *G.ExprGraph, x, out *G.Node, xv []float32, batch,
	nIn int) []float32 {
	t.Helper()
	if err := G.Let(x, tensor.New(tensor.WithShape(batch, nIn), tensor.WithBacking(xv))); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), out.Value().Data().([]float32)...)
}

// synthSets extracts examples from a few small hand-made recordings.
func synthSets(t *testing.T, n int, seed uint64) [][]*Example {
	t.Helper()
	probes := []*probe.Probe{probe.Tetrode(), probe.Poly32()}
	var sets [][]*Example
	for i := 0; i < n; i++ {
		rate := []float64{20000, 30000}[i%2]
		rec := synthRecording(probes[i%2], rate, 6+4*float64(i%3), 6, 6, seed+uint64(i))
		rs, err := Extract(rec, ExtractConfig{}, 100*i)
		if err != nil {
			t.Fatal(err)
		}
		var set []*Example
		for j := range rs.Examples {
			set = append(set, &rs.Examples[j])
		}
		sets = append(sets, set)
	}
	return sets
}

func TestTrainDetectorLearns(t *testing.T) {
	train, val := synthSets(t, 4, 10), synthSets(t, 2, 50)
	cfg := DetectorFit
	cfg.Steps, cfg.Epochs, cfg.Batch = 300, 2, 128
	res, err := TrainDetector(cfg, flattenSets(train), flattenSets(val), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("metrics %v threshold %.3f", res.Metrics, res.Threshold)
	if res.Metrics["val_auc"] < 0.9 {
		t.Fatalf("validation AUC %.3f < 0.9", res.Metrics["val_auc"])
	}
}

func TestTrainEmbedderLearns(t *testing.T) {
	train, val := synthSets(t, 4, 20), synthSets(t, 2, 60)
	cfg := EmbedderFit
	cfg.Steps, cfg.Epochs, cfg.Batch = 200, 2, 16
	res, err := TrainEmbedder(cfg, train, val, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("metrics %v", res.Metrics)
	if res.Metrics["val_nn_purity"] < 0.6 {
		t.Fatalf("validation nearest-neighbour purity %.3f < 0.6", res.Metrics["val_nn_purity"])
	}
}
