package stream

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
)

// SubOptions configures SubscribeFrames. Zero values take the defaults in brackets.
type SubOptions struct {
	// Channels fixes the channel count; frames with another count are rejected.
	// 0 takes it from the first frame (and again after each end of stream).
	Channels int
	// Buffer is the capacity of C() in arrivals [16].
	Buffer int
	// PendingFrames is the capacity of the client-side queue between NATS and validation,
	// in messages; beyond it the NATS client drops messages and counts them [1024].
	PendingFrames int
	// AckEvery sends a flow-control ack after this many accepted frames [8].
	AckEvery int
	// AckInterval is the heartbeat period of acks, sent even when idle or blocked [50ms].
	AckInterval time.Duration
	// NoAck disables acks, for passive observers that must not pace a replayer.
	NoAck bool
	// ResyncAfter is the number of consecutive rejected frames after which the
	// subscription accepts the new sequence as a restarted publisher [16].
	ResyncAfter int
	// ErrorInterval is the least time between two error events of one kind [1s].
	ErrorInterval time.Duration
	// LogInterval is the least time between two warnings of one kind [5s].
	LogInterval time.Duration
	// Log receives rate-limited warnings under component "stream"; nil takes the Conn's.
	Log *zap.Logger
}

func (o SubOptions) withDefaults(c *Conn) (SubOptions, error) {
	if o.Channels < 0 || o.Channels > MaxChannels {
		return o, fmt.Errorf("%w: %d channels", ErrBadOptions, o.Channels)
	}
	o.Buffer = orInt(o.Buffer, 16)
	o.PendingFrames = orInt(o.PendingFrames, 1024)
	o.AckEvery = orInt(o.AckEvery, 8)
	o.ResyncAfter = orInt(o.ResyncAfter, 16)
	o.AckInterval = orDur(o.AckInterval, 50*time.Millisecond)
	o.ErrorInterval = orDur(o.ErrorInterval, time.Second)
	o.LogInterval = orDur(o.LogInterval, 5*time.Second)
	if o.Log == nil {
		o.Log = c.log
	} else {
		o.Log = o.Log.With(zap.String("component", "stream"))
	}
	return o, nil
}

func orInt(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

func orDur(v, def time.Duration) time.Duration {
	if v <= 0 {
		return def
	}
	return v
}

// FrameStats is a snapshot of a FrameSub's counters, cumulative since it started. Frames
// counts accepted arrivals; every other counter is a problem, also reported as an error
// event whose Kind is given in brackets.
type FrameStats struct {
	Frames       uint64 // arrivals delivered, end-of-stream frames included
	Bytes        uint64 // message bytes received, accepted or not
	EndOfStreams uint64 // end-of-stream frames delivered
	BlockedNs    uint64 // time spent waiting on a full C(), ns (backpressure)
	Acks         uint64 // flow-control acks published

	DecodeErrors     uint64 // malformed messages, dropped ["decode"]
	ChannelMismatch  uint64 // wrong channel count, dropped ["channels"]
	RateChanges      uint64 // sample rate changed, dropped ["rate_change"]
	ScaleChanges     uint64 // uV per unit changed, dropped ["scale_change"]
	Duplicates       uint64 // repeated seq, dropped ["duplicate"]
	OutOfOrder       uint64 // seq lower than accepted, dropped ["out_of_order"]
	Overlaps         uint64 // samples already accepted, dropped ["overlap"]
	LostFrames       uint64 // seq numbers skipped by accepted frames ["seq_gap"]
	GapSamples       uint64 // samples skipped by accepted frames ["sample_gap"]
	NonFiniteSamples uint64 // NaN/Inf float samples replaced by 0 ["non_finite"]
	Resyncs          uint64 // restarts of the sequence ["resync"]
	ClientDropped    uint64 // messages the NATS client dropped ["client_dropped"]
}

// FrameSub is a validated subscription to a stream's raw frames. Its goroutine owns and
// closes C(); Close stops it. Methods are safe for concurrent use.
type FrameSub struct {
	c    *Conn
	subj Subjects
	opt  SubOptions
	log  *zap.Logger
	sub  *nats.Subscription
	mch  chan *nats.Msg
	out  chan *Arrival
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
	id   uint32

	// Owned by the run goroutine.
	tick        *time.Ticker
	val         validator
	ack         Ack
	sinceAck    int
	ackBuf      []byte
	lastDropped int
	reports     [numProblems]reportState

	frames, bytes, eos, blockedNs, acks atomic.Uint64
	probs                               [numProblems]atomic.Uint64
}

// reportState rate-limits error events and warnings of one problem kind.
type reportState struct {
	pending    uint64 // occurrences not yet published as an error event
	pendingLog uint64 // occurrences not yet logged
	last       finding
	lastSeq    uint64
	pubNs      int64 // NowNs of the last error event, 0 before the first
	logNs      int64 // NowNs of the last warning, 0 before the first
}

// SubscribeFrames subscribes to subj.Raw and starts the goroutine that validates frames
// and delivers them on C(). The subscription is registered with the server before it
// returns. It stops, closing C(), when ctx is done or Close is called.
//
// Overflow policy: the goroutine blocks on a full C() (backpressure, counted in
// BlockedNs) while messages queue in the client-side queue of opt.PendingFrames; when
// that is full the NATS client drops messages, counted in ClientDropped and seen as seq
// and sample gaps. A live source is never slowed; a Speed 0 Replay is paced by the acks
// this FrameSub publishes on subj.Ack (unless opt.NoAck), so it loses nothing. Frames
// that fail validation are dropped or repaired as docs/wire-format.md describes; each
// problem is counted, published on subj.Errors at most once per opt.ErrorInterval per
// kind, and logged at most once per opt.LogInterval per kind.
func SubscribeFrames(ctx context.Context, c *Conn, subj Subjects,
	opt SubOptions) (*FrameSub, error) {
	opt, err := opt.withDefaults(c)
	if err != nil {
		return nil, fmt.Errorf("subscribe frames: %w", err)
	}
	s := &FrameSub{
		c: c, subj: subj, opt: opt,
		log:  opt.Log.With(zap.String("subject", subj.Raw)),
		mch:  make(chan *nats.Msg, opt.PendingFrames),
		out:  make(chan *Arrival, opt.Buffer),
		done: make(chan struct{}),
		id:   rand.Uint32() | 1,
		val:  validator{wantChannels: opt.Channels, resyncAfter: opt.ResyncAfter},
	}
	s.ack.ConsumerID = s.id
	if s.sub, err = c.nc.ChanSubscribe(subj.Raw, s.mch); err != nil {
		return nil, fmt.Errorf("subscribe frames on %s: %w", subj.Raw, err)
	}
	fctx, cancel := withDefaultTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.nc.FlushWithContext(fctx); err != nil {
		_ = s.sub.Unsubscribe()
		return nil, fmt.Errorf("subscribe frames on %s: flush: %w", subj.Raw, err)
	}
	s.wg.Add(1)
	go s.run(ctx)
	return s, nil
}

// withDefaultTimeout adds timeout to ctx unless it already has a deadline.
func withDefaultTimeout(ctx context.Context,
	timeout time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, timeout)
}

// C returns the channel of validated arrivals. The FrameSub closes it when it stops.
// Return each arrival with Release when done with it.
func (s *FrameSub) C() <-chan *Arrival { return s.out }

// ConsumerID returns the id this FrameSub puts in its acks.
func (s *FrameSub) ConsumerID() uint32 { return s.id }

// Close stops the subscription, waits for its goroutine and closes C(). Arrivals still in
// C() can be drained after Close. Safe to call more than once.
func (s *FrameSub) Close() {
	s.once.Do(func() { close(s.done) })
	s.wg.Wait()
}

// Stats returns a snapshot of the counters. Safe for concurrent use.
func (s *FrameSub) Stats() FrameStats {
	p := func(k problem) uint64 { return s.probs[k].Load() }
	return FrameStats{
		Frames: s.frames.Load(), Bytes: s.bytes.Load(), EndOfStreams: s.eos.Load(),
		BlockedNs: s.blockedNs.Load(), Acks: s.acks.Load(),
		DecodeErrors: p(probDecode), ChannelMismatch: p(probChannels),
		RateChanges: p(probRate), ScaleChanges: p(probScale), Duplicates: p(probDuplicate),
		OutOfOrder: p(probOutOfOrder), Overlaps: p(probOverlap), LostFrames: p(probSeqGap),
		GapSamples: p(probSampleGap), NonFiniteSamples: p(probNonFinite),
		Resyncs: p(probResync), ClientDropped: p(probDropped),
	}
}

// run is the FrameSub's goroutine: it validates messages in arrival order and sends
// heartbeat acks and pending reports on a ticker.
func (s *FrameSub) run(ctx context.Context) {
	defer s.wg.Done()
	defer close(s.out)
	defer s.leave()

	s.tick = time.NewTicker(s.opt.AckInterval)
	defer s.tick.Stop()
	s.sendAck()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.done:
			return
		case m := <-s.mch:
			if !s.handle(ctx, m.Data) {
				return
			}
		case <-s.tick.C:
			s.housekeep()
		}
	}
}

// handle validates one message and delivers it. It returns false when the FrameSub is
// stopping. Nothing here allocates once the arrival pool is warm.
// TODO: nats.go still copies every payload into a new slice (23 KB per Neuropixels
// millisecond, ~11 allocations per message with its Msg); avoiding that needs a client
// that lends its read buffer.
func (s *FrameSub) handle(ctx context.Context, data []byte) bool {
	s.bytes.Add(uint64(len(data)))
	a := getArrival()
	a.ArrivalNs = NowNs()
	if err := DecodeFrame(data, &a.Frame); err != nil {
		Release(a)
		s.found(finding{kind: probDecode, n: 1, detail: err.Error()}, 0)
		return true
	}
	vd := s.val.check(&a.Frame)
	for _, fd := range vd.findings[:vd.nFind] {
		s.found(fd, a.Frame.Seq)
	}
	if !vd.accept {
		Release(a)
		return true
	}
	if a.Frame.Type == Float32 {
		if n := scrubNonFinite(a.Frame.F32); n > 0 {
			s.found(finding{probNonFinite, uint64(n), "NaN or Inf samples set to 0"}, a.Frame.Seq)
		}
	}
	a.GapSamples, a.Resync, a.EndOfStream = vd.gap, vd.resync, a.Frame.EndOfStream
	return s.deliver(ctx, a)
}

// deliver sends a on C(), blocking while C() is full (backpressure), then acks. While
// blocked it keeps up the heartbeat acks, so a replayer knows the consumer is alive.
func (s *FrameSub) deliver(ctx context.Context, a *Arrival) bool {
	seq, eos := a.Frame.Seq, a.EndOfStream
	select {
	case s.out <- a:
	default:
		if !s.deliverBlocking(ctx, a) {
			return false
		}
	}
	s.frames.Add(1)
	s.ack.Seq, s.ack.EndOfStream = seq, eos
	if eos {
		s.eos.Add(1)
	}
	if s.sinceAck++; s.sinceAck >= s.opt.AckEvery || eos {
		s.sendAck()
	}
	return true
}

// deliverBlocking waits to send a on C(); it returns false when the FrameSub stops first.
func (s *FrameSub) deliverBlocking(ctx context.Context, a *Arrival) bool {
	t0 := NowNs()
	defer func() { s.blockedNs.Add(uint64(NowNs() - t0)) }()
	for {
		select {
		case s.out <- a:
			return true
		case <-s.tick.C:
			s.housekeep()
		case <-ctx.Done():
			Release(a)
			return false
		case <-s.done:
			Release(a)
			return false
		}
	}
}

// sendAck publishes the highest consumed seq on the ack subject.
func (s *FrameSub) sendAck() {
	s.sinceAck = 0
	if s.opt.NoAck {
		return
	}
	s.ackBuf = EncodeAck(s.ackBuf[:0], s.ack)
	if err := s.c.nc.Publish(s.subj.Ack, s.ackBuf); err == nil {
		s.acks.Add(1)
	}
}

// leave unsubscribes and tells replayers not to wait for this consumer any more.
func (s *FrameSub) leave() {
	_ = s.sub.Unsubscribe()
	s.ack.Leaving = true
	s.sendAck()
}

// housekeep runs on the ticker: heartbeat ack, client drop count, pending reports.
func (s *FrameSub) housekeep() {
	s.sendAck()
	if d, err := s.sub.Dropped(); err == nil && d > s.lastDropped {
		n := uint64(d - s.lastDropped)
		s.lastDropped = d
		s.found(finding{probDropped, n, "NATS client dropped frames: consumer too slow"}, 0)
	}
	now := NowNs()
	for k := range s.reports {
		s.flushReport(problem(k), now)
	}
}
