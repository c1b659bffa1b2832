package app

import (
	"context"
	"io"
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

// TestBenchTCP runs a short tetrode bench over loopback TCP: every row must measure both
// speed and real-time latency.
func TestBenchTCP(t *testing.T) {
	if testing.Short() {
		t.Skip("real-time latency run")
	}
	cases := []BenchCase{{Name: "tetrode", Probe: probe.Tetrode(), Units: 4, DurationS: 2,
		LatencyS: 2, TCP: true}}
	rows, err := Bench(context.Background(), cases, []Method{Baseline}, 3, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := rows[0]
	if r.Spikes == 0 || !(r.XRealTime > 0) || r.TroughToEvent.N == 0 {
		t.Fatalf("row %+v: want spikes, speed and latency events", r)
	}
}
