package models

import (
	"encoding/json"
	"flag"
	"math"
	"os"
	"testing"

	"github.com/spikestream/spikestream/pipeline"
	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/stream"
)

var update = flag.Bool("update", false,
	"rewrite testdata/shipped_outputs.json from the shipped weights")

// shippedOutputs are the shipped models' outputs on fixed snippets, recorded when the
// weights were committed.
type shippedOutputs struct {
	Detector [][]float32 `json:"detector"`
	Embedder [][]float32 `json:"embedder"`
	PCA      [][]float32 `json:"pca"`
}

// fixedSnippets are the fixed inputs: tetrode, Neuropixels-like and 20/30 kHz cases.
func fixedSnippets() []any {
	return []any{spikeSnippet(4, 30000, 80), spikeSnippet(12, 30000, 150),
		spikeSnippet(8, 20000, 40), spikeSnippet(6, 25000, 300)}
}

func TestShippedWeightsReproduce(t *testing.T) {
	d, err := DefaultDetector()
	if err != nil {
		t.Fatal(err)
	}
	e, err := DefaultEmbedder()
	if err != nil {
		t.Fatal(err)
	}
	p, err := DefaultPCA()
	if err != nil {
		t.Fatal(err)
	}
	var got shippedOutputs
	for _, s := range fixedSnippets() {
		got.Detector = append(got.Detector, outputOf(d, s))
		got.Embedder = append(got.Embedder, outputOf(e, s))
		got.PCA = append(got.PCA, outputOf(p, s))
	}
	const path = "testdata/shipped_outputs.json"
	if *update {
		b, _ := json.MarshalIndent(got, "", " ")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want shippedOutputs
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	compareOutputs(t, "detector", got.Detector, want.Detector)
	compareOutputs(t, "embedder", got.Embedder, want.Embedder)
	compareOutputs(t, "pca", got.PCA, want.PCA)
}

func compareOutputs(t *testing.T, name string, got, want [][]float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d outputs recorded, %d computed", name, len(want), len(got))
	}
	for i := range got {
		for j := range got[i] {
			if d := math.Abs(float64(got[i][j] - want[i][j])); d > 1e-5 {
				t.Fatalf("%s snippet %d value %d: %g, recorded %g", name, i, j, got[i][j],
					want[i][j])
			}
		}
	}
}

func TestShippedHeaders(t *testing.T) {
	d, err := DefaultDetector()
	if err != nil {
		t.Fatal(err)
	}
	e, _ := DefaultEmbedder()
	p, _ := DefaultPCA()
	for _, h := range []Header{d.Header(), e.Header(), p.Header()} {
		if h.Training == nil || h.Training.Source != "sim" || h.Training.Created == "" {
			t.Errorf("%s: provenance missing: %+v", h.Kind, h.Training)
		}
	}
	if th := d.Threshold(); !(th > 0 && th < 1) {
		t.Errorf("detector threshold %g not in (0, 1)", th)
	}
	if e.Dim() != 16 || p.Dim() != 16 {
		t.Errorf("dims: embedder %d, pca %d, want 16", e.Dim(), p.Dim())
	}
}

type nopAssigner struct{}

func (nopAssigner) Assign(*pipeline.Spike) {}

type nopOutput struct{}

func (nopOutput) Spikes([]stream.SpikeEvent) error { return nil }

// TestShippedSpanSetsWindow checks that the three shipped models read the same span and
// that the default snippet window ends exactly where they stop reading: a longer window
// would delay every spike for signal no model uses.
func TestShippedSpanSetsWindow(t *testing.T) {
	d, err := DefaultDetector()
	if err != nil {
		t.Fatal(err)
	}
	e, _ := DefaultEmbedder()
	p, _ := DefaultPCA()
	from, to := d.SpanMs()
	if f, tt := e.SpanMs(); f != from || tt != to {
		t.Errorf("embedder reads %g..%g ms, detector %g..%g", f, tt, from, to)
	}
	if f, tt := p.SpanMs(); f != from || tt != to {
		t.Errorf("pca reads %g..%g ms, detector %g..%g", f, tt, from, to)
	}
	pl, err := pipeline.New(pipeline.Config{}, pipeline.Deps{Probe: probe.Tetrode(),
		SampleRateHz: 30000, Scorer: d, Embedder: e, Assigner: nopAssigner{},
		Output: nopOutput{}})
	if err != nil {
		t.Fatal(err)
	}
	if w := pl.SnippetWindow(); math.Abs(w.PostMs-to) > 1e-9 {
		t.Errorf("default window ends %g ms after the trough; the models read to %g ms",
			w.PostMs, to)
	}
}

func BenchmarkShippedDetector(b *testing.B) {
	d, err := DefaultDetector()
	if err != nil {
		b.Fatal(err)
	}
	s := spikeSnippet(12, 30000, 100)
	b.ReportAllocs()
	cpu0 := processCPUNs()
	for b.Loop() {
		d.Score(s)
	}
	reportCPU(b, cpu0)
}

// reportCPU adds the process CPU time per op since cpu0 as "cpu-ns/op": on a shared
// machine it is steadier than wall time. Run with GOMAXPROCS=1 so that it counts one op.
func reportCPU(b *testing.B, cpu0 int64) {
	b.ReportMetric(float64(processCPUNs()-cpu0)/float64(b.N), "cpu-ns/op")
}

func BenchmarkShippedEmbedder(b *testing.B) {
	e, err := DefaultEmbedder()
	if err != nil {
		b.Fatal(err)
	}
	s := spikeSnippet(12, 30000, 100)
	out := make([]float32, e.Dim())
	b.ReportAllocs()
	cpu0 := processCPUNs()
	for b.Loop() {
		e.Embed(s, out)
	}
	reportCPU(b, cpu0)
}

func BenchmarkShippedPCA(b *testing.B) {
	p, err := DefaultPCA()
	if err != nil {
		b.Fatal(err)
	}
	s := spikeSnippet(12, 30000, 100)
	out := make([]float32, p.Dim())
	b.ReportAllocs()
	cpu0 := processCPUNs()
	for b.Loop() {
		p.Embed(s, out)
	}
	reportCPU(b, cpu0)
}
