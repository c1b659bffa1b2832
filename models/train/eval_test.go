package train

import (
	"math"
	"testing"
)

// TestSweep checks recall (unique truth spikes), precision and FP/s on a hand-made set:
// truth spikes 0 and 1, spike 0 found twice, two false candidates, 2 s long.
func TestSweep(t *testing.T) {
	rs := &RecordingSet{NumTruth: 3, DurationS: 2, Examples: []Example{
		{Positive: true, TruthIdx: 0, AmpSD: 9},
		{Positive: true, TruthIdx: 0, AmpSD: 8},
		{Positive: false, TruthIdx: -1, AmpSD: 7},
		{Positive: true, TruthIdx: 1, AmpSD: 6},
		{Positive: false, TruthIdx: -1, AmpSD: 5},
	}}
	c := sweep([]*RecordingSet{rs}, func(ex *Example) float64 { return float64(ex.AmpSD) })
	tests := []struct {
		th, recall, prec, fp float64
	}{
		{10, 0, 1, 0},
		{8, 1.0 / 3, 1, 0},
		{6, 2.0 / 3, 0.75, 0.5},
		{5, 2.0 / 3, 0.6, 1},
	}
	for _, tc := range tests {
		r, p, fp := c.at(tc.th)
		if math.Abs(r-tc.recall) > 1e-9 || math.Abs(p-tc.prec) > 1e-9 || math.Abs(fp-tc.fp) > 1e-9 {
			t.Errorf("at %g: recall %g precision %g fp/s %g; want %g %g %g", tc.th, r, p, fp,
				tc.recall, tc.prec, tc.fp)
		}
	}
	if r, _, fp := c.atFP(0.5); r != 2.0/3 || fp != 0.5 {
		t.Errorf("atFP(0.5): recall %g fp/s %g, want 2/3 and 0.5", r, fp)
	}
}

func TestClusterAccuracyAndPurity(t *testing.T) {
	var e embedded
	for u := 0; u < 3; u++ {
		for i := 0; i < 20; i++ {
			e.x = append(e.x, []float32{float32(10 * u), float32(i%5) * 0.1})
			e.unit = append(e.unit, u)
		}
	}
	if p := nnPurity(e); p != 1 {
		t.Errorf("purity of separated clusters %g, want 1", p)
	}
	if a := clusterAccuracy(e, 1); a != 1 {
		t.Errorf("k-means accuracy of separated clusters %g, want 1", a)
	}
	e.unit[0], e.unit[1] = 1, 2
	if a := clusterAccuracy(e, 1); math.Abs(a-58.0/60) > 1e-9 {
		t.Errorf("accuracy with two mislabelled spikes %g, want 58/60", a)
	}
}

func TestSpread(t *testing.T) {
	e := embedded{x: [][]float32{{0, 1}, {0, -1}, {10, 1}, {10, -1}},
		unit: []int{1, 1, 2, 2}}
	w, b := spread(e)
	if w != 1 || b != 10 {
		t.Fatalf("within %g between %g, want 1 and 10", w, b)
	}
}
