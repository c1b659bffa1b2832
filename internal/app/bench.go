package app

import (
	"context"
	"fmt"
	"io"
	"runtime"

	"go.uber.org/zap"

	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/sim"
)

// BenchCase is one stream the speed benchmark runs.
type BenchCase struct {
	Name      string
	Probe     *probe.Probe
	Units     int
	DurationS float64 // recording length for the throughput run
	LatencyS  float64 // recording length for the real-time latency run (0: skip)
}

// DefaultBenchCases are the tetrode and 384-channel streams of `spikestream bench`.
func DefaultBenchCases(durationS, latencyS float64) []BenchCase {
	return []BenchCase{
		{Name: "tetrode", Probe: probe.Tetrode(), Units: 6, DurationS: durationS,
			LatencyS: latencyS},
		{Name: "neuropixels1-384ch", Probe: probe.Neuropixels1(), Units: 120,
			DurationS: durationS, LatencyS: latencyS},
	}
}

// BenchRow is the measurement of one case and method.
type BenchRow struct {
	Case          string
	Method        Method
	Channels      int
	Spikes        int
	XRealTime     float64     // recording duration / wall time at max speed
	Processing    Percentiles // frame arrival to publish, at real-time pace
	TroughToEvent Percentiles // trough acquisition to event receipt, at real-time pace
	ReplayLate    Percentiles // the replayer's own lateness behind schedule (test rig)
}

// Bench runs each case through the whole live path (embedded server, replay, every stage,
// collector) for each method: once at max speed for throughput, once at real-time pace with
// 1 ms frames for latency. Progress lines go to progress.
func Bench(ctx context.Context, cases []BenchCase, methods []Method, seed int64,
	progress io.Writer, log *zap.Logger) ([]BenchRow, error) {
	var rows []BenchRow
	for _, c := range cases {
		rec, err := sim.Generate(ctx, sim.Config{Probe: c.Probe, Units: c.Units,
			DurationS: c.DurationS, NoiseUV: 10, Seed: seed})
		if err != nil {
			return nil, fmt.Errorf("simulate %s: %w", c.Name, err)
		}
		for _, m := range methods {
			fmt.Fprintf(progress, "bench %s / %s ...\n", c.Name, m)
			row, err := benchOne(ctx, c, rec, m, log)
			if err != nil {
				return nil, fmt.Errorf("bench %s %s: %w", c.Name, m, err)
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// benchOne measures one case and method.
//
// TODO: run the replayer in a process of its own, as a real acquisition system would be;
// in-process, its timer wake-ups compete with the sorter for the same two cores and its
// lateness (reported as ReplayLate) inflates the trough-to-event tail.
func benchOne(ctx context.Context, c BenchCase, rec *sim.Recording, m Method,
	log *zap.Logger) (BenchRow, error) {
	row := BenchRow{Case: c.Name, Method: m, Channels: c.Probe.NumChannels()}
	s := Session{Source: NewInt16Reader(rec.Samples), Probe: rec.Probe,
		SampleRateHz: rec.SampleRateHz, UVPerBit: rec.UVPerBit, Method: m, Log: log,
		Stream: "bench"}
	res, err := s.Run(ctx)
	if err != nil {
		return row, err
	}
	row.Spikes = len(res.AllEvents)
	row.XRealTime = rec.DurationS() / res.Elapsed.Seconds()
	if c.LatencyS <= 0 {
		return row, nil
	}
	n := min(rec.NumSamples, int(c.LatencyS*rec.SampleRateHz)) * rec.NumChannels()
	s.Source, s.Speed = NewInt16Reader(rec.Samples[:n]), 1
	// Start the real-time run without the max-speed run's garbage, as a live sorter would.
	runtime.GC()
	res, err = s.Run(ctx)
	if err != nil {
		return row, err
	}
	row.Processing, row.TroughToEvent = res.ProcessingLatency(), res.TroughToEvent()
	row.ReplayLate = res.ReplayLate()
	return row, nil
}

// PrintBench writes the rows as a Markdown table with the machine it ran on.
func PrintBench(w io.Writer, rows []BenchRow) {
	fmt.Fprintf(w, "machine: %s/%s, %d CPUs (GOMAXPROCS %d)\n\n", runtime.GOOS, runtime.GOARCH,
		runtime.NumCPU(), runtime.GOMAXPROCS(0))
	fmt.Fprintln(w, "| stream | method | ch | spikes | x real time | processing p50 / p99 / max ms "+
		"| trough->event p50 / p99 / max ms | replayer late p50 / p99 ms |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %s | %d | %d | %.2f | %.3f / %.3f / %.3f | %.3f / %.3f / %.3f "+
			"| %.3f / %.3f |\n", r.Case, r.Method, r.Channels, r.Spikes, r.XRealTime,
			r.Processing.P50, r.Processing.P99, r.Processing.Max,
			r.TroughToEvent.P50, r.TroughToEvent.P99, r.TroughToEvent.Max,
			r.ReplayLate.P50, r.ReplayLate.P99)
	}
}
