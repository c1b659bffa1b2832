package eval

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/spikestream/spikestream/sorting"
)

func mustSorting(t testing.TB, times, labels []int64, extra ...int64) *sorting.Sorting {
	t.Helper()
	s, err := sorting.New(30000, times, labels, extra...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// train returns n spike times start, start+step, ...
func train(start, step int64, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = start + int64(i)*step
	}
	return out
}

func labelsOf(id int64, n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = id
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestDeltaSamples(t *testing.T) {
	for _, c := range []struct {
		ms, hz float64
		want   int64
	}{{0.4, 30000, 12}, {0.4, 25000, 10}, {0.4, 32000, 12}, {0.4, 10000, 4}, {1, 30000, 30}} {
		if got := DeltaSamples(c.ms, c.hz); got != c.want {
			t.Errorf("%v ms at %v Hz: %d, want %d", c.ms, c.hz, got, c.want)
		}
	}
}

func TestCompareHandCases(t *testing.T) {
	tr10 := train(1000, 1000, 10)
	cases := []struct {
		name     string
		truth    *sorting.Sorting
		sorted   *sorting.Sorting
		opt      Options
		accuracy []float64 // per true unit
		matched  []int64   // sorted id per true unit, -1 unmatched
		fpUnits  int
		// unassigned is the number of label-0 spikes dropped.
		unassigned int
	}{
		{
			name:     "identical with other ids",
			truth:    mustSorting(t, tr10, labelsOf(3, 10)),
			sorted:   mustSorting(t, tr10, labelsOf(77, 10)),
			accuracy: []float64{1}, matched: []int64{77},
		},
		{
			name:   "jitter of 12 samples matches, 13 does not",
			truth:  mustSorting(t, []int64{1000, 2000}, []int64{1, 1}),
			sorted: mustSorting(t, []int64{1012, 2013}, []int64{5, 5}),
			// 1 match: agreement 1/(2+2-1) = 1/3 < 0.5, so unmatched.
			accuracy: []float64{0}, matched: []int64{-1}, fpUnits: 1,
		},
		{
			name:   "sorted unit splits a true unit",
			truth:  mustSorting(t, tr10, labelsOf(1, 10)),
			sorted: mustSorting(t, tr10, []int64{8, 8, 9, 8, 9, 8, 9, 8, 9, 8}),
			// unit 8 holds 6 of 10: agreement 6/10; unit 9 holds 4: 4/10, left over.
			accuracy: []float64{0.6}, matched: []int64{8}, fpUnits: 1,
		},
		{
			name:   "two sorted spikes within delta of one true spike",
			truth:  mustSorting(t, []int64{100, 5000}, []int64{1, 1}),
			sorted: mustSorting(t, []int64{95, 105, 5000}, []int64{2, 2, 2}),
			// one-to-one: 2 matches of 2 true and 3 sorted: 2/3.
			accuracy: []float64{2.0 / 3}, matched: []int64{2},
		},
		{
			name:   "chain needs the earliest free partner",
			truth:  mustSorting(t, []int64{100, 120}, []int64{1, 1}),
			sorted: mustSorting(t, []int64{110, 130}, []int64{2, 2}),
			// 100->110 and 120->130; matching 120 to 110 would lose one.
			accuracy: []float64{1}, matched: []int64{2},
		},
		{
			name:     "label 0 is unassigned by default",
			truth:    mustSorting(t, tr10, labelsOf(1, 10)),
			sorted:   mustSorting(t, tr10, labelsOf(0, 10)),
			accuracy: []float64{0}, matched: []int64{-1}, unassigned: 10,
		},
		{
			name:     "label 0 kept on request",
			truth:    mustSorting(t, tr10, labelsOf(1, 10)),
			sorted:   mustSorting(t, tr10, labelsOf(0, 10)),
			opt:      Options{KeepUnitZero: true},
			accuracy: []float64{1}, matched: []int64{0},
		},
		{
			name:   "false positives lower precision and accuracy",
			truth:  mustSorting(t, tr10, labelsOf(1, 10)),
			sorted: mustSorting(t, append(slices.Clone(tr10), 20000, 30000), labelsOf(4, 12)),
			// tp 10, fp 2: accuracy 10/12.
			accuracy: []float64{10.0 / 12}, matched: []int64{4},
		},
	}
	for _, c := range cases {
		r, err := Compare(c.truth, c.sorted, c.opt)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for i, u := range r.Units {
			id := int64(-1)
			if u.Matched {
				id = u.SortedID
			}
			if !near(u.Accuracy, c.accuracy[i]) || id != c.matched[i] {
				t.Errorf("%s: unit %d accuracy %v paired %d, want %v paired %d", c.name,
					u.TrueID, u.Accuracy, id, c.accuracy[i], c.matched[i])
			}
		}
		if r.Summary.NumUnassigned != c.unassigned {
			t.Errorf("%s: %d unassigned, want %d", c.name, r.Summary.NumUnassigned,
				c.unassigned)
		}
		if r.Summary.NumFalsePosUnits != c.fpUnits {
			t.Errorf("%s: %d false-positive units, want %d", c.name,
				r.Summary.NumFalsePosUnits, c.fpUnits)
		}
	}
}

func TestCompareSplitCounts(t *testing.T) {
	truth := mustSorting(t, train(1000, 1000, 10), labelsOf(1, 10))
	sorted := mustSorting(t, train(1003, 1000, 10), []int64{8, 8, 9, 8, 9, 8, 9, 8, 9, 8})
	r, err := Compare(truth, sorted, Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := r.Units[0]
	if u.TP != 6 || u.FN != 4 || u.FP != 0 || !near(u.Recall, 0.6) || u.Precision != 1 {
		t.Errorf("got %+v", u)
	}
	if !near(r.AgreementAt(0, 1), 0.4) || !slices.Equal(r.UnmatchedSorted, []int64{9}) {
		t.Errorf("agreement with 9: %v, unmatched %v", r.AgreementAt(0, 1), r.UnmatchedSorted)
	}
}

func TestCompareMergeTie(t *testing.T) {
	// One sorted unit holds all spikes of true units 1 and 2: agreement 0.5 with each. Only
	// one of them can be paired; the other scores 0.
	a, b := train(1000, 1000, 10), train(1500, 1000, 10)
	truth := mustSorting(t, slices.Concat(a, b), slices.Concat(labelsOf(1, 10), labelsOf(2, 10)))
	sorted := mustSorting(t, slices.Concat(a, b), labelsOf(5, 20))
	r, err := Compare(truth, sorted, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.NumMatched != 1 || !near(r.Summary.MeanAccuracy, 0.25) {
		t.Errorf("matched %d mean accuracy %v, want 1 and 0.25", r.Summary.NumMatched,
			r.Summary.MeanAccuracy)
	}
	for _, u := range r.Units {
		if u.Matched && (!near(u.Accuracy, 0.5) || u.FP != 10) {
			t.Errorf("paired unit %+v", u)
		}
	}
}

func TestCompareSummary(t *testing.T) {
	tr := slices.Concat(train(1000, 1000, 10), train(1500, 1000, 10), train(1700, 1000, 10))
	lb := slices.Concat(labelsOf(1, 10), labelsOf(2, 10), labelsOf(3, 10))
	truth := mustSorting(t, tr, lb)
	// Unit 1 found perfectly, unit 2 with half its spikes (accuracy 0.5), unit 3 missed.
	st := slices.Concat(train(1000, 1000, 10), train(1500, 1000, 5))
	sl := slices.Concat(labelsOf(10, 10), labelsOf(20, 5))
	sorted := mustSorting(t, st, sl)
	snr := map[int64]float64{1: 12, 2: 6, 3: 2}
	r, err := Compare(truth, sorted, Options{SNR: snr})
	if err != nil {
		t.Fatal(err)
	}
	s := r.Summary
	if s.NumTrue != 3 || s.NumSorted != 2 || s.NumMatched != 2 || s.NumWellDetected != 1 ||
		!near(s.WellDetectedFrac, 1.0/3) || !near(s.MeanAccuracy, 0.5) ||
		!near(s.MeanRecall, 0.5) || !near(s.MeanPrecision, 2.0/3) || s.NumHighSNR != 2 ||
		!near(s.MeanAccuracyHighSNR, 0.75) || s.NumFalsePosUnits != 0 {
		t.Errorf("summary %+v", s)
	}
	if r.Units[0].SNR != 12 {
		t.Errorf("unit 1 SNR %v", r.Units[0].SNR)
	}
}

func TestCompareEmpty(t *testing.T) {
	empty := &sorting.Sorting{SampleRateHz: 30000}
	some := mustSorting(t, train(100, 100, 5), labelsOf(1, 5))
	cases := []struct {
		name          string
		truth, sorted *sorting.Sorting
	}{{"both empty", empty, empty}, {"empty truth", empty, some}, {"empty sorted", some, empty}}
	for _, c := range cases {
		r, err := Compare(c.truth, c.sorted, Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if r.Summary.NumMatched != 0 || len(r.Units) != len(c.truth.UnitIDs) {
			t.Errorf("%s: %+v", c.name, r.Summary)
		}
	}
	r, _ := Compare(some, empty, Options{})
	if r.Units[0].Accuracy != 0 || r.Summary.MeanAccuracy != 0 ||
		!math.IsNaN(r.Summary.MeanAccuracyHighSNR) {
		t.Errorf("empty sorted: %+v", r.Summary)
	}
	r, _ = Compare(empty, some, Options{})
	if !math.IsNaN(r.Summary.MeanAccuracy) || r.Summary.NumFalsePosUnits != 1 {
		t.Errorf("empty truth: %+v", r.Summary)
	}
}

func TestCompareRejects(t *testing.T) {
	a := mustSorting(t, []int64{1}, []int64{1})
	b, _ := sorting.New(20000, []int64{1}, []int64{1})
	if _, err := Compare(a, b, Options{}); !errors.Is(err, ErrRateMismatch) {
		t.Errorf("rate mismatch: err %v", err)
	}
	for _, o := range []Options{{DeltaMs: -1}, {MatchScore: math.NaN()}, {MinSNR: math.Inf(1)}} {
		if _, err := Compare(a, a, o); !errors.Is(err, ErrBadOptions) {
			t.Errorf("options %+v: err %v", o, err)
		}
	}
	bad := &sorting.Sorting{SampleRateHz: 30000, Times: []int64{2, 1}, Labels: []int64{1, 1},
		UnitIDs: []int64{1}}
	if _, err := Compare(a, bad, Options{}); !errors.Is(err, sorting.ErrInvalid) {
		t.Errorf("invalid sorted: err %v", err)
	}
}

// maxMatchingBrute counts a maximum one-to-one matching of two spike trains by augmenting
// paths (Kuhn's algorithm), independent of the sweep.
func maxMatchingBrute(a, b []int64, delta int64) int {
	owner := make([]int, len(b))
	for i := range owner {
		owner[i] = -1
	}
	var try func(i int, seen []bool) bool
	try = func(i int, seen []bool) bool {
		for j := range b {
			if seen[j] || a[i]-b[j] > delta || b[j]-a[i] > delta {
				continue
			}
			seen[j] = true
			if owner[j] < 0 || try(owner[j], seen) {
				owner[j] = i
				return true
			}
		}
		return false
	}
	n := 0
	for i := range a {
		if try(i, make([]bool, len(b))) {
			n++
		}
	}
	return n
}

func TestMatchCountsAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for trial := range 200 {
		nT, nS := 1+r.IntN(3), 1+r.IntN(3)
		var tt, tl, st, sl []int64
		for range r.IntN(30) {
			tt = append(tt, int64(r.IntN(200)))
			tl = append(tl, int64(r.IntN(nT)))
		}
		for range r.IntN(30) {
			st = append(st, int64(r.IntN(200)))
			sl = append(sl, int64(r.IntN(nS)))
		}
		truth, sorted := mustSorting(t, tt, tl), mustSorting(t, st, sl)
		delta := int64(r.IntN(15))
		got, err := matchCounts(truth, sorted, delta)
		if err != nil {
			t.Fatal(err)
		}
		tTrains, sTrains := truth.Trains(), sorted.Trains()
		for i := range tTrains {
			for j := range sTrains {
				want := maxMatchingBrute(tTrains[i], sTrains[j], delta)
				if int(got[i*len(sTrains)+j]) != want {
					t.Fatalf("trial %d pair %d,%d: %d matches, brute force %d", trial, i, j,
						got[i*len(sTrains)+j], want)
				}
			}
		}
	}
}

// syntheticPair returns a truth of n spikes over units and a sorting that finds it with
// jitter, 5% drops and a relabelling, at 30 kHz over 10 minutes.
func syntheticPair(n, units int) (*sorting.Sorting, *sorting.Sorting) {
	r := rand.New(rand.NewPCG(4, 2))
	tt, tl := make([]int64, n), make([]int64, n)
	var st, sl []int64
	for i := range tt {
		tt[i] = int64(r.IntN(30000 * 600))
		tl[i] = int64(r.IntN(units))
		if r.Float64() > 0.05 {
			st = append(st, max(0, tt[i]+int64(r.IntN(9))-4))
			sl = append(sl, 1000+tl[i])
		}
	}
	truth, _ := sorting.New(30000, tt, tl)
	sorted, _ := sorting.New(30000, st, sl)
	return truth, sorted
}

func TestCompareLargeIsFast(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	truth, sorted := syntheticPair(n, 300)
	r, err := Compare(truth, sorted, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.NumMatched != 300 || r.Summary.MeanAccuracy < 0.93 ||
		r.Summary.MeanAccuracy > 0.96 {
		t.Errorf("summary %+v", r.Summary)
	}
}

func BenchmarkCompare1M300Units(b *testing.B) {
	truth, sorted := syntheticPair(1_000_000, 300)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compare(truth, sorted, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
