package app

import (
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/spikestream/spikestream/sim"
	"github.com/spikestream/spikestream/stream"
)

// Percentiles holds latency quantiles in ms, and the number of values they summarise.
type Percentiles struct {
	P50, P95, P99, Max float64
	N                  int
}

// percentilesMs returns quantiles of values given in units of unitNs nanoseconds.
func percentilesMs[T int64 | uint32](values []T, unitNs float64) Percentiles {
	if len(values) == 0 {
		return Percentiles{}
	}
	v := make([]float64, len(values))
	for i, x := range values {
		v[i] = float64(x) * unitNs / 1e6
	}
	slices.Sort(v)
	q := func(p float64) float64 { return v[min(len(v)-1, int(math.Ceil(p*float64(len(v))))-1)] }
	return Percentiles{P50: q(0.5), P95: q(0.95), P99: q(0.99), Max: v[len(v)-1], N: len(v)}
}

// ProcessingLatency returns the quantiles of frame-arrival-to-publish latency.
func (r *SessionResult) ProcessingLatency() Percentiles {
	return percentilesMs(r.ProcessingUs, 1e3)
}

// TroughToEvent returns the quantiles of trough-acquisition-to-receipt latency.
func (r *SessionResult) TroughToEvent() Percentiles {
	return percentilesMs(r.TroughToEventNs, 1)
}

// ReplayLate returns the quantiles of the replayer's lateness behind its schedule.
func (r *SessionResult) ReplayLate() Percentiles {
	return percentilesMs(r.ReplayLateNs, 1)
}

func (p Percentiles) String() string {
	return fmt.Sprintf("p50 %.3f ms, p99 %.3f ms, max %.3f ms (n=%d)", p.P50, p.P99, p.Max, p.N)
}

// printSummary ends the demo: counts, latencies and accuracy against the truth.
func printSummary(w io.Writer, rec *sim.Recording, res *SessionResult) {
	durS := rec.DurationS()
	fmt.Fprintf(w, "\n== summary ==\n")
	fmt.Fprintf(w, "recording: %.1f s, %d channels at %.0f Hz, %d true units, %d true spikes\n",
		durS, rec.NumChannels(), rec.SampleRateHz, len(rec.Units), len(rec.Truth))
	fmt.Fprintf(w, "sorted:    %d spike events, %d labelled into %d units, in %.1f s "+
		"(%.2fx real time)\n", len(res.AllEvents), res.Sorting.NumSpikes(),
		len(res.Sorting.UnitIDs), res.Elapsed.Seconds(), durS/res.Elapsed.Seconds())
	fmt.Fprintf(w, "latency:   processing %s\n", res.ProcessingLatency())
	fmt.Fprintf(w, "           trough->event %s\n", res.TroughToEvent())
	fmt.Fprintf(w, "bus:       %s\n", BusSummary(res.Frames))
	acc, err := Accuracy(rec, res.Sorting)
	if err != nil {
		fmt.Fprintf(w, "accuracy:  not computed: %v\n", err)
		return
	}
	fmt.Fprintf(w, "accuracy:  %s\n", acc)
}

// BusSummary describes a frame subscription's counters in one line.
func BusSummary(f stream.FrameStats) string {
	return fmt.Sprintf("%d frames; dropped: %d malformed, %d wrong shape, %d duplicate or "+
		"late; %d lost upstream, %d samples missing; %d NaN/Inf samples zeroed", f.Frames,
		f.DecodeErrors, f.ChannelMismatch+f.RateChanges+f.ScaleChanges,
		f.Duplicates+f.OutOfOrder+f.Overlaps, f.LostFrames+f.ClientDropped, f.GapSamples,
		f.NonFiniteSamples)
}
