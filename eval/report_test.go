package eval

import (
	"bytes"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spikestream/spikestream/sorting"
)

// summaryCase is the three-unit case of TestCompareSummary.
func summaryCase(t *testing.T) *Result {
	t.Helper()
	tr := slices.Concat(train(1000, 1000, 10), train(1500, 1000, 10), train(1700, 1000, 10))
	lb := slices.Concat(labelsOf(1, 10), labelsOf(2, 10), labelsOf(3, 10))
	st := slices.Concat(train(1000, 1000, 10), train(1500, 1000, 5), train(900, 7000, 3))
	sl := slices.Concat(labelsOf(10, 10), labelsOf(20, 5), labelsOf(30, 3))
	r, err := Compare(mustSorting(t, tr, lb), mustSorting(t, st, sl),
		Options{SNR: map[int64]float64{1: 12, 2: 6}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestWriteTableAndTSV(t *testing.T) {
	r := summaryCase(t)
	var b bytes.Buffer
	if err := WriteTSV(&b, r); err != nil {
		t.Fatal(err)
	}
	want := "true_id\tsnr\tn_true\tsorted_id\tn_sorted\ttp\tfn\tfp\taccuracy\trecall\t" +
		"precision\tbest_agreement\n" +
		"1\t12.0\t10\t10\t10\t10\t0\t0\t1.000\t1.000\t1.000\t1.000\n" +
		"2\t6.0\t10\t20\t5\t5\t5\t0\t0.500\t0.500\t1.000\t0.500\n" +
		"3\t-\t10\t-\t0\t0\t10\t0\t0.000\t0.000\t0.000\t0.000\n"
	if b.String() != want {
		t.Errorf("tsv:\n%s\nwant\n%s", b.String(), want)
	}

	b.Reset()
	if err := WriteTable(&b, r); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 6 || lines[4] != "unpaired sorted units (1): 30" ||
		!strings.HasPrefix(lines[5], "summary: true_units=3 sorted_units=3"+
			" matched=2 well_detected=1 (0.333) mean_accuracy=0.500 mean_accuracy_snr>=5=0.750"+
			" (2 units)") || !strings.Contains(lines[5], "false_positive_units=1") {
		t.Errorf("table:\n%s", b.String())
	}
}

func TestPlots(t *testing.T) {
	dir := t.TempDir()
	r := summaryCase(t)
	for name, plot := range map[string]func(string, *Result) error{
		"snr.png": PlotAccuracySNR, "agreement.png": PlotAgreement,
	} {
		path := filepath.Join(dir, name)
		if err := plot(path, r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() < 300 {
			t.Errorf("%s: %v %v", name, err, img.Bounds())
		}
	}

	empty, err := Compare(&sorting.Sorting{SampleRateHz: 1}, &sorting.Sorting{SampleRateHz: 1},
		Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := PlotAgreement(filepath.Join(dir, "e.png"), empty); !errors.Is(err,
		ErrNothingToPlot) {
		t.Errorf("empty agreement: err %v", err)
	}
	if err := PlotAccuracySNR(filepath.Join(dir, "e.png"), empty); !errors.Is(err,
		ErrNothingToPlot) {
		t.Errorf("empty snr: err %v", err)
	}
}

func TestDisplayOrderPutsPairsOnDiagonal(t *testing.T) {
	r := summaryCase(t)
	rows, cols := displayOrder(r)
	// SNR 12 (unit 1), 6 (unit 2), unknown (unit 3); pairs 1-10, 2-20, then unpaired 30.
	if !slices.Equal(pick(r.TrueIDs, rows), []int64{1, 2, 3}) ||
		!slices.Equal(pick(r.SortedIDs, cols), []int64{10, 20, 30}) {
		t.Errorf("rows %v cols %v", pick(r.TrueIDs, rows), pick(r.SortedIDs, cols))
	}
}

func TestWriteReport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "report")
	r := summaryCase(t)
	skipped, err := WriteReport(dir, r, "note one")
	if err != nil || len(skipped) != 0 {
		t.Fatalf("skipped %v err %v", skipped, err)
	}
	for _, name := range []string{ReportTable, ReportSummary, ReportSNRPlot, ReportAgreePlot} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	sum, _ := os.ReadFile(filepath.Join(dir, ReportSummary))
	if want := SummaryLine(r) + "\nnote one\n"; string(sum) != want {
		t.Errorf("summary.txt %q, want %q", sum, want)
	}

	noSNR, err := Compare(mustSorting(t, []int64{5}, []int64{1}),
		mustSorting(t, []int64{5}, []int64{2}), Options{})
	must(t, err)
	skipped, err = WriteReport(filepath.Join(t.TempDir(), "x"), noSNR)
	if err != nil || !slices.Equal(skipped, []string{ReportSNRPlot}) {
		t.Errorf("no SNR: skipped %v err %v", skipped, err)
	}

	phy := t.TempDir()
	must(t, os.WriteFile(filepath.Join(phy, "params.py"), nil, 0o644))
	if _, err := WriteReport(phy, r); err == nil {
		t.Error("wrote a report into a phy folder")
	}
}

func TestUnpairedLine(t *testing.T) {
	r := &Result{}
	if unpairedLine(r) != "" {
		t.Error("line for no unpaired units")
	}
	for i := range 35 {
		r.UnmatchedSorted = append(r.UnmatchedSorted, int64(i))
	}
	line := unpairedLine(r)
	if !strings.HasPrefix(line, "unpaired sorted units (35): 0 1 2") ||
		!strings.HasSuffix(line, " 29 ...") {
		t.Errorf("line %q", line)
	}
}
