package eval

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spikestream/spikestream/sorting"
)

// messySorting returns a 30 kHz truth of units units over durS seconds and a sorting of it
// with jitter (some beyond 0.4 ms), misses, false positives, one split, one merge, and
// unassigned spikes under label 0.
func messySorting(units int, durS float64, seed uint64) (*sorting.Sorting, *sorting.Sorting) {
	r := rand.New(rand.NewPCG(seed, 3))
	n := int64(durS * 30000)
	var tt, tl, st, sl []int64
	for u := range units {
		hit := 0.5 + 0.5*float64(u)/float64(units)
		for range int(durS * (2 + 8*r.Float64())) {
			t := r.Int64N(n)
			tt, tl = append(tt, t), append(tl, int64(u))
			switch {
			case r.Float64() > hit:
				continue // missed
			case r.Float64() < 0.05:
				sl = append(sl, 0) // unassigned
			case u == 3 && t > n/2:
				sl = append(sl, 1003+100) // split after half time
			case u == 5:
				sl = append(sl, 1004) // merged into unit 4's sorted unit
			default:
				sl = append(sl, int64(1000+u))
			}
			st = append(st, max(0, t+r.Int64N(27)-13))
		}
		for range int(durS * r.Float64()) { // false positives
			st, sl = append(st, r.Int64N(n)), append(sl, int64(1000+u))
		}
	}
	truth, _ := sorting.New(30000, tt, tl)
	sorted, _ := sorting.New(30000, st, sl)
	return truth, sorted
}

// TestWriteInteropEval writes a truth folder, a sorted output and our comparison for
// eval/interop/check_eval.py when SPIKESTREAM_INTEROP_DIR is set; skipped otherwise.
func TestWriteInteropEval(t *testing.T) {
	dir := os.Getenv("SPIKESTREAM_INTEROP_DIR")
	if dir == "" {
		t.Skip("SPIKESTREAM_INTEROP_DIR not set")
	}
	truth, sorted := messySorting(20, 180, 1)
	if os.Getenv("SPIKESTREAM_INTEROP_DENSE") != "" {
		truth, sorted = denseSorting(6, 20, 2)
	}
	for _, d := range []string{"truth", "sorted"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	must(t, sorting.WriteNPZ(filepath.Join(dir, "truth", TruthNPZ), truth))
	must(t, sorting.WriteNPZ(filepath.Join(dir, "sorted", "sorting.npz"), sorted))
	must(t, sorting.WriteNPZ(filepath.Join(dir, "sorted_without_0.npz"), sorted.WithoutUnit(0)))

	var units strings.Builder
	units.WriteString("id\tclass\tx_um\ty_um\tz_um\tpeak_channel\tpeak_uv\tsnr\trate_hz\tn_spikes\n")
	snr := map[int64]float64{}
	for i, id := range truth.UnitIDs {
		snr[id] = 1 + float64(i)
		fmt.Fprintf(&units, "%d\tpyramidal\t0\t%d\t20\t%d\t%g\t%g\t5\t%d\n", id, 20*i, i,
			10*snr[id], snr[id], truth.Counts()[i])
	}
	must(t, os.WriteFile(filepath.Join(dir, "truth", UnitsTSV), []byte(units.String()), 0o644))

	res, err := Compare(truth, sorted, Options{SNR: snr})
	must(t, err)
	writeAgreement(t, filepath.Join(dir, "expected_agreement.tsv"), res)
	f, err := os.Create(filepath.Join(dir, "expected_perf.tsv"))
	must(t, err)
	defer f.Close()
	fmt.Fprintln(f, "true_id\tsorted_id\taccuracy\trecall\tprecision")
	for _, u := range res.Units {
		sid := "-"
		if u.Matched {
			sid = fmt.Sprint(u.SortedID)
		}
		fmt.Fprintf(f, "%d\t%s\t%.12f\t%.12f\t%.12f\n", u.TrueID, sid, u.Accuracy, u.Recall,
			u.Precision)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// denseSorting returns trains with spikes closer than the match window (bursts every few
// samples), so that one true spike often has several candidate partners and greedy
// nearest-first matching would differ from a maximum matching.
func denseSorting(units int, durS float64, seed uint64) (*sorting.Sorting, *sorting.Sorting) {
	r := rand.New(rand.NewPCG(seed, 4))
	n := int64(durS * 30000)
	var tt, tl, st, sl []int64
	for u := range units {
		for range int(durS * 20) {
			t := r.Int64N(n - 100)
			for k := range 1 + r.IntN(4) { // burst of 1-4 spikes 3-10 samples apart
				t += int64(k) * (3 + r.Int64N(8))
				tt, tl = append(tt, t), append(tl, int64(u))
				if r.Float64() < 0.85 {
					st, sl = append(st, max(0, t+r.Int64N(25)-12)), append(sl, int64(100+u))
				}
			}
		}
	}
	truth, _ := sorting.New(30000, tt, tl)
	sorted, _ := sorting.New(30000, st, sl)
	return truth, sorted
}

// writeAgreement writes the agreement matrix with true ids as rows and sorted ids as
// columns.
func writeAgreement(t *testing.T, path string, r *Result) {
	var b strings.Builder
	b.WriteString("true_id")
	for _, id := range r.SortedIDs {
		fmt.Fprintf(&b, "\t%d", id)
	}
	b.WriteString("\n")
	for i, id := range r.TrueIDs {
		fmt.Fprintf(&b, "%d", id)
		for j := range r.SortedIDs {
			fmt.Fprintf(&b, "\t%.12f", r.AgreementAt(i, j))
		}
		b.WriteString("\n")
	}
	must(t, os.WriteFile(path, []byte(b.String()), 0o644))
}
