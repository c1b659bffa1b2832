package models

import (
	"math"
	"testing"

	"github.com/spikestream/spikestream/pipeline"
)

// outputOf runs any model on a snippet value (a *pipeline.Snippet).
func outputOf(m Model, s any) []float32 {
	snip := s.(*pipeline.Snippet)
	switch v := m.(type) {
	case *Detector:
		return []float32{v.Score(snip)}
	case *Embedder:
		out := make([]float32, v.Dim())
		v.Embed(snip, out)
		return out
	case *PCA:
		out := make([]float32, v.Dim())
		v.Embed(snip, out)
		return out
	}
	return nil
}

func TestEmbedderUnitLengthAndDeterministic(t *testing.T) {
	e, err := NewEmbedder(testEmbedderCheckpoint(7))
	if err != nil {
		t.Fatal(err)
	}
	a, b := make([]float32, e.Dim()), make([]float32, e.Dim())
	e.Embed(spikeSnippet(8, 30000, 150), a)
	e.Embed(spikeSnippet(4, 20000, 60), b)
	e.Embed(spikeSnippet(8, 30000, 150), b)
	var ss float64
	for i := range a {
		ss += float64(a[i]) * float64(a[i])
		if a[i] != b[i] {
			t.Fatalf("embedding %d differs on repeat: %g vs %g", i, a[i], b[i])
		}
	}
	if math.Abs(ss-1) > 1e-5 {
		t.Fatalf("embedding squared length %g, want 1", ss)
	}
}

func TestCloneSharesWeights(t *testing.T) {
	d, err := NewDetector(testDetectorCheckpoint(8))
	if err != nil {
		t.Fatal(err)
	}
	c := d.Clone()
	s := spikeSnippet(6, 30000, 70)
	if d.Score(s) != c.Score(s) || &d.in[0] == &c.in[0] {
		t.Fatal("clone must score alike with its own scratch")
	}
}

func TestModelsDoNotAllocate(t *testing.T) {
	d, _ := NewDetector(testDetectorCheckpoint(9))
	e, _ := NewEmbedder(testEmbedderCheckpoint(9))
	s := spikeSnippet(12, 30000, 100)
	out := make([]float32, e.Dim())
	if n := testing.AllocsPerRun(100, func() { d.Score(s) }); n != 0 {
		t.Errorf("detector allocates %g times per spike", n)
	}
	if n := testing.AllocsPerRun(100, func() { e.Embed(s, out) }); n != 0 {
		t.Errorf("embedder allocates %g times per spike", n)
	}
}

func BenchmarkDetectorScore(b *testing.B) {
	d, err := NewDetector(testDetectorCheckpoint(10))
	if err != nil {
		b.Fatal(err)
	}
	s := spikeSnippet(12, 30000, 100)
	b.ReportAllocs()
	for b.Loop() {
		d.Score(s)
	}
}

func BenchmarkEmbedderEmbed(b *testing.B) {
	e, err := NewEmbedder(testEmbedderCheckpoint(10))
	if err != nil {
		b.Fatal(err)
	}
	s := spikeSnippet(12, 30000, 100)
	out := make([]float32, e.Dim())
	b.ReportAllocs()
	for b.Loop() {
		e.Embed(s, out)
	}
}

func BenchmarkPCAEmbed(b *testing.B) {
	w := testEmbSpec.WaveSize()
	spec := testEmbSpec
	spec.Scale = ScaleNoise
	p, err := NewPCA(PCACheckpoint(Header{Input: spec}, make([]float32, w),
		make([]float32, 16*w)))
	if err != nil {
		b.Fatal(err)
	}
	s := spikeSnippet(12, 30000, 100)
	out := make([]float32, p.Dim())
	b.ReportAllocs()
	for b.Loop() {
		p.Embed(s, out)
	}
}

// FuzzModelsOnOddSnippets feeds snippets with arbitrary samples, noise levels, offsets and
// window positions to all three models: none may panic, scores stay in [0, 1] and
// embeddings stay finite.
func FuzzModelsOnOddSnippets(f *testing.F) {
	f.Add(uint8(4), uint8(61), uint8(30), float32(-80), float32(8), float32(20), 30000.0)
	f.Add(uint8(12), uint8(3), uint8(0), float32(math.NaN()), float32(0), float32(1e9), 1.0)
	f.Add(uint8(1), uint8(2), uint8(1), float32(math.Inf(-1)), float32(-3), float32(0), 5e5)
	d, _ := NewDetector(testDetectorCheckpoint(12))
	e, _ := NewEmbedder(testEmbedderCheckpoint(12))
	w := testEmbSpec.WaveSize()
	spec := testEmbSpec
	spec.Scale = ScaleNoise
	p, _ := NewPCA(PCACheckpoint(Header{Input: spec}, make([]float32, w), make([]float32, 4*w)))
	f.Fuzz(func(t *testing.T, nch, n, pre uint8, v, noise, dxy float32, rateHz float64) {
		s := &pipeline.Snippet{Pre: int(pre), Len: int(n), SampleRateHz: rateHz,
			Data: make([]float32, int(nch)*int(n))}
		for k := 0; k < int(nch); k++ {
			s.Channels = append(s.Channels, k)
			s.DxUm, s.DyUm = append(s.DxUm, dxy), append(s.DyUm, -dxy)
			s.NoiseUV = append(s.NoiseUV, noise)
		}
		for i := range s.Data {
			s.Data[i] = v * float32(i%7-3)
		}
		if sc := d.Score(s); !(sc >= 0 && sc <= 1) {
			t.Fatalf("score %g outside [0, 1]", sc)
		}
		for _, m := range []Model{e, p} {
			if out := outputOf(m, s); !allFinite(out) {
				t.Fatalf("%s output not finite: %v", m.Header().Kind, out)
			}
		}
	})
}
