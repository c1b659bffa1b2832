package eval

import (
	"fmt"
	"io"
	"math"
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
	_, err := fmt.Fprintln(w, SummaryLine(r))
	return err
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
		"mean_recall=%s mean_precision=%s false_positive_units=%d delta_ms=%g",
		s.NumTrue, s.NumSorted, s.NumMatched, s.NumWellDetected,
		fmtFloat(s.WellDetectedFrac, 3), fmtFloat(s.MeanAccuracy, 3), o.MinSNR,
		fmtFloat(s.MeanAccuracyHighSNR, 3), s.NumHighSNR, fmtFloat(s.MeanRecall, 3),
		fmtFloat(s.MeanPrecision, 3), s.NumFalsePosUnits, o.DeltaMs)
}
