package eval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spikestream/spikestream/sim"
	"github.com/spikestream/spikestream/sorting"
)

// SortFunc sorts a whole simulated recording and returns its sorting at the recording's
// sample rate. Label 0 means "unassigned" unless the case's Options.KeepUnitZero is set.
// It must return promptly with ctx's error when ctx ends.
type SortFunc func(ctx context.Context, rec *sim.Recording) (*sorting.Sorting, error)

// NamedSorter is a sorter under test, e.g. {"learned", ...} or {"baseline", ...}.
type NamedSorter struct {
	Name string
	Sort SortFunc
}

// GenerateFunc synthesises a recording; sim.Generate is the default.
type GenerateFunc func(ctx context.Context, cfg sim.Config) (*sim.Recording, error)

// AccuracyCase is one held-out simulated recording of the accuracy benchmark.
type AccuracyCase struct {
	Name     string
	Config   sim.Config
	Generate GenerateFunc // nil: sim.Generate
	// Options configures the comparison; Options.SNR is filled from the recording's units.
	Options Options
	// StabilityWindowS is the unit-id stability window, s [DefaultStabilityWindowS].
	StabilityWindowS float64
}

// AccuracyRow is the result of one sorter on one case.
type AccuracyRow struct {
	Case, Sorter string
	Probe        string
	Units        int     // true units in the recording
	NoiseUV      float64 // noise of the recording's config, uV
	DriftUm      float64 // rigid drift of the recording's config, um
	DurationS    float64
	SortS        float64 // wall time of the sort, s
	Summary      Summary
	Stability    *Stability // nil when the recording is shorter than two windows
	Err          error      // the sorter's or the comparison's error; the row is empty then
}

// RunAccuracy generates each case's recording once, runs every sorter on it, compares the
// result to the recording's truth and writes a side-by-side table to w (one row per case
// and sorter as it completes, then the per-sorter means). acc_hi_snr is the mean accuracy
// over units with SNR >= Options.MinSNR (5 by default); id_stable counts units that kept
// their sorted id in every 1-minute window after the first. A sorter that fails on a case
// gets a row with Err set and the run goes on; the returned error joins those failures.
// Generation failures and ctx ending stop the run. Recordings are dropped after their case.
func RunAccuracy(ctx context.Context, cases []AccuracyCase, sorters []NamedSorter,
	w io.Writer) ([]AccuracyRow, error) {
	tw := &rowWriter{w: w}
	tw.row(accuracyHeader)
	var rows []AccuracyRow
	var failures []error
	for _, c := range cases {
		rec, err := generateCase(ctx, c)
		if err != nil {
			return rows, err
		}
		for _, s := range sorters {
			row := runOne(ctx, c, s, rec)
			if err := ctx.Err(); err != nil {
				return rows, fmt.Errorf("accuracy: %w", err)
			}
			if row.Err != nil {
				failures = append(failures, fmt.Errorf("case %s, sorter %s: %w", c.Name,
					s.Name, row.Err))
			}
			rows = append(rows, row)
			tw.row(accuracyFields(row))
		}
	}
	writeMeans(tw, rows, sorters)
	if tw.err != nil {
		return rows, fmt.Errorf("accuracy: write table: %w", tw.err)
	}
	return rows, errors.Join(failures...)
}

// generateCase synthesises a case's recording.
func generateCase(ctx context.Context, c AccuracyCase) (*sim.Recording, error) {
	gen := c.Generate
	if gen == nil {
		gen = sim.Generate
	}
	rec, err := gen(ctx, c.Config)
	if err != nil {
		return nil, fmt.Errorf("accuracy: generate case %s: %w", c.Name, err)
	}
	return rec, nil
}

// runOne sorts rec with s and scores it.
func runOne(ctx context.Context, c AccuracyCase, s NamedSorter,
	rec *sim.Recording) AccuracyRow {
	// The recording's own Config has the simulator's defaults filled in.
	cfg := rec.Config
	if cfg.NoiseUV == 0 {
		cfg = c.Config
	}
	row := AccuracyRow{Case: c.Name, Sorter: s.Name, Units: len(rec.Units),
		NoiseUV: cfg.NoiseUV, DriftUm: cfg.DriftUm, DurationS: rec.DurationS()}
	if rec.Probe != nil {
		row.Probe = rec.Probe.Name
	}
	truth, err := TruthFromRecording(rec)
	if err != nil {
		row.Err = err
		return row
	}

	start := time.Now()
	sorted, err := s.Sort(ctx, rec)
	row.SortS = time.Since(start).Seconds()
	if err != nil {
		row.Err = fmt.Errorf("sort: %w", err)
		return row
	}
	opt := c.Options
	opt.SNR = truth.SNR()
	res, err := Compare(truth.Sorting, sorted, opt)
	if err != nil {
		row.Err = err
		return row
	}
	row.Summary = res.Summary

	winS := c.StabilityWindowS
	if winS == 0 {
		winS = DefaultStabilityWindowS
	}
	if row.DurationS >= 2*winS {
		row.Stability, row.Err = IDStability(truth.Sorting, sorted, winS, opt)
	}
	return row
}

// accuracyHeader names the columns of the accuracy table.
var accuracyHeader = []string{"case", "sorter", "probe", "units", "noise_uv", "drift_um",
	"dur_s", "acc_hi_snr", "n_hi_snr", "mean_acc", "well_detected", "recall", "precision",
	"fp_units", "id_stable", "sort_s", "x_realtime"}

// accuracyFields formats one row of the accuracy table.
func accuracyFields(r AccuracyRow) []string {
	head := []string{r.Case, r.Sorter, r.Probe, strconv.Itoa(r.Units), fmtFloat(r.NoiseUV, 1),
		fmtFloat(r.DriftUm, 0), fmtFloat(r.DurationS, 0)}
	if r.Err != nil {
		return append(head, "error: "+r.Err.Error())
	}
	s := r.Summary
	stable := "-"
	if r.Stability != nil && r.Stability.NumTracked > 0 {
		stable = fmt.Sprintf("%d/%d", r.Stability.NumStable, r.Stability.NumTracked)
	}
	return append(head, fmtFloat(s.MeanAccuracyHighSNR, 3), strconv.Itoa(s.NumHighSNR),
		fmtFloat(s.MeanAccuracy, 3),
		fmt.Sprintf("%d/%d (%s)", s.NumWellDetected, s.NumTrue, fmtFloat(s.WellDetectedFrac, 2)),
		fmtFloat(s.MeanRecall, 3), fmtFloat(s.MeanPrecision, 3), strconv.Itoa(s.NumFalsePosUnits),
		stable, fmtFloat(r.SortS, 1), fmtFloat(r.DurationS/r.SortS, 1))
}

// accuracyWidths are the column widths of the accuracy table: rows are written as they
// complete, so the columns cannot be sized from the data.
var accuracyWidths = []int{14, 10, 13, 5, 8, 8, 6, 10, 8, 8, 15, 6, 9, 8, 9, 7, 10}

// rowWriter writes fixed-width rows and keeps the first write error.
type rowWriter struct {
	w   io.Writer
	err error
}

func (rw *rowWriter) row(fields []string) {
	var b strings.Builder
	for i, f := range fields {
		if i < len(accuracyWidths) && i < len(fields)-1 {
			f = fmt.Sprintf("%-*s", accuracyWidths[i], f)
		}
		b.WriteString(f)
		b.WriteByte(' ')
	}
	if rw.err == nil {
		_, rw.err = fmt.Fprintln(rw.w, strings.TrimRight(b.String(), " "))
	}
}

// writeMeans writes, per sorter, the mean over cases of the high-SNR accuracy, the
// well-detected fraction, recall and precision (skipping failed rows and NaNs), and the
// stable units summed over cases.
func writeMeans(w *rowWriter, rows []AccuracyRow, sorters []NamedSorter) {
	for _, s := range sorters {
		var acc, well, rec, prec meanOf
		n, stable, tracked := 0, 0, 0
		for _, r := range rows {
			if r.Sorter != s.Name || r.Err != nil {
				continue
			}
			n++
			if r.Stability != nil {
				stable += r.Stability.NumStable
				tracked += r.Stability.NumTracked
			}
			acc.add(r.Summary.MeanAccuracyHighSNR)
			well.add(r.Summary.WellDetectedFrac)
			rec.add(r.Summary.MeanRecall)
			prec.add(r.Summary.MeanPrecision)
		}
		w.row([]string{fmt.Sprintf("mean of %d", n), s.Name, "", "", "", "", "",
			fmtFloat(acc.mean(), 3), "", "", fmtFloat(well.mean(), 2), fmtFloat(rec.mean(), 3),
			fmtFloat(prec.mean(), 3), "", fmt.Sprintf("%d/%d", stable, tracked)})
	}
}

// meanOf accumulates a mean, ignoring NaNs.
type meanOf struct {
	sum float64
	n   int
}

func (m *meanOf) add(v float64) {
	if !math.IsNaN(v) {
		m.sum += v
		m.n++
	}
}

func (m *meanOf) mean() float64 { return m.sum / float64(m.n) }
