package stream

import (
	"sync"

	"go.uber.org/zap"
)

// found counts a problem and reports it, subject to the rate limits. Called only from the
// FrameSub's goroutine.
func (s *FrameSub) found(fd finding, seq uint64) {
	s.probs[fd.kind].Add(fd.n)
	r := &s.reports[fd.kind]
	r.pending += fd.n
	r.pendingLog += fd.n
	r.last, r.lastSeq = fd, seq
	s.flushReport(fd.kind, NowNs())
}

// flushReport publishes an error event and logs a warning for kind k when occurrences are
// pending and the kind's interval has passed since its previous report.
func (s *FrameSub) flushReport(k problem, nowNs int64) {
	r := &s.reports[k]
	if r.pending > 0 && (r.pubNs == 0 || nowNs-r.pubNs >= int64(s.opt.ErrorInterval)) {
		s.publishError(ErrorEvent{Kind: k.String(), Detail: r.last.detail, Seq: r.lastSeq,
			Count: r.pending})
		r.pending, r.pubNs = 0, nowNs
	}
	if r.pendingLog > 0 && (r.logNs == 0 || nowNs-r.logNs >= int64(s.opt.LogInterval)) {
		s.log.Warn("bad frames", zap.String("kind", k.String()),
			zap.String("detail", r.last.detail), zap.Uint64("seq", r.lastSeq),
			zap.Uint64("count", r.pendingLog))
		r.pendingLog, r.logNs = 0, nowNs
	}
}

// publishError sends e on the errors subject; a failure is counted by the Conn only.
func (s *FrameSub) publishError(e ErrorEvent) {
	b, err := EncodeErrorEvent(e)
	if err != nil {
		return
	}
	_ = s.c.nc.Publish(s.subj.Errors, b)
}

// arrivals recycles Arrival values and their sample slices.
var arrivals = sync.Pool{New: func() any { return new(Arrival) }}

// getArrival returns a cleared Arrival whose Frame slices keep their capacity.
func getArrival() *Arrival {
	a := arrivals.Get().(*Arrival)
	i16, f32 := a.Frame.I16[:0], a.Frame.F32[:0]
	*a = Arrival{}
	a.Frame.I16, a.Frame.F32 = i16, f32
	return a
}

// Release returns a to the pool shared by all FrameSubs, so its sample slices are reused.
// The caller must not touch a afterwards. Release(nil) does nothing. Safe for concurrent
// use.
func Release(a *Arrival) {
	if a != nil {
		arrivals.Put(a)
	}
}
