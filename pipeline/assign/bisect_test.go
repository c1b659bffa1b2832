package assign

import (
	"math/rand/v2"
	"testing"
)

// gaussianPair returns n rows of k Gaussian columns; odd rows are shifted by sep along
// column 0.
func gaussianPair(r *rand.Rand, n, k int, sep float64) []float32 {
	x := make([]float32, n*k)
	for i := 0; i < n; i++ {
		for j := 0; j < k; j++ {
			x[i*k+j] = float32(r.NormFloat64())
		}
		if i%2 == 1 {
			x[i*k] += float32(sep)
		}
	}
	return x
}

func TestBisectorSeparation(t *testing.T) {
	tests := []struct {
		k, n      int
		sep       float64
		wantSplit bool
	}{
		{2, 256, 0, false},
		{8, 256, 0, false},
		{32, 256, 0, false},
		{8, 64, 0, false},
		{2, 256, 8, true},
		{8, 256, 8, true},
		{32, 256, 8, true},
		{8, 64, 8, true},
	}
	r := rand.New(rand.NewPCG(5, 5))
	var b bisector
	for _, tc := range tests {
		for trial := 0; trial < 20; trial++ {
			x := gaussianPair(r, tc.n, tc.k, tc.sep)
			d, labels := b.split(x, tc.n, tc.k)
			split := d > dprimeThreshold(4, tc.k, tc.n)
			if split != tc.wantSplit {
				t.Fatalf("k=%d n=%d sep=%v trial %d: d'=%.2f split=%v, want %v",
					tc.k, tc.n, tc.sep, trial, d, split, tc.wantSplit)
			}
			if !tc.wantSplit {
				continue
			}
			wrong := 0
			for i, l := range labels {
				if int(l) != i%2 {
					wrong++
				}
			}
			if wrong = min(wrong, tc.n-wrong); wrong > tc.n/50 {
				t.Errorf("k=%d n=%d: %d of %d rows on the wrong side", tc.k, tc.n, wrong, tc.n)
			}
		}
	}
}

func TestBisectorTooFewRows(t *testing.T) {
	var b bisector
	if d, _ := b.split(make([]float32, 8*3), 8, 3); d != 0 {
		t.Errorf("8 rows: d'=%v, want 0 (below 2*minSide)", d)
	}
}

func BenchmarkBisect256x32(b *testing.B) {
	x := gaussianPair(rand.New(rand.NewPCG(1, 1)), 256, 32, 5)
	var bs bisector
	b.ReportAllocs()
	for b.Loop() {
		bs.split(x, 256, 32)
	}
}
