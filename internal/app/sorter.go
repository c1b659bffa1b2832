// Package app wires spikestream's packages into the jobs the command runs: live sorting of
// a stream, sorting of a file through the live path, the demo and the benchmarks. It holds
// no algorithm of its own.
package app

import (
	"context"
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/spikestream/spikestream/pipeline"
	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/stream"
)

// SorterConfig sets up one live sorter.
type SorterConfig struct {
	Stream       string       // stream name; subjects are spikestream.<Stream>.*
	Probe        *probe.Probe // geometry; its channel count is enforced on frames
	SampleRateHz float64      // 0: taken from the first frame
	Method       Method       // learned or baseline components
	ModelPath    string       // checkpoint replacing the shipped detector or embedder ("" none)
	Pipeline     pipeline.Config
	Metrics      *pipeline.Metrics     // nil: unregistered
	Registry     prometheus.Registerer // if set, bus counters are exported here too
	JSONMirror   bool                  // also publish events as JSON
	// Deterministic runs the online assigner's passes inside the assignment stage, so that
	// a recording sorted twice gives the same labels; for sorting files, where the stall
	// each pass adds to the events behind it does not matter.
	Deterministic bool
	Log           *zap.Logger
}

// Sorter is one live sorter: a frame subscription, the pipeline and the event publishers.
type Sorter struct {
	conn  *stream.Conn
	subj  stream.Subjects
	sub   *stream.FrameSub
	pl    *pipeline.Pipeline
	spub  *stream.EventPublisher
	comps *Components
	cfg   SorterConfig
	base  *zap.Logger // for the parts that name their own component
	log   *zap.Logger

	unitMu sync.Mutex // guards upub: unit events come from the assigner's goroutines
	upub   *stream.EventPublisher
}

// NewSorter subscribes to the stream's frames (so nothing published after it returns is
// missed) and builds the pipeline. Run starts the work.
func NewSorter(ctx context.Context, conn *stream.Conn, cfg SorterConfig) (*Sorter, error) {
	subj, err := stream.SubjectsFor(cfg.Stream)
	if err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = zap.NewNop()
	}
	s := &Sorter{conn: conn, subj: subj, base: log,
		log: log.With(zap.String("component", "sorter"))}
	s.spub = stream.NewEventPublisher(conn, subj, stream.PubOptions{JSONMirror: cfg.JSONMirror})
	s.upub = stream.NewEventPublisher(conn, subj, stream.PubOptions{JSONMirror: cfg.JSONMirror})
	s.sub, err = stream.SubscribeFrames(ctx, conn, subj, stream.SubOptions{
		Channels: cfg.Probe.NumChannels(), Log: log})
	if err != nil {
		return nil, fmt.Errorf("subscribe frames: %w", err)
	}
	s.cfg = cfg
	if cfg.Registry != nil {
		if err := registerStreamMetrics(cfg.Registry, cfg.Stream, s); err != nil {
			s.sub.Close()
			return nil, fmt.Errorf("register bus metrics: %w", err)
		}
	}
	if cfg.SampleRateHz != 0 {
		if err := s.build(cfg.SampleRateHz); err != nil {
			s.sub.Close()
			return nil, err
		}
	}
	return s, nil
}

// build makes the components and the pipeline for a sample rate.
func (s *Sorter) build(rateHz float64) error {
	cfg := s.cfg
	var err error
	s.comps, err = BuildComponents(cfg.Method, cfg.ModelPath, cfg.Probe, rateHz,
		cfg.Deterministic, s.publishUnit)
	if err != nil {
		return err
	}
	if cfg.Pipeline.Detect.ThresholdSD == 0 {
		cfg.Pipeline.Detect.ThresholdSD = s.comps.ThresholdSD
	}
	if cfg.Pipeline.ScoreThreshold == 0 {
		cfg.Pipeline.ScoreThreshold = s.comps.ScoreThreshold
	}
	s.pl, err = pipeline.New(cfg.Pipeline, pipeline.Deps{
		Probe: cfg.Probe, SampleRateHz: rateHz,
		Scorer: s.comps.Scorer, Embedder: s.comps.Embedder, Assigner: s.comps.Assigner,
		Output: spikeOutput{s.spub}, Release: stream.Release,
		Metrics: cfg.Metrics, Log: s.base,
	})
	return err
}

// spikeOutput adapts an EventPublisher to pipeline.Output.
type spikeOutput struct{ pub *stream.EventPublisher }

func (o spikeOutput) Spikes(b []stream.SpikeEvent) error { return o.pub.PublishSpikes(b) }

func (s *Sorter) publishUnit(e stream.UnitEvent) {
	s.unitMu.Lock()
	defer s.unitMu.Unlock()
	if err := s.upub.PublishUnit(e); err != nil {
		s.log.Warn("publishing unit event failed", zap.Error(err))
	}
}

// Run sorts until the stream ends (an end-of-stream frame), Stop is called (both drain:
// every spike already detected is published) or ctx is cancelled (abort). It flushes the
// publishers before returning.
func (s *Sorter) Run(ctx context.Context) error {
	in := s.sub.C()
	if s.pl == nil {
		first, err := s.awaitRate(ctx)
		if first == nil || err != nil {
			return err
		}
		in = prepend(ctx, first, s.sub.C())
	}
	err := s.pl.Run(ctx, in)
	s.sub.Close()
	if ferr := s.spub.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("flush spike events: %w", ferr)
	}
	s.unitMu.Lock()
	defer s.unitMu.Unlock()
	if ferr := s.upub.Flush(); err == nil && ferr != nil {
		err = fmt.Errorf("flush unit events: %w", ferr)
	}
	return err
}

// awaitRate waits for the first frame and builds the pipeline for its sample rate. It
// returns a nil arrival when the subscription closed first.
func (s *Sorter) awaitRate(ctx context.Context) (*stream.Arrival, error) {
	s.log.Info("waiting for the first frame to learn the sample rate")
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case a, ok := <-s.sub.C():
		if !ok {
			return nil, nil
		}
		if err := s.build(a.Frame.SampleRateHz); err != nil {
			stream.Release(a)
			return nil, fmt.Errorf("stream at %g Hz: %w", a.Frame.SampleRateHz, err)
		}
		return a, nil
	}
}

// prepend returns a channel that yields first, then everything from rest until rest is
// closed or ctx is done; its goroutine ends then and closes the channel.
func prepend(ctx context.Context, first *stream.Arrival,
	rest <-chan *stream.Arrival) <-chan *stream.Arrival {
	out := make(chan *stream.Arrival, 1)
	out <- first
	go func() {
		defer close(out)
		for a := range rest {
			select {
			case out <- a:
			case <-ctx.Done():
				stream.Release(a)
				return
			}
		}
	}()
	return out
}

// Stop asks for a graceful stop: no new frames are taken and Run returns once every stage
// has drained. Safe to call more than once and from any goroutine.
func (s *Sorter) Stop() { s.sub.Close() }

// Subjects returns the subjects the sorter uses.
func (s *Sorter) Subjects() stream.Subjects { return s.subj }

// Published returns how many spike events have been published.
func (s *Sorter) Published() uint64 { return s.spub.Stats().Spikes }

// FrameStats returns the frame subscription's counters.
func (s *Sorter) FrameStats() stream.FrameStats { return s.sub.Stats() }

// Components returns the detector, embedder and assigner in use.
func (s *Sorter) Components() *Components { return s.comps }
