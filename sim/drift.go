package sim

import (
	"math"
	"math/rand/v2"
)

// driftStepS is the time step of the drift trace; jumps are sudden on this scale.
const driftStepS = 0.005

// driftTrace returns the rigid drift of the cells along the shank, um, every driftStepS
// from 0 to durationS inclusive: a slow ramp to totalUm with a gentle wobble (a tenth of
// the total, a few slow cycles, zero at both ends), plus nJumps steps of ±jumpUm at random
// times. Nil when there is no drift at all.
func driftTrace(r *rand.Rand, durationS, totalUm float64, nJumps int, jumpUm float64) []float32 {
	if totalUm == 0 && (nJumps == 0 || jumpUm == 0) {
		return nil
	}
	n := int(math.Ceil(durationS/driftStepS)) + 1
	out := make([]float32, n)
	cycles := 1 + 2*r.Float64()
	phase := 2 * math.Pi * r.Float64()
	for i := range out {
		x := min(float64(i)*driftStepS/durationS, 1)
		wobble := 0.1 * totalUm * math.Sin(math.Pi*x) * math.Sin(2*math.Pi*cycles*x+phase)
		out[i] = float32(totalUm*x + wobble)
	}
	addJumps(r, out, nJumps, jumpUm)
	return out
}

// addJumps adds nJumps steps of ±jumpUm at uniformly random trace indices.
func addJumps(r *rand.Rand, trace []float32, nJumps int, jumpUm float64) {
	for range nJumps {
		at := 1 + r.IntN(max(len(trace)-1, 1))
		step := float32(jumpUm)
		if r.IntN(2) == 0 {
			step = -step
		}
		for i := at; i < len(trace); i++ {
			trace[i] += step
		}
	}
}

// driftScale returns the factor by which a cell at depth yUm moves relative to the rigid
// drift, for a probe spanning [minYUm, maxYUm] and a non-rigid gradient nonRigid.
func driftScale(yUm, minYUm, maxYUm, nonRigid float64) float64 {
	span := maxYUm - minYUm
	if span <= 0 || nonRigid == 0 {
		return 1
	}
	rel := (yUm-minYUm)/span - 0.5
	return 1 + nonRigid*rel
}

// traceRange returns the smallest and largest values of a trace (0, 0 when empty).
func traceRange(trace []float32) (lo, hi float64) {
	for _, v := range trace {
		lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
	}
	return lo, hi
}
