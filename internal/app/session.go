package app

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/spikestream/spikestream/pipeline"
	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/sorting"
	"github.com/spikestream/spikestream/stream"
)

// Session describes one run of a recording through the whole live path: embedded server,
// replay, sorter, collector.
type Session struct {
	Source       io.Reader // raw int16 little-endian samples, interleaved by sample
	Probe        *probe.Probe
	SampleRateHz float64
	UVPerBit     float64
	Speed        float64 // 1 real time, 0 as fast as the sorter acknowledges
	FrameMs      float64 // replay frame length [1]
	Method       Method
	ModelPath    string
	// Deterministic: see SorterConfig.Deterministic.
	Deterministic bool
	Pipeline      pipeline.Config
	Metrics       *pipeline.Metrics
	Log           *zap.Logger
	Stream        string // stream name ["session"]
	ListenPort    int    // embedded server port: 0 in-process only, -1 any free port
	// OnSpikes and OnUnit, if set, see every event as it arrives on the bus, from NATS
	// delivery goroutines; troughToEventNs gives each spike's latency from the acquisition
	// of its trough sample (meaningful at Speed 1).
	OnSpikes func(ev []stream.SpikeEvent, troughToEventNs []int64)
	OnUnit   func(stream.UnitEvent)
	OnStart  func(natsURL string)
	// OnSorter, if set, is called once the sorter is subscribed and before the replay
	// starts, with the connection and subjects, for extra consumers (the live page).
	OnSorter func(conn *stream.Conn, subj stream.Subjects)
}

// SessionResult is what a session measured.
type SessionResult struct {
	Sorting         *sorting.Sorting    // final labels (backfills and merges applied)
	Events          []stream.SpikeEvent // events of Sorting's spikes, in its order
	AllEvents       []stream.SpikeEvent // every event as published, unassigned included
	UnitEvents      []stream.UnitEvent
	Elapsed         time.Duration // from the first frame published to the last event
	ProcessingUs    []uint32      // per event: frame arrival to publish, us
	TroughToEventNs []int64       // per event: trough acquisition to receipt, ns
	Frames          stream.FrameStats
	Replay          stream.ReplayStats
	Published       uint64
	// ReplayLateNs is, per replayed frame, how long after its due time it was published
	// (at Speed 1); it is the test rig's own jitter, included in TroughToEventNs.
	ReplayLateNs []int64
}

// Run runs the session to the end of the recording.
func (s Session) Run(ctx context.Context) (*SessionResult, error) {
	if s.Stream == "" {
		s.Stream = "session"
	}
	conn, err := stream.Connect(ctx, stream.ConnOptions{ListenPort: s.ListenPort, Log: s.Log})
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if s.OnStart != nil {
		s.OnStart(conn.URL())
	}
	srt, err := NewSorter(ctx, conn, SorterConfig{Stream: s.Stream, Probe: s.Probe,
		SampleRateHz: s.SampleRateHz, Method: s.Method, ModelPath: s.ModelPath,
		Pipeline: s.Pipeline, Metrics: s.Metrics, Log: s.Log, Deterministic: s.Deterministic})
	if err != nil {
		return nil, err
	}
	clock := newFrameClock(s.SampleRateHz, s.FrameMs)
	res := &SessionResult{}
	col, err := NewCollector(conn, srt.Subjects(), s.spikeHook(clock, res), s.OnUnit)
	if err != nil {
		return nil, err
	}
	defer col.Close()
	if s.OnSorter != nil {
		s.OnSorter(conn, srt.Subjects())
	}
	if s.Speed > 0 {
		defer addSleeperProcs(1)() // the paced replayer's nanosleep; see addSleeperProcs
	}
	if err := s.drive(ctx, conn, srt, clock, res); err != nil {
		return nil, err
	}
	if err := col.Wait(ctx, srt.Published(), 30*time.Second); err != nil {
		return nil, err
	}
	res.Elapsed = time.Duration(stream.NowNs() - clock.startNs.Load())
	res.Sorting, res.Events, err = col.Sorting(s.SampleRateHz, false)
	if err != nil {
		return nil, err
	}
	res.AllEvents, res.UnitEvents = col.Events(), col.UnitEvents()
	res.ReplayLateNs = clock.lateness()
	res.Frames, res.Published = srt.FrameStats(), srt.Published()
	return res, nil
}

// drive replays the source while the sorter runs, and waits for both.
func (s Session) drive(ctx context.Context, conn *stream.Conn, srt *Sorter, clock *frameClock,
	res *SessionResult) error {
	replayDone := make(chan error, 1)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		var err error
		res.Replay, err = stream.Replay(rctx, conn, srt.Subjects(), s.Source,
			stream.ReplayOptions{Channels: s.Probe.NumChannels(), SampleRateHz: s.SampleRateHz,
				UVPerUnit: float32(s.UVPerBit), FrameMs: s.FrameMs, Speed: s.Speed,
				OnPublish: clock.record})
		replayDone <- err
	}()
	if err := srt.Run(ctx); err != nil {
		cancel()
		<-replayDone
		return fmt.Errorf("sort: %w", err)
	}
	if err := <-replayDone; err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	return nil
}

// spikeHook records latencies of arriving events and forwards them to OnSpikes.
func (s Session) spikeHook(clock *frameClock, res *SessionResult) func([]stream.SpikeEvent) {
	var lat []int64
	return func(ev []stream.SpikeEvent) {
		now := stream.NowNs()
		lat = lat[:0]
		for _, e := range ev {
			lat = append(lat, now-clock.acquiredNs(e.SampleIndex))
			res.ProcessingUs = append(res.ProcessingUs, e.LatencyUs)
		}
		res.TroughToEventNs = append(res.TroughToEventNs, lat...)
		if s.OnSpikes != nil {
			s.OnSpikes(ev, lat)
		}
	}
}

// frameClock remembers when each replayed frame was published, to date trough samples.
type frameClock struct {
	frameSamples int64
	startNs      atomic.Int64
	mu           sync.Mutex
	frames       []stream.Published // per frame index
}

func newFrameClock(rateHz, frameMs float64) *frameClock {
	if frameMs == 0 {
		frameMs = 1
	}
	return &frameClock{frameSamples: max(1, int64(frameMs*rateHz/1000+0.5))}
}

// record is the replay's OnPublish hook.
func (c *frameClock) record(p stream.Published) {
	if p.EndOfStream {
		return
	}
	c.startNs.CompareAndSwap(0, p.NowNs)
	idx := int(p.FirstSample / c.frameSamples)
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.frames) <= idx {
		c.frames = append(c.frames, stream.Published{})
	}
	c.frames[idx] = p
}

// lateness returns, per frame with a schedule, how late it was published.
func (c *frameClock) lateness() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []int64
	for _, p := range c.frames {
		if p.DueNs > 0 {
			out = append(out, p.NowNs-p.DueNs)
		}
	}
	return out
}

// acquiredNs returns when sample would have been acquired live: its frame's publish time
// less the sample's age within the frame.
func (c *frameClock) acquiredNs(sample int64) int64 {
	idx := int(sample / c.frameSamples)
	c.mu.Lock()
	defer c.mu.Unlock()
	if idx >= len(c.frames) || c.frames[idx].NowNs == 0 {
		return stream.NowNs()
	}
	return c.frames[idx].AcquiredNs(sample)
}

// int16Reader serves []int16 as little-endian bytes without copying the whole slice.
type int16Reader struct {
	v   []int16
	off int
}

// NewInt16Reader returns a reader of v's little-endian bytes.
func NewInt16Reader(v []int16) io.Reader { return &int16Reader{v: v} }

func (r *int16Reader) Read(p []byte) (int, error) {
	if r.off >= len(r.v) {
		return 0, io.EOF
	}
	n := min(len(p)/2, len(r.v)-r.off)
	if n == 0 {
		return 0, io.ErrShortBuffer
	}
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint16(p[2*i:], uint16(r.v[r.off+i]))
	}
	r.off += n
	return 2 * n, nil
}
