package app

import (
	"context"
	"testing"

	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/sim"
)

// BenchmarkLivePath384 runs 2 s of a simulated Neuropixels recording through the whole live
// path at max speed; the x-real-time metric is recording seconds per wall second.
func BenchmarkLivePath384(b *testing.B) {
	for _, m := range []Method{Learned, Baseline} {
		b.Run(string(m), func(b *testing.B) {
			rec, err := sim.Generate(context.Background(), sim.Config{Probe: probe.Neuropixels1(),
				Units: 100, DurationS: 2, NoiseUV: 10, Seed: 5})
			if err != nil {
				b.Fatal(err)
			}
			var xrt float64
			for b.Loop() {
				res, err := Session{Source: NewInt16Reader(rec.Samples), Probe: rec.Probe,
					SampleRateHz: rec.SampleRateHz, UVPerBit: rec.UVPerBit, Method: m}.Run(
					context.Background())
				if err != nil {
					b.Fatal(err)
				}
				xrt = rec.DurationS() / res.Elapsed.Seconds()
			}
			b.ReportMetric(xrt, "x_realtime")
		})
	}
}
