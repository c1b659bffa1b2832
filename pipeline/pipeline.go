package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/ringbuf"
	"github.com/spikestream/spikestream/stream"
)

// Config sets a live pipeline. Zero values take the defaults in brackets.
type Config struct {
	Preprocess PreprocessConfig `json:"preprocess"`
	Detect     DetectConfig     `json:"detect"`
	Snippet    SnippetConfig    `json:"snippet"`
	// ScoreThreshold: candidates scoring below it are rejected [0.5].
	ScoreThreshold float32 `json:"score_threshold"`
	// QueueLen is the capacity of each spike queue between stages [1024].
	QueueLen int `json:"queue_len"`
	// RingMs is the look-back held in the sample ring, ms [500].
	RingMs float64 `json:"ring_ms"`
	// ChunkMs: frames longer than this are processed in chunks, ms [5].
	ChunkMs float64 `json:"chunk_ms"`
}

// Output receives the pipeline's spike events. Spikes is called from the publish stage's
// goroutine only, with a batch it must not retain.
type Output interface {
	Spikes(batch []stream.SpikeEvent) error
}

// Deps are the parts a pipeline is built from.
type Deps struct {
	Probe        *probe.Probe
	SampleRateHz float64
	Scorer       Scorer   // nil: every threshold candidate is a spike (the baseline)
	Embedder     Embedder // required
	Assigner     Assigner // required; if it is also a Runner, the pipeline runs it
	Output       Output   // required
	Release      func(*stream.Arrival)
	Metrics      *Metrics    // nil: unregistered instruments
	Log          *zap.Logger // nil: no logs
}

// Pipeline is one live sorter for one stream. Stages run as goroutines joined by bounded
// channels; every queue blocks when full (backpressure), so nothing is dropped inside the
// pipeline: overload shows as lag and, at the bus, as counted frame drops.
type Pipeline struct {
	cfg  Config
	deps Deps
	log  *zap.Logger
	m    *Metrics

	pre    *Preprocessor
	finder *Finder
	cutter *Cutter
	ring   *ringbuf.Ring
	pool   sync.Pool // *Spike

	nextSample int64 // filter stage: the sample index a contiguous next frame starts at

	stageDetect, stageEmbed, stageAssign, stagePublish prometheus.Observer
}

// New builds a pipeline; it allocates the sample ring and all per-stage state.
func New(cfg Config, d Deps) (*Pipeline, error) {
	if d.Probe == nil || d.Embedder == nil || d.Assigner == nil || d.Output == nil {
		return nil, fmt.Errorf("%w: probe, embedder, assigner and output are required",
			ErrBadConfig)
	}
	if d.SampleRateHz < 10000 || d.SampleRateHz > 50000 {
		return nil, fmt.Errorf("%w: sample rate %g Hz outside 10-50 kHz", ErrBadConfig,
			d.SampleRateHz)
	}
	cfg = cfg.withDefaults()
	p := &Pipeline{cfg: cfg, deps: d, log: d.Log, m: d.Metrics}
	if p.log == nil {
		p.log = zap.NewNop()
	}
	p.log = p.log.With(zap.String("component", "pipeline"))
	if p.m == nil {
		p.m = NewMetrics(nil, "")
	}
	return p, p.build()
}

func (c Config) withDefaults() Config {
	if c.ScoreThreshold == 0 {
		c.ScoreThreshold = 0.5
	}
	if c.QueueLen == 0 {
		c.QueueLen = 1024
	}
	c.RingMs = orDefault(c.RingMs, 500)
	c.ChunkMs = orDefault(c.ChunkMs, 5)
	return c
}

func (p *Pipeline) build() error {
	d := p.deps
	var err error
	nch := d.Probe.NumChannels()
	if p.pre, err = NewPreprocessor(p.cfg.Preprocess, nch, d.SampleRateHz); err != nil {
		return err
	}
	if p.finder, err = NewFinder(p.cfg.Detect, d.Probe, d.SampleRateHz); err != nil {
		return err
	}
	snip, err := snippetFor(p.cfg.Snippet, d.Scorer, d.Embedder)
	if err != nil {
		return err
	}
	if p.cutter, err = NewCutter(snip, d.Probe, d.SampleRateHz); err != nil {
		return err
	}
	ringSamples := msToSamples(p.cfg.RingMs, d.SampleRateHz)
	if p.ring, err = ringbuf.New(nch, ringSamples); err != nil {
		return fmt.Errorf("%w: %v", ErrBadConfig, err)
	}
	p.stageDetect = p.m.StageS.WithLabelValues("detect")
	p.stageEmbed = p.m.StageS.WithLabelValues("embed")
	p.stageAssign = p.m.StageS.WithLabelValues("assign")
	p.stagePublish = p.m.StageS.WithLabelValues("publish")
	dim := d.Embedder.Dim()
	p.pool.New = func() any { return &Spike{Embedding: make([]float32, dim)} }
	return nil
}

// SnippetWindow returns the snippet window in force: the configured one with defaults,
// widened to the span its scorer and embedder read. Spikes wait for its PostMs.
func (p *Pipeline) SnippetWindow() SnippetConfig { return p.cutter.Config() }

// tick tells the detect stage that the ring holds samples up to upTo.
type tick struct {
	upTo      int64
	arrivalNs int64
	reset     bool // the ring restarted at resetAt: forget pending state
	resetAt   int64
	eos       bool // end of stream: flush everything
}

// Run processes arrivals from in until in is closed or carries an end-of-stream frame, then
// drains every stage, publishing every spike already detected, and returns. Cancelling ctx
// aborts at once without draining. Run closes no channel it did not create; the caller owns
// in. Run may be called once.
func (p *Pipeline) Run(ctx context.Context, in <-chan *stream.Arrival) error {
	g, ctx := errgroup.WithContext(ctx)
	blocks := make(chan block, blockBuffers)
	free := make(chan []float32, blockBuffers)
	chunk := msToSamples(p.cfg.ChunkMs, p.deps.SampleRateHz) * p.deps.Probe.NumChannels()
	for range blockBuffers {
		free <- make([]float32, chunk)
	}
	ticks := make(chan tick, 64)
	detected := make(chan *Spike, p.cfg.QueueLen)
	embedded := make(chan *Spike, p.cfg.QueueLen)
	assigned := make(chan *Spike, p.cfg.QueueLen)

	if r, ok := p.deps.Assigner.(Runner); ok {
		bg, stop := context.WithCancel(ctx)
		defer stop()
		var wg sync.WaitGroup
		wg.Go(func() {
			if err := r.Run(bg); err != nil && !errors.Is(err, context.Canceled) {
				p.log.Error("assigner background work failed", zap.Error(err))
			}
		})
		defer wg.Wait()
	}
	g.Go(func() error { defer close(blocks); return p.filterStage(ctx, in, blocks, free) })
	g.Go(func() error { defer close(ticks); return p.referenceStage(ctx, blocks, ticks, free) })
	g.Go(func() error { defer close(detected); return p.detect(ctx, ticks, detected) })
	g.Go(func() error { defer close(embedded); return p.embed(ctx, detected, embedded) })
	g.Go(func() error { defer close(assigned); return p.assign(ctx, embedded, assigned) })
	g.Go(func() error { return p.publish(ctx, assigned) })
	win := p.cutter.Config()
	p.log.Info("pipeline started", zap.Int("channels", p.deps.Probe.NumChannels()),
		zap.Float64("rate_hz", p.deps.SampleRateHz), zap.Float64("snippet_pre_ms", win.PreMs),
		zap.Float64("snippet_post_ms", win.PostMs))
	err := g.Wait()
	p.log.Info("pipeline stopped", zap.Error(err))
	return err
}

// send delivers v on ch unless ctx is done first.
func send[T any](ctx context.Context, ch chan<- T, v T) error {
	select {
	case ch <- v:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
