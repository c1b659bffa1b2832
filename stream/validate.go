package stream

import (
	"fmt"
	"math"
)

// problem is a class of bad input a FrameSub counts and reports.
type problem uint8

// Problem classes; their names are the Kind of the error events.
const (
	probDecode     problem = iota // the message is not a valid frame
	probChannels                  // channel count differs from the stream's
	probRate                      // sample rate changed mid-stream
	probScale                     // uV per unit changed mid-stream
	probDuplicate                 // seq already accepted
	probOutOfOrder                // seq lower than one already accepted
	probOverlap                   // samples overlap ones already accepted
	probSeqGap                    // frames missing between two accepted ones
	probSampleGap                 // sample indices jump forward
	probNonFinite                 // NaN or Inf samples, replaced by 0
	probResync                    // gave up on the old sequence and restarted
	probDropped                   // the NATS client dropped messages (slow consumer)
	numProblems
)

var problemNames = [numProblems]string{
	"decode", "channels", "rate_change", "scale_change", "duplicate", "out_of_order",
	"overlap", "seq_gap", "sample_gap", "non_finite", "resync", "client_dropped",
}

// String returns the error-event kind of p.
func (p problem) String() string { return problemNames[p] }

// finding is one problem seen in a frame: n occurrences, and what happened.
type finding struct {
	kind   problem
	n      uint64
	detail string
}

// verdict is the validator's decision on one frame.
type verdict struct {
	accept   bool
	gap      int64 // GapSamples of the arrival
	resync   bool
	findings [3]finding
	nFind    int
}

func (v *verdict) add(k problem, n uint64, format string, args ...any) {
	if v.nFind < len(v.findings) {
		v.findings[v.nFind] = finding{k, n, fmt.Sprintf(format, args...)}
		v.nFind++
	}
}

// validator holds the sequence state of one stream. It is a pure state machine, used by
// one goroutine.
type validator struct {
	wantChannels int // fixed channel count, 0 to learn it from the first frame
	resyncAfter  int // consecutive rejections that trigger a resync

	started    bool
	afterEnd   bool // the previous accepted frame was an end of stream
	channels   int
	rateHz     float64
	uvPerUnit  float32
	lastSeq    uint64
	nextSample int64
	rejectRun  int
}

// check decides on frame f. It returns the verdict; it changes no sample.
func (v *validator) check(f *Frame) verdict {
	var vd verdict
	if v.wantChannels > 0 && f.Channels != v.wantChannels && !f.EndOfStream {
		vd.add(probChannels, 1, "frame has %d channels, want %d", f.Channels, v.wantChannels)
		return vd
	}
	if !v.started {
		if v.afterEnd && f.EndOfStream && f.Seq == v.lastSeq {
			vd.add(probDuplicate, 1, "end of stream seq %d repeated", f.Seq)
			return vd
		}
		return v.start(f, v.afterEnd)
	}
	if v.reject(f, &vd) {
		v.rejectRun++
		if v.rejectRun < v.resyncAfter || f.EndOfStream {
			return vd
		}
		gap := f.FirstSample - v.nextSample
		vd = v.start(f, true)
		vd.gap = gap
		vd.add(probResync, 1, "resync at seq %d after %d rejected frames", f.Seq, v.resyncAfter)
		return vd
	}
	return v.advance(f)
}

// start accepts f as the first frame of a sequence and locks the stream's shape to it.
func (v *validator) start(f *Frame, resync bool) verdict {
	v.rejectRun, v.afterEnd = 0, false
	if f.EndOfStream {
		v.started, v.afterEnd, v.lastSeq = false, true, f.Seq
		return verdict{accept: true}
	}
	v.started = true
	v.channels, v.rateHz, v.uvPerUnit = f.Channels, f.SampleRateHz, f.UVPerUnit
	v.lastSeq = f.Seq
	v.nextSample = f.FirstSample + int64(f.SamplesPerChannel)
	return verdict{accept: true, resync: resync}
}

// reject reports whether f breaks the stream's shape or order, adding the finding.
func (v *validator) reject(f *Frame, vd *verdict) bool {
	switch {
	case f.Seq == v.lastSeq:
		vd.add(probDuplicate, 1, "seq %d repeated", f.Seq)
	case f.Seq < v.lastSeq:
		vd.add(probOutOfOrder, 1, "seq %d after %d", f.Seq, v.lastSeq)
	case f.EndOfStream:
		return false
	case f.Channels != v.channels:
		vd.add(probChannels, 1, "frame has %d channels, stream has %d", f.Channels, v.channels)
	case f.SampleRateHz != v.rateHz:
		vd.add(probRate, 1, "sample rate %v Hz, stream has %v Hz", f.SampleRateHz, v.rateHz)
	case f.UVPerUnit != v.uvPerUnit:
		vd.add(probScale, 1, "%v uV per unit, stream has %v", f.UVPerUnit, v.uvPerUnit)
	case f.FirstSample < v.nextSample:
		vd.add(probOverlap, 1, "frame starts at sample %d, expected %d", f.FirstSample,
			v.nextSample)
	default:
		return false
	}
	return true
}

// advance accepts an in-order frame, noting lost frames and skipped samples.
func (v *validator) advance(f *Frame) verdict {
	vd := verdict{accept: true}
	v.rejectRun = 0
	if lost := f.Seq - v.lastSeq - 1; lost > 0 {
		vd.add(probSeqGap, lost, "%d frames missing before seq %d", lost, f.Seq)
	}
	v.lastSeq = f.Seq
	if f.EndOfStream {
		v.started, v.afterEnd = false, true
		return vd
	}
	if gap := f.FirstSample - v.nextSample; gap > 0 {
		vd.gap = gap
		vd.add(probSampleGap, uint64(gap), "%d samples missing before sample %d", gap,
			f.FirstSample)
	}
	v.nextSample = f.FirstSample + int64(f.SamplesPerChannel)
	return vd
}

// scrubNonFinite replaces NaN and Inf samples of x by 0 and returns how many it replaced.
func scrubNonFinite(x []float32) int {
	const expMask = 0x7f800000 // all exponent bits set: Inf or NaN
	n := 0
	for i, s := range x {
		if math.Float32bits(s)&expMask == expMask {
			x[i] = 0
			n++
		}
	}
	return n
}
