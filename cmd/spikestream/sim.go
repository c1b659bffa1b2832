package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spikestream/spikestream/sim"
	"github.com/spikestream/spikestream/sim/report"
)

func init() {
	register("sim", "simulate recordings with ground truth", runSim)
}

// simFlags holds the parsed flags of the sim command.
type simFlags struct {
	probe, out, report, libDir  string
	units, count, jumps, libN   int
	bg                          int
	dur                         seconds
	noise, rate, uvBit, driftUm float64
	nonRigid                    float64
	seed, libSeed               int64
	autoUnits                   bool // --report alone without --units
}

func parseSimFlags(args []string) (*simFlags, error) {
	fs := newFlags("sim", "--probe P --units N --duration D --out DIR [--count K] | --report DIR")
	f := &simFlags{dur: 60}
	fs.StringVar(&f.probe, "probe", "", "tetrode, poly32, neuropixels1 or a probeinterface JSON")
	fs.IntVar(&f.units, "units", 20,
		"cells near the probe (with --count: the mean; --report alone: a quarter of what fits)")
	fs.Var(&f.dur, "duration", "recording length: seconds or a duration like 60s or 10m")
	fs.Float64Var(&f.noise, "noise-uv", sim.DefaultNoiseUV, "noise RMS, uV")
	fs.Int64Var(&f.seed, "seed", 1, "random seed; the same flags give the same recording")
	fs.StringVar(&f.out, "out", "", "output directory")
	fs.Float64Var(&f.rate, "rate-hz", sim.DefaultSampleRateHz, "sample rate, 10000-50000 Hz")
	fs.Float64Var(&f.uvBit, "uv-per-bit", sim.DefaultUVPerBit, "int16 quantisation step, uV")
	fs.Float64Var(&f.driftUm, "drift-um", 0, "total slow drift along the shank, um")
	fs.IntVar(&f.jumps, "drift-jumps", 0, "number of sudden probe jumps")
	fs.Float64Var(&f.nonRigid, "drift-nonrigid", 0, "depth gradient of drift, -1..1")
	fs.IntVar(&f.bg, "background", 0, "far background cells (0: default, -1: none)")
	fs.IntVar(&f.count, "count", 0, "write K recordings DIR/rec_000... with varied parameters")
	fs.StringVar(&f.report, "report", "", "write figures and report.md about a recording here")
	fs.StringVar(&f.libDir, "library-dir", "", "cell library cache (default: user cache dir)")
	fs.IntVar(&f.libN, "library-size", 0, "cells in the library (default 200)")
	fs.Int64Var(&f.libSeed, "library-seed", 0, "seed of the cell library (default: the "+
		"library the shipped models were trained on; another seed holds cells out)")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	f.reportDefaults(fs)
	return f, f.check()
}

// reportDefaults gives a report-only run (no --out) more units (a quarter of what fits
// near the probe, 10 to 100) and a shorter recording than a plain simulation, unless the
// user chose them: the figures need statistics, not length.
func (f *simFlags) reportDefaults(fs *flag.FlagSet) {
	if f.report == "" || f.out != "" {
		return
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	f.autoUnits = !set["units"]
	if !set["duration"] {
		f.dur = 30
	}
}

// check rejects flag combinations that cannot work, before any simulation.
func (f *simFlags) check() error {
	switch {
	case f.out == "" && f.report == "":
		return errors.New("--out DIR (or --report DIR) is required")
	case f.count < 0:
		return fmt.Errorf("--count %d must not be negative", f.count)
	case f.count > 0 && f.out == "":
		return errors.New("--count needs --out")
	case f.count > 0 && f.report != "":
		return errors.New("--report works on one recording, not with --count")
	case f.count > 10000:
		return fmt.Errorf("--count %d is more than 10000", f.count)
	}
	if f.probe == "" && f.report != "" && f.out == "" {
		if _, err := os.Stat(filepath.Join(f.report, sim.FileMeta)); err == nil {
			return nil // report on the recording already in the directory
		}
		f.probe = "neuropixels1"
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	return cfg.Validate()
}

// config returns the Config of the flags (the first recording of a dataset).
func (f *simFlags) config() (sim.Config, error) {
	p, err := loadProbe(f.probe)
	if err != nil {
		return sim.Config{}, err
	}
	units := f.units
	if f.autoUnits {
		units = min(100, max(10, sim.MaxUnits(p)/4))
	}
	return sim.Config{Probe: p, Units: units, DurationS: float64(f.dur),
		SampleRateHz: f.rate, NoiseUV: f.noise, UVPerBit: f.uvBit, Seed: f.seed,
		DriftUm: f.driftUm, DriftJumps: f.jumps, DriftNonRigid: f.nonRigid,
		BackgroundCells: f.bg, LibraryDir: f.libDir, LibrarySize: f.libN,
		LibrarySeed: f.libSeed}, nil
}

func runSim(args []string) error {
	f, err := parseSimFlags(args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch {
	case f.count > 0:
		return simDataset(ctx, f)
	case f.out != "":
		rec, err := simOne(ctx, f)
		if err != nil || f.report == "" {
			return err
		}
		return report.Write(f.report, rec)
	}
	return simReport(ctx, f)
}

// simOne generates the recording of the flags and writes it to --out.
func simOne(ctx context.Context, f *simFlags) (*sim.Recording, error) {
	cfg, err := f.config()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	rec, err := sim.Generate(ctx, cfg)
	if err != nil {
		return nil, err
	}
	genS := time.Since(start).Seconds()
	if err := rec.WriteDir(f.out); err != nil {
		return nil, err
	}
	fmt.Fprintf(stderr, "sim: %s: %d units, %d spikes, %.1f s of %d channels in %.2f s "+
		"(%.0fx real time), written in %.2f s\n", f.out, len(rec.Units), len(rec.Truth),
		rec.DurationS(), rec.NumChannels(), genS, rec.DurationS()/genS,
		time.Since(start).Seconds()-genS)
	return rec, nil
}

// simReport writes the report about the recording in --report, or about a new one.
func simReport(ctx context.Context, f *simFlags) error {
	if _, err := os.Stat(filepath.Join(f.report, sim.FileMeta)); err == nil && f.probe == "" {
		rec, err := sim.ReadDir(f.report)
		if err != nil {
			return err
		}
		return report.Write(f.report, rec)
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	rec, err := sim.Generate(ctx, cfg)
	if err != nil {
		return err
	}
	return report.Write(f.report, rec)
}

// datasetConfig returns the randomised Config of recording i of a dataset: units between
// half and one and a half times --units, noise 0.6-1.4 times --noise-uv, drift up to
// --drift-um with up to --drift-jumps jumps, and a seed derived from --seed and i.
func datasetConfig(base sim.Config, i int) sim.Config {
	r := rand.New(rand.NewPCG(uint64(base.Seed), uint64(i)+1))
	cfg := base
	cfg.Seed = int64(r.Uint64() >> 1)
	lo, hi := max(1, base.Units/2), max(1, base.Units*3/2)
	cfg.Units = min(lo+r.IntN(hi-lo+1), sim.MaxUnits(base.Probe))
	cfg.NoiseUV = base.NoiseUV * (0.6 + 0.8*r.Float64())
	cfg.DriftUm = base.DriftUm * r.Float64()
	if r.IntN(2) == 0 {
		cfg.DriftUm = -cfg.DriftUm
	}
	if base.DriftJumps > 0 {
		cfg.DriftJumps = r.IntN(base.DriftJumps + 1)
	}
	return cfg
}

// simDataset writes --count recordings into --out/rec_NNN, two at a time, with a progress
// bar on stderr.
func simDataset(ctx context.Context, f *simFlags) error {
	base, err := f.config()
	if err != nil {
		return err
	}
	if base.NoiseUV == 0 {
		base.NoiseUV = sim.DefaultNoiseUV
	}
	for i := range f.count {
		if err := datasetConfig(base, i).Validate(); err != nil {
			return fmt.Errorf("recording %d: %w", i, err)
		}
	}
	bar := newProgress(f.count)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int) // closed by the feeder below
	var wg sync.WaitGroup
	for range min(2, f.count) {
		wg.Go(func() {
			var buf []int16 // reused across this worker's recordings: no fresh page faults
			for i := range next {
				var err error
				if buf, err = simDatasetOne(ctx, base, f.out, i, buf); err != nil {
					cancel(err)
					return
				}
				bar.done()
			}
		})
	}
	feedIndices(ctx, next, f.count)
	wg.Wait()
	bar.finish()
	return context.Cause(ctx)
}

// simDatasetOne writes recording i of a dataset, generating into buf when it is large
// enough, and returns the buffer to reuse.
func simDatasetOne(ctx context.Context, base sim.Config, out string, i int,
	buf []int16) ([]int16, error) {
	rec, err := sim.GenerateInto(ctx, datasetConfig(base, i), buf)
	if err != nil {
		return buf, fmt.Errorf("recording %d: %w", i, err)
	}
	if err := rec.WriteDir(filepath.Join(out, fmt.Sprintf("rec_%03d", i))); err != nil {
		return buf, fmt.Errorf("recording %d: %w", i, err)
	}
	return rec.Samples, nil
}

// feedIndices sends 0..n-1 until ctx ends, then closes next.
func feedIndices(ctx context.Context, next chan<- int, n int) {
	defer close(next)
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			return
		}
	}
}

// progress draws a one-line progress bar on stderr; safe for concurrent use.
type progress struct {
	mu    sync.Mutex
	n, k  int
	start time.Time
}

func newProgress(n int) *progress {
	p := &progress{n: n, start: time.Now()}
	p.draw()
	return p
}

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.k++
	p.draw()
}

func (p *progress) draw() {
	const width = 30
	filled := int(math.Round(width * float64(p.k) / float64(max(p.n, 1))))
	el := time.Since(p.start).Seconds()
	eta := "?"
	if p.k > 0 {
		eta = fmt.Sprintf("%.0fs", el/float64(p.k)*float64(p.n-p.k))
	}
	fmt.Fprintf(stderr, "\r[%s%s] %d/%d  %.0fs elapsed, eta %s ", strings.Repeat("#", filled),
		strings.Repeat(".", width-filled), p.k, p.n, el, eta)
}

func (p *progress) finish() { fmt.Fprintln(stderr) }
