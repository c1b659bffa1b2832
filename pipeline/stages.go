package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/spikestream/spikestream/stream"
)

// block is a chunk of filtered samples on its way from the filter stage to the reference
// stage. Its buffer comes from, and returns to, the pipeline's free list.
type block struct {
	buf       []float32 // interleaved, filtered, not yet re-referenced; nil for control
	first     int64     // stream index of the first sample
	arrivalNs int64
	reset     bool // the stream restarted at first: reset the ring and detection
	eos       bool
}

// blockBuffers is the number of chunk buffers circulating between filter and reference.
const blockBuffers = 8

// filterStage is the first stage: it converts each frame to uV and band-passes it in
// chunks of at most ChunkMs, handing chunks to the reference stage. Splitting the filter
// from the reference lets the two run on different cores.
func (p *Pipeline) filterStage(ctx context.Context, in <-chan *stream.Arrival,
	out chan<- block, free chan []float32) error {
	started := false
	for {
		var a *stream.Arrival
		select {
		case <-ctx.Done():
			return ctx.Err()
		case v, ok := <-in:
			if !ok {
				return send(ctx, out, block{eos: true})
			}
			a = v
		}
		if a.EndOfStream {
			p.release(a)
			return send(ctx, out, block{eos: true})
		}
		if err := p.checkFrame(&a.Frame); err != nil {
			p.m.Drops.WithLabelValues(DropBadFrame).Inc()
			p.release(a)
			continue
		}
		f := &a.Frame
		if !started || a.GapSamples != 0 || a.Resync || f.FirstSample != p.nextSample {
			p.pre.Reset()
			p.m.Resets.Inc()
			if err := send(ctx, out, block{reset: true, first: f.FirstSample}); err != nil {
				p.release(a)
				return err
			}
			started = true
		}
		err := p.filterFrame(ctx, a, out, free)
		p.release(a)
		if err != nil {
			return err
		}
	}
}

// filterFrame converts and filters one frame, chunk by chunk.
func (p *Pipeline) filterFrame(ctx context.Context, a *stream.Arrival, out chan<- block,
	free chan []float32) error {
	f := &a.Frame
	nch := f.Channels
	chunk := msToSamples(p.cfg.ChunkMs, p.deps.SampleRateHz)
	for k := 0; k < f.SamplesPerChannel; k += chunk {
		n := min(chunk, f.SamplesPerChannel-k)
		var buf []float32
		select {
		case buf = <-free:
		case <-ctx.Done():
			return ctx.Err()
		}
		buf = buf[:n*nch]
		toUV(f, k*nch, buf)
		p.pre.Filter(buf)
		b := block{buf: buf, first: f.FirstSample + int64(k), arrivalNs: a.ArrivalNs}
		if err := send(ctx, out, b); err != nil {
			return err
		}
	}
	p.nextSample = f.FirstSample + int64(f.SamplesPerChannel)
	p.m.Frames.Inc()
	p.m.Samples.Add(float64(f.SamplesPerChannel))
	return nil
}

// toUV converts len(dst) samples of f starting at element off to uV.
func toUV(f *stream.Frame, off int, dst []float32) {
	scale := f.UVPerUnit
	if f.Type == stream.Int16 {
		for i, v := range f.I16[off : off+len(dst)] {
			dst[i] = float32(v) * scale
		}
		return
	}
	for i, v := range f.F32[off : off+len(dst)] {
		dst[i] = v * scale
	}
}

// referenceStage subtracts the common reference from each filtered chunk, appends it to
// the ring and tells the detect stage how far the ring has got.
func (p *Pipeline) referenceStage(ctx context.Context, in <-chan block, out chan<- tick,
	free chan []float32) error {
	for b := range in {
		switch {
		case b.eos:
			return send(ctx, out, tick{eos: true})
		case b.reset:
			p.ring.Reset(b.first)
			if err := send(ctx, out, tick{reset: true, resetAt: b.first}); err != nil {
				return err
			}
			continue
		}
		p.pre.Reference(b.buf)
		p.ring.Append(b.buf)
		free <- b.buf // never blocks: at most blockBuffers buffers exist
		if err := send(ctx, out, tick{upTo: p.ring.Written(), arrivalNs: b.arrivalNs}); err != nil {
			return err
		}
	}
	return nil
}

// checkFrame rejects frames that do not fit the probe and rate this pipeline was built for.
func (p *Pipeline) checkFrame(f *stream.Frame) error {
	if f.Channels != p.deps.Probe.NumChannels() {
		return fmt.Errorf("frame has %d channels, probe has %d", f.Channels,
			p.deps.Probe.NumChannels())
	}
	if f.SampleRateHz != p.deps.SampleRateHz {
		return fmt.Errorf("frame rate %g Hz, pipeline runs at %g Hz", f.SampleRateHz,
			p.deps.SampleRateHz)
	}
	return nil
}

func (p *Pipeline) release(a *stream.Arrival) {
	if p.deps.Release != nil {
		p.deps.Release(a)
	}
}

// detect finds candidates as the ring fills, waits until each one's window is complete,
// cuts, scores and locates it, and passes real spikes on.
func (p *Pipeline) detect(ctx context.Context, in <-chan tick, out chan<- *Spike) error {
	var cands, waiting []Candidate
	post := int64(p.cutter.Post())
	for t := range in {
		switch {
		case t.reset:
			if n := p.finder.Reset(t.resetAt) + len(waiting); n > 0 {
				p.m.Drops.WithLabelValues(DropGap).Add(float64(n))
			}
			waiting = waiting[:0]
			continue
		case t.eos:
			waiting = p.finder.Flush(waiting)
			p.m.Drops.WithLabelValues(DropTruncated).Add(float64(len(waiting)))
			return nil
		}
		cands = p.finder.Scan(p.ring, t.upTo, cands[:0])
		p.m.Candidates.Add(float64(len(cands)))
		waiting = append(waiting, cands...)
		n := 0
		for n < len(waiting) && waiting[n].Sample+post < t.upTo {
			n++
		}
		for _, c := range waiting[:n] {
			if err := p.cut(ctx, c, t.arrivalNs, out); err != nil {
				return err
			}
		}
		waiting = waiting[:copy(waiting, waiting[n:])]
	}
	return nil
}

// cut builds a Spike for candidate c and sends it on if it scores high enough.
func (p *Pipeline) cut(ctx context.Context, c Candidate, arrivalNs int64, out chan<- *Spike) error {
	sp := p.pool.Get().(*Spike)
	from := p.cutter.Prepare(c, p.finder.NoiseUV(), &sp.Snippet)
	if p.ring.Available(from, from+int64(sp.Len)) != nil {
		p.m.Drops.WithLabelValues(DropOverrun).Inc()
		p.pool.Put(sp)
		return nil
	}
	p.cutter.CutFrom(p.ring, c, p.finder.NoiseUV(), &sp.Snippet)
	if p.ring.Overrun(from) {
		p.m.Drops.WithLabelValues(DropOverrun).Inc()
		p.pool.Put(sp)
		return nil
	}
	sp.Confidence = 1
	if p.deps.Scorer != nil {
		sp.Confidence = p.deps.Scorer.Score(&sp.Snippet)
		if sp.Confidence < p.cfg.ScoreThreshold {
			p.m.Rejected.Inc()
			p.pool.Put(sp)
			return nil
		}
	}
	sp.AmplitudeUV = c.AmplitudeUV
	sp.XUm, sp.YUm = p.cutter.Locate(&sp.Snippet)
	sp.ArrivalNs = arrivalNs
	sp.Unit = 0
	p.observe(p.stageDetect, arrivalNs)
	return send(ctx, out, sp)
}

// observe records the time from a spike's frame arrival to the end of a stage.
func (p *Pipeline) observe(stage prometheus.Observer, arrivalNs int64) {
	stage.Observe(float64(stream.NowNs()-arrivalNs) / 1e9)
}

// embed computes each spike's embedding.
func (p *Pipeline) embed(ctx context.Context, in <-chan *Spike, out chan<- *Spike) error {
	for sp := range in {
		p.deps.Embedder.Embed(&sp.Snippet, sp.Embedding)
		p.observe(p.stageEmbed, sp.ArrivalNs)
		if err := send(ctx, out, sp); err != nil {
			return err
		}
	}
	return nil
}

// assign labels each spike with a unit. When the stream ends it lets an assigner that
// implements Finisher settle the units founded from the last spikes.
func (p *Pipeline) assign(ctx context.Context, in <-chan *Spike, out chan<- *Spike) error {
	for sp := range in {
		p.deps.Assigner.Assign(sp)
		p.observe(p.stageAssign, sp.ArrivalNs)
		if err := send(ctx, out, sp); err != nil {
			return err
		}
	}
	if f, ok := p.deps.Assigner.(Finisher); ok && ctx.Err() == nil {
		f.ClusterNow()
	}
	return nil
}

// maxBatch bounds the spikes published in one message.
const maxBatch = 256

// publish converts spikes to events and hands them to the output in batches: it takes one
// spike, then whatever else is already queued (up to maxBatch), so batching never waits.
func (p *Pipeline) publish(ctx context.Context, in <-chan *Spike) error {
	batch := make([]stream.SpikeEvent, 0, maxBatch)
	spikes := make([]*Spike, 0, maxBatch)
	warn := newWarnLimiter(10 * time.Second)
	for sp := range in {
		spikes = append(spikes[:0], sp)
	fill:
		for len(spikes) < maxBatch {
			select {
			case more, ok := <-in:
				if !ok {
					break fill
				}
				spikes = append(spikes, more)
			default:
				break fill
			}
		}
		batch = p.events(spikes, batch[:0])
		if err := p.deps.Output.Spikes(batch); err != nil {
			p.m.Drops.WithLabelValues(DropPublish).Add(float64(len(batch)))
			if warn.allow() {
				p.log.Warn("publishing spikes failed", zap.Error(err))
			}
		} else {
			p.m.Spikes.Add(float64(len(batch)))
		}
		for _, s := range spikes {
			p.pool.Put(s)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// events fills batch with the wire form of spikes, stamping the processing latency.
func (p *Pipeline) events(spikes []*Spike, batch []stream.SpikeEvent) []stream.SpikeEvent {
	now := stream.NowNs()
	for _, sp := range spikes {
		latNs := now - sp.ArrivalNs
		batch = append(batch, stream.SpikeEvent{
			SampleIndex: sp.Sample,
			TimeS:       float64(sp.Sample) / p.deps.SampleRateHz,
			UnitID:      sp.Unit,
			PeakChannel: uint16(sp.PeakChannel),
			AmplitudeUV: sp.AmplitudeUV,
			XUm:         sp.XUm,
			YUm:         sp.YUm,
			Confidence:  sp.Confidence,
			LatencyUs:   uint32(max(0, latNs/1000)),
		})
		p.stagePublish.Observe(float64(latNs) / 1e9)
	}
	if len(spikes) > 0 {
		p.m.LagS.Set(float64(now-spikes[len(spikes)-1].ArrivalNs) / 1e9)
	}
	return batch
}

// warnLimiter allows one warning per period.
type warnLimiter struct {
	period time.Duration
	last   time.Time
}

func newWarnLimiter(period time.Duration) *warnLimiter { return &warnLimiter{period: period} }

func (w *warnLimiter) allow() bool {
	now := time.Now()
	if now.Sub(w.last) < w.period {
		return false
	}
	w.last = now
	return true
}
