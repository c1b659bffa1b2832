package eval

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// bestByBruteForce returns the largest total weight over all assignments of min(r,c) pairs.
func bestByBruteForce(w []float64, rows, cols int) float64 {
	best := math.Inf(-1)
	usedCol := make([]bool, cols)
	var rec func(r int, pairs int, total float64)
	need := min(rows, cols)
	rec = func(r int, pairs int, total float64) {
		if pairs == need {
			best = max(best, total)
			return
		}
		if rows-r < need-pairs {
			return
		}
		rec(r+1, pairs, total) // leave row r unpaired
		for c := range cols {
			if !usedCol[c] {
				usedCol[c] = true
				rec(r+1, pairs+1, total+w[r*cols+c])
				usedCol[c] = false
			}
		}
	}
	rec(0, 0, 0)
	return best
}

func checkAssignment(t *testing.T, w []float64, rows, cols int, got []int) float64 {
	t.Helper()
	if len(got) != rows {
		t.Fatalf("%d rows assigned, want %d", len(got), rows)
	}
	seen := map[int]bool{}
	total, pairs := 0.0, 0
	for r, c := range got {
		if c < 0 {
			continue
		}
		if c >= cols || seen[c] {
			t.Fatalf("row %d: column %d out of range or reused (%v)", r, c, got)
		}
		seen[c] = true
		total += w[r*cols+c]
		pairs++
	}
	if pairs != min(rows, cols) {
		t.Fatalf("%d pairs, want %d", pairs, min(rows, cols))
	}
	return total
}

func TestMaxWeightAssignmentHandCases(t *testing.T) {
	cases := []struct {
		name       string
		w          []float64
		rows, cols int
		want       []int
	}{
		{"identity", []float64{1, 0, 0, 1}, 2, 2, []int{0, 1}},
		{"swap beats greedy", []float64{
			0.9, 0.8,
			0.85, 0.0}, 2, 2, []int{1, 0}},
		{"wide", []float64{0, 0, 5}, 1, 3, []int{2}},
		{"tall", []float64{1, 7, 3}, 3, 1, []int{-1, 0, -1}},
		{"empty", nil, 0, 0, []int{}},
		{"no columns", nil, 2, 0, []int{-1, -1}},
	}
	for _, c := range cases {
		got, err := MaxWeightAssignment(c.w, c.rows, c.cols)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v (%v), want %v", c.name, got, err, c.want)
		}
	}
}

func TestMaxWeightAssignmentMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for trial := range 300 {
		rows, cols := 1+r.IntN(6), 1+r.IntN(6)
		w := make([]float64, rows*cols)
		for i := range w {
			// Coarse values make ties common.
			w[i] = float64(r.IntN(4)) / 4
		}
		got, err := MaxWeightAssignment(w, rows, cols)
		if err != nil {
			t.Fatal(err)
		}
		total := checkAssignment(t, w, rows, cols, got)
		if want := bestByBruteForce(w, rows, cols); math.Abs(total-want) > 1e-9 {
			t.Fatalf("trial %d (%dx%d): total %v, optimum %v", trial, rows, cols, total, want)
		}
	}
}

func TestMaxWeightAssignmentRejects(t *testing.T) {
	for _, w := range [][]float64{{1, 2, 3}, {math.NaN(), 1, 1, 1}, {math.Inf(1), 0, 0, 0}} {
		if _, err := MaxWeightAssignment(w, 2, 2); !errors.Is(err, ErrBadMatrix) {
			t.Errorf("%v: err %v", w, err)
		}
	}
}

func TestMaxWeightAssignmentLarge(t *testing.T) {
	// A planted permutation with strong weights must be recovered at 300 x 400.
	r := rand.New(rand.NewPCG(3, 5))
	rows, cols := 300, 400
	w := make([]float64, rows*cols)
	for i := range w {
		w[i] = 0.3 * r.Float64()
	}
	perm := r.Perm(cols)
	for i := range rows {
		w[i*cols+perm[i]] = 0.9 + 0.1*r.Float64()
	}
	got, err := MaxWeightAssignment(w, rows, cols)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if got[i] != perm[i] {
			t.Fatalf("row %d: column %d, planted %d", i, got[i], perm[i])
		}
	}
}

func BenchmarkMaxWeightAssignment300x400(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	w := make([]float64, 300*400)
	for i := range w {
		w[i] = r.Float64()
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := MaxWeightAssignment(w, 300, 400); err != nil {
			b.Fatal(err)
		}
	}
}
