package app

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/spikestream/spikestream/stream"
)

// registerStreamMetrics exports the frame subscription's and connection's counters, read on
// each scrape, under spikestream_bus_*.
func registerStreamMetrics(reg prometheus.Registerer, name string, s *Sorter) error {
	labels := prometheus.Labels{"stream": name}
	frame := func(metric, help string, get func(stream.FrameStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "spikestream",
			Subsystem: "bus", Name: metric, Help: help, ConstLabels: labels},
			func() float64 { return float64(get(s.sub.Stats())) })
	}
	conn := func(metric, help string, get func(stream.ConnStats) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "spikestream",
			Subsystem: "bus", Name: metric, Help: help, ConstLabels: labels},
			func() float64 { return float64(get(s.conn.Stats())) })
	}
	cs := []prometheus.Collector{
		frame("frames_total", "Frames delivered to the pipeline.",
			func(f stream.FrameStats) uint64 { return f.Frames }),
		frame("decode_errors_total", "Malformed frames dropped.",
			func(f stream.FrameStats) uint64 { return f.DecodeErrors }),
		frame("channel_mismatch_total", "Frames with the wrong channel count dropped.",
			func(f stream.FrameStats) uint64 { return f.ChannelMismatch }),
		frame("duplicates_total", "Frames with a repeated sequence number dropped.",
			func(f stream.FrameStats) uint64 { return f.Duplicates }),
		frame("out_of_order_total", "Frames older than the last accepted dropped.",
			func(f stream.FrameStats) uint64 { return f.OutOfOrder }),
		frame("lost_frames_total", "Sequence numbers skipped (frames lost upstream).",
			func(f stream.FrameStats) uint64 { return f.LostFrames }),
		frame("gap_samples_total", "Samples missing between accepted frames.",
			func(f stream.FrameStats) uint64 { return f.GapSamples }),
		frame("non_finite_samples_total", "NaN or Inf samples replaced by 0.",
			func(f stream.FrameStats) uint64 { return f.NonFiniteSamples }),
		frame("client_dropped_total", "Frames the NATS client dropped (slow consumer).",
			func(f stream.FrameStats) uint64 { return f.ClientDropped }),
		frame("blocked_ns_total", "Time the subscription waited on a full pipeline queue, ns.",
			func(f stream.FrameStats) uint64 { return f.BlockedNs }),
		conn("disconnects_total", "Connection losses to the NATS server.",
			func(c stream.ConnStats) uint64 { return c.Disconnects }),
		conn("reconnects_total", "Reconnections to the NATS server.",
			func(c stream.ConnStats) uint64 { return c.Reconnects }),
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
