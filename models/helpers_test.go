package models

import (
	"math"
	"math/rand/v2"

	"github.com/spikestream/spikestream/pipeline"
)

var testDetSpec = InputSpec{Channels: 6, T0Ms: -0.6, DtMs: 0.1, Steps: 17, Scale: ScaleNoise,
	ValueScale: 10, OffsetUm: 50}

var testEmbSpec = InputSpec{Channels: 8, T0Ms: -0.6, DtMs: 0.05, Steps: 33, Scale: ScalePeak,
	ValueScale: 1, OffsetUm: 50}

// randomMLP returns an MLP with the given widths and random weights.
func randomMLP(sizes []int, seed uint64) *MLP {
	r := rand.New(rand.NewPCG(seed, 1))
	m := &MLP{Mean: make([]float32, sizes[0]), InvStd: make([]float32, sizes[0])}
	for i := range m.Mean {
		m.Mean[i], m.InvStd[i] = float32(r.NormFloat64()*0.1), float32(0.5+r.Float64())
	}
	for i := 0; i+1 < len(sizes); i++ {
		l := Dense{In: sizes[i], Out: sizes[i+1], Activation: ActReLU,
			W: make([]float32, sizes[i]*sizes[i+1]), B: make([]float32, sizes[i+1])}
		if i+2 == len(sizes) {
			l.Activation = ActLinear
		}
		sd := math.Sqrt(2 / float64(sizes[i]))
		for j := range l.W {
			l.W[j] = float32(r.NormFloat64() * sd)
		}
		for j := range l.B {
			l.B[j] = float32(r.NormFloat64() * 0.1)
		}
		m.Layers = append(m.Layers, l)
	}
	return m
}

func testDetectorCheckpoint(seed uint64) *Checkpoint {
	h := Header{Kind: KindDetector, Name: "test", Input: testDetSpec, Output: "sigmoid",
		Threshold: 0.5}
	return MLPCheckpoint(h, randomMLP([]int{testDetSpec.Size(), 32, 16, 1}, seed))
}

func testEmbedderCheckpoint(seed uint64) *Checkpoint {
	h := Header{Kind: KindEmbedder, Name: "test", Input: testEmbSpec, Output: "l2"}
	return MLPCheckpoint(h, randomMLP([]int{testEmbSpec.Size(), 48, 32, 16}, seed))
}

// spikeSnippet returns a snippet of a Gaussian trough (depth ampUV, width 0.15 ms at the
// peak channel, decaying with distance) on nch channels of a 20 um grid, cut at rateHz
// with 1 ms either side.
func spikeSnippet(nch int, rateHz, ampUV float64) *pipeline.Snippet {
	pre := int(math.Round(rateHz / 1000))
	n := 2*pre + 1
	s := &pipeline.Snippet{Sample: 1000, Pre: pre, Len: n, SampleRateHz: rateHz,
		Data: make([]float32, nch*n)}
	for k := 0; k < nch; k++ {
		dx, dy := float32(20*(k%2)), float32(20*(k/2))
		s.Channels = append(s.Channels, k)
		s.DxUm, s.DyUm = append(s.DxUm, dx), append(s.DyUm, dy)
		s.NoiseUV = append(s.NoiseUV, 8)
		g := ampUV * math.Exp(-math.Hypot(float64(dx), float64(dy))/40)
		for t := 0; t < n; t++ {
			ms := float64(t-pre) / rateHz * 1000
			s.Data[k*n+t] = float32(-g*math.Exp(-ms*ms/(2*0.15*0.15)) +
				0.3*g*math.Exp(-(ms-0.5)*(ms-0.5)/0.18))
		}
	}
	if nch > 0 {
		s.PeakChannel = 0
	}
	return s
}
