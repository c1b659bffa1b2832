package pipeline

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/spikestream/spikestream/probe"
)

// synthRecording makes white noise at noiseUV on the probe's channels with spikes injected:
// a 0.3 ms-wide negative Gaussian trough of ampUV on channel ch and half of it on the
// others, every ~7 ms. It returns int16 samples at 1 uV per bit and the true trough samples.
func synthRecording(p *probe.Probe, rateHz, durS, noiseUV, ampUV float64,
	seed uint64) ([]int16, []int64) {
	nch := p.NumChannels()
	n := int(durS * rateHz)
	rng := rand.New(rand.NewPCG(seed, 7))
	x := make([]float64, n*nch)
	for i := range x {
		x[i] = rng.NormFloat64()*noiseUV + 300 // DC offset too
	}
	var truth []int64
	widthS := 0.15e-3 * rateHz
	gapS := func() float64 { return (5 + 4*rng.Float64()) * 1e-3 }
	for t := int(0.1 * rateHz); t < n-int(0.01*rateHz); t += int(gapS() * rateHz) {
		ch := rng.IntN(nch)
		truth = append(truth, int64(t))
		for k := -int(4 * widthS); k <= int(4*widthS); k++ {
			g := math.Exp(-0.5 * float64(k*k) / (widthS * widthS))
			for c := 0; c < nch; c++ {
				a := ampUV / 2
				if c == ch {
					a = ampUV
				}
				x[(t+k)*nch+c] -= a * g
			}
		}
	}
	out := make([]int16, len(x))
	for i, v := range x {
		out[i] = int16(math.Round(v))
	}
	return out, truth
}

func TestFinderRecoversInjectedSpikes(t *testing.T) {
	for _, rateHz := range []float64{20000, 30000, 40000} {
		p := probe.Tetrode()
		samples, truth := synthRecording(p, rateHz, 2, 10, 120, 1)
		f, err := PreprocessRecording(PreprocessConfig{}, p, rateHz, 1, samples)
		if err != nil {
			t.Fatal(err)
		}
		if f.NoiseUV[0] < 6 || f.NoiseUV[0] > 12 {
			t.Errorf("%g Hz: noise estimate %.1f uV for 10 uV white noise filtered", rateHz, f.NoiseUV[0])
		}
		cands, err := FindCandidates(DetectConfig{}, f)
		if err != nil {
			t.Fatal(err)
		}
		tol := int64(math.Round(0.4e-3 * rateHz))
		hit := 0
		j := 0
		for _, s := range truth {
			for j < len(cands) && cands[j].Sample < s-tol {
				j++
			}
			if j < len(cands) && cands[j].Sample <= s+tol {
				hit++
			}
		}
		recall := float64(hit) / float64(len(truth))
		precision := float64(hit) / float64(len(cands))
		if recall < 0.97 || precision < 0.97 {
			t.Errorf("%g Hz: recall %.3f precision %.3f (%d truth, %d found)",
				rateHz, recall, precision, len(truth), len(cands))
		}
	}
}

func TestCutSnippetGeometry(t *testing.T) {
	p := probe.Neuropixels1()
	samples, truth := synthRecording(p, 30000, 0.3, 8, 100, 2)
	f, err := PreprocessRecording(PreprocessConfig{}, p, 30000, 1, samples)
	if err != nil {
		t.Fatal(err)
	}
	var s Snippet
	if !CutSnippet(SnippetConfig{}, f, Candidate{Sample: truth[3], Channel: 100}, &s) {
		t.Fatal("snippet not cut")
	}
	if s.Channels[0] != 100 || s.DxUm[0] != 0 || s.DyUm[0] != 0 || len(s.Channels) != 10 {
		t.Errorf("neighbourhood %v dx %v dy %v", s.Channels, s.DxUm, s.DyUm)
	}
	for i := range s.Channels {
		if d := math.Hypot(float64(s.DxUm[i]), float64(s.DyUm[i])); d > 60 {
			t.Errorf("channel %d is %g um away", s.Channels[i], d)
		}
	}
	if s.Len != 61 || s.Pre != 30 || len(s.Data) != 10*61 {
		t.Errorf("window len %d pre %d data %d", s.Len, s.Pre, len(s.Data))
	}
	if CutSnippet(SnippetConfig{}, f, Candidate{Sample: 5, Channel: 0}, &s) {
		t.Error("window before the start was cut")
	}
}

func BenchmarkPreprocess384x30(b *testing.B) {
	pre, _ := NewPreprocessor(PreprocessConfig{}, 384, 30000)
	x := make([]float32, 384*30)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 10)
	}
	buf := make([]float32, len(x))
	b.ReportAllocs()
	for b.Loop() {
		copy(buf, x) // fresh noise each time: filtering one buffer in place decays to denormals
		pre.Process(buf)
	}
}

func BenchmarkFinderScan384x30(b *testing.B) {
	p := probe.Neuropixels1()
	samples, _ := synthRecording(p, 30000, 1, 10, 100, 3)
	f, _ := PreprocessRecording(PreprocessConfig{}, p, 30000, 1, samples)
	fd, _ := NewFinder(DetectConfig{}, p, 30000)
	var out []Candidate
	t := int64(0)
	n := f.NumSamples()
	b.ReportAllocs()
	for b.Loop() {
		if t+30 >= n {
			fd.Reset(0)
			t = 0
		}
		out = fd.Scan(f, t+30, out[:0])
		t += 30
	}
}
