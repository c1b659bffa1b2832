package app

import (
	"context"
	"fmt"
	"io"

	"go.uber.org/zap"

	"github.com/spikestream/spikestream/eval"
	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/sim"
	"github.com/spikestream/spikestream/sorting"
)

// Accuracy compares a sorting with a simulated recording's truth using SpikeInterface's
// definitions (0.4 ms, Hungarian pairing at agreement 0.5, SNR >= 5 mean) and returns the
// summary line.
func Accuracy(rec *sim.Recording, s *sorting.Sorting) (string, error) {
	r, err := compareToTruth(rec, s)
	if err != nil {
		return "", err
	}
	sm := r.Summary
	return fmt.Sprintf("mean accuracy %.3f over %d units with SNR >= 5 (all units %.3f); "+
		"%d of %d true units well detected (accuracy >= 0.8); recall %.3f, precision %.3f",
		sm.MeanAccuracyHighSNR, sm.NumHighSNR, sm.MeanAccuracy, sm.NumWellDetected, sm.NumTrue,
		sm.MeanRecall, sm.MeanPrecision), nil
}

func compareToTruth(rec *sim.Recording, s *sorting.Sorting) (*eval.Result, error) {
	truth, err := eval.TruthFromRecording(rec)
	if err != nil {
		return nil, err
	}
	return eval.Compare(truth.Sorting, s, eval.Options{SNR: truth.SNR()})
}

// SortRecording is an eval.SortFunc: it sorts an in-memory recording through the whole
// live path (embedded server, max-speed replay, every stage, bus collector) with method m.
// A recording from sim.Stream (Samples nil) is rendered afresh as it is replayed. With
// deterministic set the assigner's passes run in step with the stream (as for
// `sort --input`), so the same recording always gives the same labels; otherwise they run
// in the background as in live sorting, and their timing varies from run to run.
func SortRecording(m Method, deterministic bool, log *zap.Logger) eval.SortFunc {
	return func(ctx context.Context, rec *sim.Recording) (*sorting.Sorting, error) {
		src, err := samplesOf(ctx, rec)
		if err != nil {
			return nil, err
		}
		res, err := Session{Source: src, Probe: rec.Probe, SampleRateHz: rec.SampleRateHz,
			UVPerBit: rec.UVPerBit, Method: m, Log: log, Stream: "accuracy",
			Deterministic: deterministic}.Run(ctx)
		if err != nil {
			return nil, err
		}
		return res.Sorting, nil
	}
}

// samplesOf returns a reader of rec's samples as little-endian int16: its Samples, or for a
// streamed recording a new rendering of its Config.
func samplesOf(ctx context.Context, rec *sim.Recording) (io.Reader, error) {
	if rec.Samples != nil {
		return NewInt16Reader(rec.Samples), nil
	}
	_, r, err := sim.Stream(ctx, rec.Config)
	if err != nil {
		return nil, fmt.Errorf("render streamed recording: %w", err)
	}
	return r, nil
}

// streamCase is an eval.GenerateFunc for recordings too long to hold in memory: it returns
// the recording without samples, which SortRecording renders as it replays them.
func streamCase(ctx context.Context, cfg sim.Config) (*sim.Recording, error) {
	rec, _, err := sim.Stream(ctx, cfg)
	return rec, err
}

// AccuracySeedBase offsets the seeds of the accuracy benchmark's recordings; training uses
// seeds below it (see models), so these recordings and their placements are held out.
const AccuracySeedBase = 900_000

// HeldOutLibrarySeed draws the cell library of the accuracy benchmark: different cells
// (morphologies, channel densities) from the library the shipped models were trained on.
const HeldOutLibrarySeed = 20261203

// AccuracyCases are the held-out recordings of `spikestream bench --accuracy`: tetrodes with
// 5-10 units at 10 uV, and a 384-channel recording with 100 units and 20 um of rigid drift
// over the whole duration. The 384-channel recording (23 MB per second) is streamed: its
// samples are rendered as they are replayed, so any duration fits in memory.
func AccuracyCases(durationS float64, seed int64) []eval.AccuracyCase {
	base := AccuracySeedBase + seed*100
	var cs []eval.AccuracyCase
	for i, units := range []int{5, 8, 10} {
		cs = append(cs, eval.AccuracyCase{
			Name: fmt.Sprintf("tetrode-%du", units),
			Config: sim.Config{Probe: probe.Tetrode(), Units: units, DurationS: durationS,
				NoiseUV: 10, Seed: base + int64(i), LibrarySeed: HeldOutLibrarySeed},
		})
	}
	cs = append(cs, eval.AccuracyCase{
		Name: "np1-100u-drift20um",
		Config: sim.Config{Probe: probe.Neuropixels1(), Units: 100, DurationS: durationS,
			NoiseUV: 10, DriftUm: 20, Seed: base + 10, LibrarySeed: HeldOutLibrarySeed},
		Generate: streamCase,
	})
	return cs
}

// AccuracyBench configures `spikestream bench --accuracy`.
type AccuracyBench struct {
	DurationS float64  // length of each held-out recording, s
	Methods   []Method // sorters compared side by side
	Seed      int64    // selects the held-out recordings (see AccuracyCases)
	// Deterministic runs the assigner's passes in step with the stream (see SortRecording).
	Deterministic bool
}

// Run sorts every held-out case with every method and writes the table to w.
func (b AccuracyBench) Run(ctx context.Context, w io.Writer, log *zap.Logger) error {
	var sorters []eval.NamedSorter
	for _, m := range b.Methods {
		sorters = append(sorters, eval.NamedSorter{Name: string(m),
			Sort: SortRecording(m, b.Deterministic, log)})
	}
	mode := ""
	if b.Deterministic {
		mode = " --deterministic"
	}
	fmt.Fprintf(w, "spikestream bench --accuracy --accuracy-duration %gs --seed %d%s\n\n",
		b.DurationS, b.Seed, mode)
	_, err := eval.RunAccuracy(ctx, AccuracyCases(b.DurationS, b.Seed), sorters, w)
	return err
}
