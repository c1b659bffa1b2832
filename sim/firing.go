package sim

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// firing holds the spike-train model of one cell. Every time is physical (ms, Hz), so a
// train does not depend on the sample rate.
type firing struct {
	rateHz       float64 // target mean rate, bursts included
	shape        float64 // gamma shape of the inter-burst intervals (1 is Poisson)
	refractoryMs float64 // absolute refractory period
	burstProb    float64 // probability that a spike starts a burst
	burstMax     int     // most spikes in a burst, the first included
	burstIsiMs   [2]float64
	burstDecay   float64 // amplitude factor per spike within a burst
	ampJitter    float64 // sigma of the per-spike log-normal amplitude factor
}

// spike is one simulated spike: its trough time and its amplitude factor.
type spike struct {
	tS  float64
	amp float32
}

// isInhibitory reports whether a class name denotes an interneuron.
func isInhibitory(class string) bool {
	c := strings.ToLower(class)
	for _, k := range []string{"inter", "fs", "inh", "basket", "chandelier", "martinotti",
		"bipolar", "neurogliaform", "sst", "pv", "vip"} {
		if strings.Contains(c, k) {
			return true
		}
	}
	return false
}

// drawFiring draws the firing model of a cell of the given class: log-normal rates
// (median 3 Hz for excitatory and 12 Hz for inhibitory cells), bursts for a share of the
// excitatory cells.
func drawFiring(r *rand.Rand, class string) firing {
	f := firing{shape: 1.5, refractoryMs: 2.5, burstDecay: 1, ampJitter: 0.06,
		burstIsiMs: [2]float64{3, 7}, burstMax: 1}
	median, sigma := 3.0, 0.8
	if isInhibitory(class) {
		median, sigma = 12, 0.6
		f.shape, f.refractoryMs = 2.5, 1.5
	} else if r.Float64() < 0.4 {
		f.burstProb = 0.05 + 0.2*r.Float64()
		f.burstMax = 2 + r.IntN(4)
		f.burstDecay = 0.7 + 0.2*r.Float64()
	}
	f.rateHz = clamp(median*math.Exp(sigma*r.NormFloat64()), 0.3, 60)
	return f
}

// train draws the spike times in [0, durationS) of a renewal process with gamma intervals
// after an absolute refractory period, bursts included. Times are sorted.
func (f firing) train(r *rand.Rand, durationS float64) []spike {
	spikesPerEvent := 1 + f.burstProb*float64(f.burstMax)/2
	meanS := spikesPerEvent / f.rateHz
	refS := f.refractoryMs / 1000
	gapS := max(meanS-refS, refS)
	out := make([]spike, 0, int(durationS*f.rateHz*1.2)+4)
	t := r.Float64() * meanS
	for t < durationS {
		out = f.burst(r, t, durationS, out)
		t = out[len(out)-1].tS + refS + gammaRand(r, f.shape, gapS)
	}
	return out
}

// burst appends the spike at tS and, with probability burstProb, the rest of a burst with
// decaying amplitudes.
func (f firing) burst(r *rand.Rand, tS, durationS float64, out []spike) []spike {
	out = append(out, spike{tS: tS, amp: f.jitter(r, 1)})
	if f.burstMax < 2 || r.Float64() >= f.burstProb {
		return out
	}
	n := 2 + r.IntN(f.burstMax-1)
	amp := 1.0
	for k := 1; k < n; k++ {
		isiMs := f.burstIsiMs[0] + r.Float64()*(f.burstIsiMs[1]-f.burstIsiMs[0])
		tS += max(isiMs, f.refractoryMs) / 1000
		if tS >= durationS {
			break
		}
		amp *= f.burstDecay
		out = append(out, spike{tS: tS, amp: f.jitter(r, amp)})
	}
	return out
}

func (f firing) jitter(r *rand.Rand, amp float64) float32 {
	return float32(amp * math.Exp(f.ampJitter*r.NormFloat64()-f.ampJitter*f.ampJitter/2))
}

// addCoincident gives unit b a partner spike within +-maxLagMs of a share of unit a's
// spikes, wherever b's refractory period allows it. a's train is not changed; b's stays
// sorted. It returns the number of spikes added.
func addCoincident(r *rand.Rand, a []spike, b *[]spike, share, maxLagMs, refMs float64,
	durationS float64) int {
	added := 0
	for _, s := range a {
		if r.Float64() >= share {
			continue
		}
		t := s.tS + (2*r.Float64()-1)*maxLagMs/1000
		if t < 0 || t >= durationS || !insertFree(b, t, refMs/1000) {
			continue
		}
		added++
	}
	return added
}

// insertFree inserts a unit-amplitude spike at tS into the sorted train unless another
// spike lies within refS of it.
func insertFree(train *[]spike, tS, refS float64) bool {
	i, _ := slices.BinarySearchFunc(*train, tS, func(s spike, t float64) int {
		return cmpFloat(s.tS, t)
	})
	if i > 0 && tS-(*train)[i-1].tS < refS {
		return false
	}
	if i < len(*train) && (*train)[i].tS-tS < refS {
		return false
	}
	*train = slices.Insert(*train, i, spike{tS: tS, amp: 1})
	return true
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }
