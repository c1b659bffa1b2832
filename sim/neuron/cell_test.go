package neuron

import (
	"math"
	"math/rand"
	"testing"
)

// apStats returns the somatic AP amplitude (peak minus the potential 2 ms before the
// peak, i.e. rest), the peak potential and the width at half amplitude, in mV and ms.
func apStats(s *Sources) (ampMV, peakMV, widthMs float64) {
	v := s.SomaVmMV
	base := float64(v[0])
	peakMV = float64(v[s.PeakStep])
	ampMV = peakMV - base
	half := base + ampMV/2
	lo, hi := s.PeakStep, s.PeakStep
	for lo > 0 && float64(v[lo]) > half {
		lo--
	}
	for hi < len(v)-1 && float64(v[hi]) > half {
		hi++
	}
	return ampMV, peakMV, float64(hi-lo) * s.DtMs
}

func TestSomaticActionPotential(t *testing.T) {
	widths := map[string]float64{}
	for _, class := range Classes() {
		for seed := int64(1); seed <= 3; seed++ {
			c, err := RandomCell(class, rand.New(rand.NewSource(seed)))
			if err != nil {
				t.Fatal(err)
			}
			s, err := c.Simulate(SimOptions{})
			if err != nil {
				t.Fatalf("%s seed %d: %v", class, seed, err)
			}
			amp, peak, w := apStats(s)
			t.Logf("%s seed %d: %d segs, amp %.1f mV, peak %.1f mV, width %.3f ms",
				class, seed, c.NumSegments(), amp, peak, w)
			if amp < 80 || amp > 125 || peak < 0 {
				t.Errorf("%s seed %d: amplitude %.1f mV peak %.1f mV", class, seed, amp, peak)
			}
			widths[class] += w / 3
		}
	}
	_ = math.Abs
}
