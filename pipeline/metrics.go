package pipeline

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the pipeline's Prometheus instruments. One Metrics serves one pipeline; the
// stream label tells pipelines apart when several share a registry.
type Metrics struct {
	Frames     prometheus.Counter
	Samples    prometheus.Counter
	Candidates prometheus.Counter
	Rejected   prometheus.Counter // candidates scored below threshold
	Spikes     prometheus.Counter
	Drops      *prometheus.CounterVec // by reason
	Resets     prometheus.Counter
	LagS       prometheus.Gauge // age of the newest spike at publish, s
	StageS     *prometheus.HistogramVec
}

// Drop reasons counted in Metrics.Drops.
const (
	DropGap       = "gap"       // candidates pending when a gap reset detection
	DropTruncated = "truncated" // end of stream before a snippet's window was complete
	DropOverrun   = "overrun"   // ring overwritten before a snippet was cut
	DropBadFrame  = "bad_frame" // frame whose shape does not match the probe
	DropPublish   = "publish"   // events the output refused
)

// NewMetrics creates the instruments and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer, streamName string) *Metrics {
	labels := prometheus.Labels{"stream": streamName}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: "spikestream",
			Name: name, Help: help, ConstLabels: labels})
	}
	m := &Metrics{
		Frames:     counter("frames_total", "Frames taken into the pipeline."),
		Samples:    counter("samples_total", "Samples per channel taken into the pipeline."),
		Candidates: counter("candidates_total", "Threshold candidates found."),
		Rejected:   counter("candidates_rejected_total", "Candidates scored below threshold."),
		Spikes:     counter("spikes_total", "Spike events published."),
		Resets:     counter("resets_total", "Filter and detector resets after gaps."),
		Drops: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "spikestream",
			Name: "drops_total", Help: "Items dropped, by reason.", ConstLabels: labels},
			[]string{"reason"}),
		LagS: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "spikestream",
			Name: "lag_seconds", Help: "Processing latency of the newest published spike.",
			ConstLabels: labels}),
		StageS: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "spikestream",
			Name: "stage_latency_seconds", Help: "Time from frame arrival to the end of a stage.",
			ConstLabels: labels,
			Buckets:     prometheus.ExponentialBuckets(20e-6, 2, 14)}, []string{"stage"}),
	}
	if reg != nil {
		reg.MustRegister(m.Frames, m.Samples, m.Candidates, m.Rejected, m.Spikes, m.Resets,
			m.Drops, m.LagS, m.StageS)
	}
	return m
}
