package neuron

import (
	"math"
	"math/rand"
	"testing"
)

// simulated returns a simulated cell of the class, failing the test on error.
func simulated(t testing.TB, class string, seed int64) *Sources {
	t.Helper()
	c, err := RandomCell(class, rand.New(rand.NewSource(seed)))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Simulate(SimOptions{OutDtMs: 0.02})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// potentialAt returns the trace at one contact for the soma at the origin, unrotated.
func potentialAt(t testing.TB, s *Sources, p [3]float64) []float32 {
	t.Helper()
	dst := [][]float32{make([]float32, s.NumSteps())}
	if err := s.Potential([][3]float64{p}, [3]float64{}, Identity(), 0, dst); err != nil {
		t.Fatal(err)
	}
	return dst[0]
}

func trough(x []float32) (minUV float64, at int) {
	minUV = math.Inf(1)
	for i, v := range x {
		if float64(v) < minUV {
			minUV, at = float64(v), i
		}
	}
	return minUV, at
}

func TestFieldFallsWithDistance(t *testing.T) {
	for _, class := range Classes() {
		s := simulated(t, class, 7)
		var prev float64
		for i, dUm := range []float64{20, 50, 100, 200} {
			min, at := trough(potentialAt(t, s, [3]float64{0, 0, dUm}))
			t.Logf("%s: %3.0f um: trough %.1f uV at %+.2f ms", class, dUm, min,
				float64(at-s.PeakStep)*s.DtMs)
			if i > 0 && math.Abs(min) >= math.Abs(prev) {
				t.Errorf("%s: trough at %g um (%.1f uV) not smaller than nearer", class, dUm, min)
			}
			prev = min
		}
	}
}
