package eval

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
)

// tableHeader names the per-unit columns of WriteTable and WriteTSV.
var tableHeader = []string{"true_id", "snr", "n_true", "sorted_id", "n_sorted", "tp", "fn",
	"fp", "accuracy", "recall", "precision", "best_agreement"}

// unitFields formats one unit's row; unmatched units show "-" as their sorted id.
func unitFields(u UnitResult) []string {
	sortedID := "-"
	if u.Matched {
		sortedID = strconv.FormatInt(u.SortedID, 10)
	}
	return []string{
		strconv.FormatInt(u.TrueID, 10), fmtFloat(u.SNR, 1), strconv.Itoa(u.NumTrue),
		sortedID, strconv.Itoa(u.NumSorted), strconv.Itoa(u.TP), strconv.Itoa(u.FN),
		strconv.Itoa(u.FP), fmtFloat(u.Accuracy, 3), fmtFloat(u.Recall, 3),
		fmtFloat(u.Precision, 3), fmtFloat(u.BestAgreement, 3),
	}
}

// fmtFloat formats v with prec decimals, or "-" for NaN.
func fmtFloat(v float64, prec int) string {
	if math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

// WriteTable writes the per-unit table, columns aligned for reading, one row per true unit
// in id order, followed by the summary line.
func WriteTable(w io.Writer, r *Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.Join(tableHeader, "\t")+"\t")
	for _, u := range r.Units {
		fmt.Fprintln(tw, strings.Join(unitFields(u), "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	if line := unpairedLine(r); line != "" {
		fmt.Fprintln(w, line)
	}
	_, err := fmt.Fprintln(w, SummaryLine(r))
	return err
}

// maxListedIDs bounds the unpaired sorted ids listed by WriteTable.
const maxListedIDs = 30

// unpairedLine lists the sorted units paired with no true unit, or returns "".
func unpairedLine(r *Result) string {
	ids := r.UnmatchedSorted
	if len(ids) == 0 {
		return ""
	}
	parts := make([]string, 0, min(len(ids), maxListedIDs)+1)
	for _, id := range ids[:min(len(ids), maxListedIDs)] {
		parts = append(parts, strconv.FormatInt(id, 10))
	}
	if len(ids) > maxListedIDs {
		parts = append(parts, "...")
	}
	return fmt.Sprintf("unpaired sorted units (%d): %s", len(ids), strings.Join(parts, " "))
}

// WriteTSV writes the per-unit table as tab-separated values with a header row.
func WriteTSV(w io.Writer, r *Result) error {
	var b strings.Builder
	b.WriteString(strings.Join(tableHeader, "\t") + "\n")
	for _, u := range r.Units {
		b.WriteString(strings.Join(unitFields(u), "\t") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// SummaryLine returns the one-line summary of a comparison, e.g.
// "summary: true_units=20 sorted_units=22 matched=18 well_detected=15 (0.750) ...".
func SummaryLine(r *Result) string {
	s := r.Summary
	o := r.Options
	return fmt.Sprintf("summary: true_units=%d sorted_units=%d matched=%d "+
		"well_detected=%d (%s) mean_accuracy=%s mean_accuracy_snr>=%g=%s (%d units) "+
		"mean_recall=%s mean_precision=%s false_positive_units=%d unassigned_spikes=%d "+
		"delta_ms=%g",
		s.NumTrue, s.NumSorted, s.NumMatched, s.NumWellDetected,
		fmtFloat(s.WellDetectedFrac, 3), fmtFloat(s.MeanAccuracy, 3), o.MinSNR,
		fmtFloat(s.MeanAccuracyHighSNR, 3), s.NumHighSNR, fmtFloat(s.MeanRecall, 3),
		fmtFloat(s.MeanPrecision, 3), s.NumFalsePosUnits, s.NumUnassigned, o.DeltaMs)
}

// Names of the files WriteReport writes.
const (
	ReportTable       = "eval_units.tsv"
	ReportSummary     = "summary.txt"
	ReportSNRPlot     = "accuracy_snr.png"
	ReportAgreePlot   = "agreement.png"
	reportPermissions = 0o644
)

// WriteReport writes the per-unit table (eval_units.tsv), the summary line plus any notes
// (summary.txt) and the two figures (accuracy_snr.png, agreement.png) into dir, creating
// it. A figure with nothing to show is skipped and named in the returned list; other
// failures are errors. dir must not be a phy folder: read_phy reads every .tsv there.
func WriteReport(dir string, r *Result, notes ...string) (skipped []string, err error) {
	if _, err := os.Stat(filepath.Join(dir, "params.py")); err == nil {
		return nil, fmt.Errorf("write report: %s is a phy folder", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("write report: %w", err)
	}
	var tsv strings.Builder
	if err := WriteTSV(&tsv, r); err != nil {
		return nil, err
	}
	summary := strings.Join(append([]string{SummaryLine(r)}, notes...), "\n") + "\n"
	for name, text := range map[string]string{ReportTable: tsv.String(),
		ReportSummary: summary} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text),
			reportPermissions); err != nil {
			return nil, fmt.Errorf("write report: %w", err)
		}
	}

	plots := []struct {
		name string
		plot func(string, *Result) error
	}{{ReportSNRPlot, PlotAccuracySNR}, {ReportAgreePlot, PlotAgreement}}
	for _, p := range plots {
		err := p.plot(filepath.Join(dir, p.name), r)
		if errors.Is(err, ErrNothingToPlot) {
			skipped = append(skipped, p.name)
			continue
		}
		if err != nil {
			return skipped, fmt.Errorf("write report: %w", err)
		}
	}
	return skipped, nil
}
