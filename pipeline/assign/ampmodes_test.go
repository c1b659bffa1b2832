package assign

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// ampTrain returns spikes of one neuron firing at rateHz for durS seconds with amplitude
// ampUV (6 % jitter). With burstP > 0 each spike is followed, with that probability, by
// a second spike 3-7 ms later at burstDecay of its amplitude.
func ampTrain(r *rand.Rand, rateHz, durS, ampUV, burstP, burstDecay float64) []point {
	var pts []point
	for t := r.ExpFloat64() / rateHz; t < durS; t += 3e-3 + r.ExpFloat64()/rateHz {
		a := ampUV * (1 + 0.06*r.NormFloat64())
		pts = append(pts, point{timeS: t, logAmp: float32(math.Log(a))})
		if r.Float64() < burstP {
			t += 3e-3 + 4e-3*r.Float64()
			a *= burstDecay * (1 + 0.06*r.NormFloat64())
			pts = append(pts, point{timeS: t, logAmp: float32(math.Log(a))})
		}
	}
	return pts
}

func TestAmpModes(t *testing.T) {
	tests := []struct {
		name string
		pts  func(r *rand.Rand) []point
		want bool
	}{
		{"one neuron", func(r *rand.Rand) []point {
			return ampTrain(r, 10, 25, 80, 0, 0)
		}, false},
		{"two neurons, 80 and 50 uV", func(r *rand.Rand) []point {
			return append(ampTrain(r, 6, 25, 80, 0, 0), ampTrain(r, 6, 25, 50, 0, 0)...)
		}, true},
		{"fast pair, 80 and 50 uV", func(r *rand.Rand) []point {
			return append(ampTrain(r, 25, 8, 80, 0, 0), ampTrain(r, 25, 8, 50, 0, 0)...)
		}, true},
		{"a burster whose second spikes are 0.6x", func(r *rand.Rand) []point {
			return ampTrain(r, 8, 25, 80, 0.4, 0.6)
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, 9))
			var s separator
			for trial := 0; trial < 10; trial++ {
				pts := tc.pts(r)
				slices.SortFunc(pts, func(a, b point) int { return cmpFloat(a.timeS, b.timeS) })
				if _, got := s.ampModes(pts, 4, 30); got != tc.want {
					t.Fatalf("trial %d (%d spikes): two neurons = %v, want %v", trial,
						len(pts), got, tc.want)
				}
			}
		})
	}
}

// TestCoincidencesSkipDetectorDeadTime: pairs closer than violationMinS, which the detector
// never reports on nearby channels, count neither as observed nor as expected.
func TestCoincidencesSkipDetectorDeadTime(t *testing.T) {
	a := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	b := []float64{1.0002, 2.0008, 3.0012, 4.003, 5.5, 6.5, 7.5, 8.5, 9.5, 10.0001}
	obs, exp := coincidences(a, b, 1.5e-3)
	if obs != 2 { // 0.8 and 1.2 ms; not 0.2 ms, 0.1 ms or 3 ms
		t.Errorf("observed %d coincidences, want 2", obs)
	}
	// Over the span both cover, 1.0002-10 s: 9 spikes each.
	want := 9 * 9 * 2 * (1.5e-3 - violationMinS) / (10 - 1.0002)
	if math.Abs(exp-want) > 1e-9*want {
		t.Errorf("expected %.6f, want %.6f", exp, want)
	}
}
