package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/nats-io/nats.go"
)

// ReplayOptions configures Replay. Channels, SampleRateHz and UVPerUnit are required;
// other zero values take the defaults in brackets.
type ReplayOptions struct {
	Channels     int     // channels per sample in the source
	SampleRateHz float64 // samples per second per channel
	UVPerUnit    float32 // microvolts per int16 unit
	FrameMs      float64 // frame length, ms [1]; rounded to whole samples, at least 1
	FirstSample  int64   // stream index of the source's first sample [0]
	// Speed paces publishing: 1 is real time, 2 twice as fast, and so on; the schedule is
	// computed from the start time, so waits do not accumulate drift. 0 is as fast as the
	// consumers allow, under the ack window (below).
	Speed float64
	// Window, at Speed 0, is the most frames published beyond the lowest seq acked by the
	// live consumers [64]. Keep it below the consumers' SubOptions.PendingFrames.
	Window int
	// Consumers, at Speed 0, is how many acking consumers must be live before the first
	// frame is published [1].
	Consumers int
	// StaleAfter, at Speed 0, is how long a consumer may stay silent (FrameSubs send a
	// heartbeat ack every 50 ms) before it is no longer waited for [2s].
	StaleAfter time.Duration
	// OnPublish, if set, is called after each frame is published, from Replay's goroutine.
	// It must be quick; it delays the next frame. A resent end of stream is reported again.
	OnPublish func(Published)
}

// Published describes one published frame, for latency measurements.
type Published struct {
	Seq          uint64
	FirstSample  int64   // stream index of the frame's first sample
	Samples      int     // samples per channel in the frame
	SampleRateHz float64 // of the stream
	NowNs        int64   // NowNs() just after the publish call returned
	UnixNs       int64   // wall clock at the same moment, ns since 1970
	// DueNs is the NowNs time the schedule set for this frame at Speed > 0: when its last
	// sample would have been acquired live. A late replayer publishes after DueNs. 0 at
	// Speed 0.
	DueNs       int64
	EndOfStream bool
}

// AcquiredNs returns the NowNs time at which sample, one of this frame's, would have been
// acquired by a live source at Speed 1: a live source sends a frame as soon as its last
// sample is acquired, so that sample's time is the frame's due time (its publish time when
// there is no schedule) and each earlier one is one sample period older. Latency of an
// event about sample s is then eventNs - p.AcquiredNs(s). Dating by the schedule rather
// than the publish time keeps a late replayer from making later events look early.
func (p Published) AcquiredNs(sample int64) int64 {
	last := p.FirstSample + int64(p.Samples) - 1
	end := p.NowNs
	if p.DueNs > 0 {
		end = p.DueNs
	}
	return end - int64(math.Round(float64(last-sample)*1e9/p.SampleRateHz))
}

// ReplayStats summarises a replay.
type ReplayStats struct {
	Frames     uint64        // sample frames published, end of stream excluded
	Samples    int64         // samples per channel published
	Bytes      uint64        // message bytes published, end of stream included
	Elapsed    time.Duration // whole replay, waits for the first consumer included
	MaxLateNs  int64         // at Speed > 0, the worst delay behind schedule, ns
	AckWaitNs  int64         // time spent waiting for acks, ns
	EndResends int           // at Speed > 0, end-of-stream frames sent again for lack of ack
	LastSeq    uint64        // seq of the end-of-stream frame
	NextSample int64         // one past the last sample published
}

func (o ReplayOptions) withDefaults() (ReplayOptions, error) {
	switch {
	case o.Channels <= 0 || o.Channels > MaxChannels:
		return o, fmt.Errorf("%w: %d channels", ErrBadOptions, o.Channels)
	case !(o.SampleRateHz > 0) || math.IsInf(o.SampleRateHz, 0):
		return o, fmt.Errorf("%w: sample rate %v Hz", ErrBadOptions, o.SampleRateHz)
	case !(o.UVPerUnit > 0) || math.IsInf(float64(o.UVPerUnit), 0):
		return o, fmt.Errorf("%w: %v uV per unit", ErrBadOptions, o.UVPerUnit)
	case o.Speed < 0 || math.IsInf(o.Speed, 0) || math.IsNaN(o.Speed):
		return o, fmt.Errorf("%w: speed %v", ErrBadOptions, o.Speed)
	case o.FrameMs < 0:
		return o, fmt.Errorf("%w: frame %v ms", ErrBadOptions, o.FrameMs)
	}
	if o.FrameMs == 0 {
		o.FrameMs = 1
	}
	o.Window = orInt(o.Window, 64)
	o.Consumers = orInt(o.Consumers, 1)
	o.StaleAfter = orDur(o.StaleAfter, 2*time.Second)
	return o, nil
}

// replayer is the state of one Replay call.
type replayer struct {
	c      *Conn
	subj   Subjects
	opt    ReplayOptions
	acks   *ackTracker
	paced  bool   // Speed 0: publishing is paced by acks
	msg    []byte // header + payload of the frame being built
	perFr  int    // samples per channel per frame
	f      Frame  // header fields of the frame being built
	st     ReplayStats
	t0     time.Time
	dueNs  int64 // schedule of the frame being published, NowNs time; 0 when paced by acks
	timer  *time.Timer
	sample int64
}

// Replay reads raw int16 little-endian samples interleaved by sample from src, cuts them
// into frames of opt.FrameMs and publishes them on subj.Raw, then publishes an end-of-stream
// frame. Seqs start at 1. If src ends mid-sample, the complete samples and the end of
// stream are published and the error wraps ErrTruncated. A read error of src or ctx ending
// stops the replay without an end-of-stream frame. At Speed 0 it waits for acks on
// subj.Ack (see ReplayOptions) and, at the end, for the live consumers to ack the end of
// stream. At Speed > 0 it publishes on schedule whatever the consumers do, and at the end
// gives live consumers up to 1 s to ack the end of stream, sending it again (same seq) up
// to twice if they do not: a consumer that dropped it would otherwise wait forever.
// It allocates one frame buffer.
func Replay(ctx context.Context, c *Conn, subj Subjects, src io.Reader,
	opt ReplayOptions) (ReplayStats, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return ReplayStats{}, fmt.Errorf("replay: %w", err)
	}
	r := newReplayer(c, subj, opt)
	if limit := c.nc.MaxPayload(); int64(len(r.msg)) > limit {
		return ReplayStats{}, fmt.Errorf("replay: %w: %d-byte frames, server limit %d",
			ErrTooLarge, len(r.msg), limit)
	}
	sub, err := r.subscribeAcks()
	if err != nil {
		return ReplayStats{}, err
	}
	defer func() { _ = sub.Unsubscribe() }()
	defer r.timer.Stop()
	err = r.run(ctx, src)
	r.st.Elapsed = time.Since(r.t0)
	return r.st, err
}

func newReplayer(c *Conn, subj Subjects, opt ReplayOptions) *replayer {
	per := max(1, int(math.Round(opt.FrameMs*opt.SampleRateHz/1000)))
	r := &replayer{c: c, subj: subj, opt: opt, perFr: per, sample: opt.FirstSample,
		timer: time.NewTimer(time.Hour), paced: opt.Speed == 0}
	r.timer.Stop()
	r.msg = make([]byte, FrameHeaderBytes+per*opt.Channels*2)
	r.f = Frame{Channels: opt.Channels, Type: Int16, UVPerUnit: opt.UVPerUnit,
		SampleRateHz: opt.SampleRateHz}
	return r
}

func (r *replayer) subscribeAcks() (*nats.Subscription, error) {
	r.acks = newAckTracker(r.opt.StaleAfter)
	sub, err := r.c.nc.Subscribe(r.subj.Ack, func(m *nats.Msg) {
		a, err := DecodeAck(m.Data)
		if err != nil {
			r.c.decodeErrs.Add(1) // counted with malformed events; nothing else to do
			return
		}
		r.acks.update(a, NowNs())
	})
	if err != nil {
		return nil, fmt.Errorf("replay: subscribe %s: %w", r.subj.Ack, err)
	}
	return sub, nil
}

// run publishes every frame of src, then the end of stream.
func (r *replayer) run(ctx context.Context, src io.Reader) error {
	r.t0 = time.Now()
	sampleBytes := 2 * r.opt.Channels
	for {
		n, rerr := io.ReadFull(src, r.msg[FrameHeaderBytes:])
		if whole := n / sampleBytes; whole > 0 {
			if err := r.publishData(ctx, whole); err != nil {
				return err
			}
		}
		switch {
		case rerr == nil:
			continue
		case errors.Is(rerr, io.EOF), errors.Is(rerr, io.ErrUnexpectedEOF):
			if err := r.finish(ctx); err != nil {
				return err
			}
			if n%sampleBytes != 0 {
				return fmt.Errorf("replay: %w: %d trailing bytes after sample %d", ErrTruncated,
					n%sampleBytes, r.sample)
			}
			return nil
		default:
			return fmt.Errorf("replay: read source: %w", rerr)
		}
	}
}

// publishData paces and publishes the frame of `samples` samples per channel held in msg.
func (r *replayer) publishData(ctx context.Context, samples int) error {
	r.f.Seq++
	r.f.FirstSample, r.f.SamplesPerChannel, r.f.EndOfStream = r.sample, samples, false
	if err := r.pace(ctx, r.sample+int64(samples)); err != nil {
		return err
	}
	body := r.msg[:FrameHeaderBytes+samples*2*r.opt.Channels]
	if err := r.publish(body); err != nil {
		return err
	}
	r.sample += int64(samples)
	r.st.Frames++
	r.st.Samples += int64(samples)
	return nil
}

// finish publishes the end-of-stream frame and waits for the consumers to ack it.
func (r *replayer) finish(ctx context.Context) error {
	r.f.Seq++
	r.f.FirstSample, r.f.SamplesPerChannel, r.f.EndOfStream = r.sample, 0, true
	if r.paced {
		if err := r.waitWindow(ctx); err != nil {
			return err
		}
	}
	if err := r.publish(r.msg[:FrameHeaderBytes]); err != nil {
		return err
	}
	r.st.LastSeq, r.st.NextSample = r.f.Seq, r.sample
	fctx, cancel := withDefaultTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := r.c.nc.FlushWithContext(fctx); err != nil {
		return fmt.Errorf("replay: flush: %w", err)
	}
	t0 := NowNs()
	defer func() { r.st.AckWaitNs += NowNs() - t0 }()
	if r.paced {
		return r.acks.waitDrained(ctx, r.f.Seq)
	}
	return r.confirmEnd(ctx)
}

// confirmEnd waits for the live consumers to ack the end of stream, sending it again when
// they do not within a second; after two resends it gives up without error.
func (r *replayer) confirmEnd(ctx context.Context) error {
	const resends = 2
	for try := 0; ; try++ {
		wctx, cancel := context.WithTimeout(ctx, time.Second)
		err := r.acks.waitDrained(wctx, r.f.Seq)
		cancel()
		switch {
		case err == nil || try == resends:
			return nil
		case ctx.Err() != nil:
			return fmt.Errorf("replay: %w", ctx.Err())
		}
		r.st.EndResends++
		if err := r.publish(r.msg[:FrameHeaderBytes]); err != nil {
			return err
		}
	}
}

// publish writes msg's header from r.f and sends body, reporting it to OnPublish.
func (r *replayer) publish(body []byte) error {
	putFrameHeader(body, &r.f)
	if err := r.c.publish(r.subj.Raw, body); err != nil {
		return fmt.Errorf("replay: seq %d: %w", r.f.Seq, err)
	}
	r.st.Bytes += uint64(len(body))
	r.acks.published.Store(r.f.Seq)
	if r.opt.OnPublish != nil {
		r.opt.OnPublish(Published{Seq: r.f.Seq, FirstSample: r.f.FirstSample,
			Samples: r.f.SamplesPerChannel, SampleRateHz: r.f.SampleRateHz, NowNs: NowNs(),
			UnixNs: time.Now().UnixNano(), DueNs: r.dueNs, EndOfStream: r.f.EndOfStream})
	}
	return nil
}

// pace waits until the frame ending before sample end may be published.
func (r *replayer) pace(ctx context.Context, end int64) error {
	if r.paced {
		return r.waitWindow(ctx)
	}
	offS := float64(end-r.opt.FirstSample) / r.opt.SampleRateHz / r.opt.Speed
	due := r.t0.Add(time.Duration(offS * 1e9))
	r.dueNs = int64(due.Sub(clockStart))
	wait := time.Until(due)
	if wait <= 0 {
		r.st.MaxLateNs = max(r.st.MaxLateNs, -int64(wait))
		return ctx.Err()
	}
	if err := SleepUntil(ctx, r.timer, due); err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	return nil
}

// waitWindow blocks until r.f.Seq is within the ack window of the live consumers.
func (r *replayer) waitWindow(ctx context.Context) error {
	t0 := NowNs()
	err := r.acks.waitWindow(ctx, r.f.Seq, r.opt.Consumers, r.opt.Window)
	r.st.AckWaitNs += NowNs() - t0
	return err
}
