package pipeline

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/spikestream/spikestream/probe"
)

// spanScorer keeps every candidate and reads the snippet from fromMs to toMs.
type spanScorer struct{ fromMs, toMs float64 }

func (spanScorer) Score(*Snippet) float32           { return 1 }
func (s spanScorer) SpanMs() (fromMs, toMs float64) { return s.fromMs, s.toMs }

// spanEmbedder is peakEmbedder with a span.
type spanEmbedder struct {
	peakEmbedder
	spanScorer
}

func TestSnippetWindowCoversModels(t *testing.T) {
	cases := []struct {
		name          string
		snip          SnippetConfig
		scorer        Scorer
		embedder      Embedder
		preMs, postMs float64
	}{
		{"no span: configured defaults", SnippetConfig{}, nil, peakEmbedder{}, 1, defaultPostMs},
		{"span inside the window", SnippetConfig{PostMs: 0.7}, spanScorer{-0.6, 0.5},
			spanEmbedder{spanScorer: spanScorer{-0.6, 0.5}}, 1, 0.7},
		{"scorer reads further", SnippetConfig{PostMs: 0.5}, spanScorer{-0.6, 1.3},
			spanEmbedder{spanScorer: spanScorer{-0.6, 0.5}}, 1, 1.3},
		{"embedder reads earlier and further", SnippetConfig{PostMs: 0.5}, nil,
			spanEmbedder{spanScorer: spanScorer{-1.5, 0.8}}, 1.5, 0.8},
	}
	for _, tc := range cases {
		pl, err := New(Config{Snippet: tc.snip}, Deps{Probe: probe.Tetrode(),
			SampleRateHz: 30000, Scorer: tc.scorer, Embedder: tc.embedder,
			Assigner: channelAssigner{}, Output: &collectOutput{}})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		w := pl.SnippetWindow()
		if w.PreMs != tc.preMs || w.PostMs != tc.postMs {
			t.Errorf("%s: window -%g..+%g ms, want -%g..+%g", tc.name, w.PreMs, w.PostMs,
				tc.preMs, tc.postMs)
		}
	}
	_, err := New(Config{}, Deps{Probe: probe.Tetrode(), SampleRateHz: 30000,
		Scorer: spanScorer{-0.6, 6}, Embedder: peakEmbedder{}, Assigner: channelAssigner{},
		Output: &collectOutput{}})
	if !errors.Is(err, ErrBadConfig) {
		t.Errorf("a 6 ms span: %v, want ErrBadConfig", err)
	}
}

func TestCutterRoundsWindowUp(t *testing.T) {
	cases := []struct {
		postMs, rateHz float64
		post           int
	}{
		{1, 30000, 30}, {0.5, 30000, 15}, {0.5, 25000, 13}, {0.7, 30000, 21},
		{0.7, 22050, 16}, {0.5, 20000, 10},
	}
	for _, tc := range cases {
		c, err := NewCutter(SnippetConfig{PostMs: tc.postMs}, probe.Tetrode(), tc.rateHz)
		if err != nil {
			t.Fatal(err)
		}
		if c.Post() != tc.post {
			t.Errorf("%g ms at %g Hz: %d samples after the trough, want %d", tc.postMs,
				tc.rateHz, c.Post(), tc.post)
		}
	}
}

// TestDetectWaitsForModelSpan feeds the detect stage one sample at a time and checks that
// a spike leaves it as soon as, and not before, the samples its window needs are in the
// ring: the larger of the configured post window and the scorer's span.
func TestDetectWaitsForModelSpan(t *testing.T) {
	const rateHz, trough = 30000, 3000
	cases := []struct {
		postMs, spanMs float64
		wait           int64
	}{
		{0.5, 0.5, 15}, {0.5, 1.3, 39}, {0.7, 0.5, 21}, {1, 0, 30},
	}
	for _, tc := range cases {
		var sc Scorer = spanScorer{-0.6, tc.spanMs}
		if tc.spanMs == 0 {
			sc = ThresholdScorer{}
		}
		got := firstCutAt(t, Config{Snippet: SnippetConfig{PostMs: tc.postMs}}, sc, rateHz,
			trough)
		if want := int64(trough) + tc.wait + 1; got != want {
			t.Errorf("post %g ms, span to %g ms: spike left with the ring at %d samples, "+
				"want %d", tc.postMs, tc.spanMs, got, want)
		}
	}
}

// firstCutAt runs the detect stage over noise with one deep trough at sample trough,
// appending one sample per tick, and returns the ring position at which the spike left it.
func firstCutAt(t *testing.T, cfg Config, sc Scorer, rateHz float64, trough int64) int64 {
	t.Helper()
	p := probe.Tetrode()
	pl, err := New(cfg, Deps{Probe: p, SampleRateHz: rateHz, Scorer: sc,
		Embedder: peakEmbedder{}, Assigner: channelAssigner{}, Output: &collectOutput{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ticks, out := make(chan tick), make(chan *Spike, 16)
	done := make(chan error, 1)
	go func() { done <- pl.detect(ctx, ticks, out) }()
	defer func() { close(ticks); <-done }()

	nch := p.NumChannels()
	rng := rand.New(rand.NewPCG(3, 5))
	row := make([]float32, nch)
	for k := int64(0); k < trough+100; k++ {
		for c := range row {
			row[c] = float32(rng.NormFloat64() * 10)
		}
		if d := float64(k - trough); math.Abs(d) < 10 {
			row[0] -= float32(200 * math.Exp(-d*d/2))
		}
		pl.ring.Append(row)
		ticks <- tick{upTo: k + 1}
		ticks <- tick{upTo: k + 1} // returns once the tick before is fully handled
		if len(out) > 0 {
			if sp := <-out; sp.Sample != trough {
				t.Fatalf("spike at %d, want %d", sp.Sample, trough)
			}
			return k + 1
		}
	}
	t.Fatal("no spike")
	return 0
}
