package sim

import (
	"math"
	"math/rand/v2"
)

// Streams of randomness. Every part of a simulation draws from its own generator, seeded
// from Config.Seed and a purpose tag, so that changing one part (say, the number of
// background cells) does not reshuffle the others.
const (
	tagPlace uint64 = iota + 1
	tagTrain
	tagNoise
	tagSegments
	tagDrift
	tagBackground
	tagCoincide
	tagLibrary
)

// newRand returns a PCG generator for (seed, tag, index).
func newRand(seed int64, tag, index uint64) *rand.Rand {
	return rand.New(rand.NewPCG(mix64(uint64(seed)^tag<<56), mix64(index+tag*0x9e37)))
}

// mix64 is the splitmix64 finaliser: a cheap bijective scrambler of 64-bit values.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// gammaRand draws from a gamma distribution with the given shape and mean (Marsaglia and
// Tsang's squeeze method; shapes below 1 use the boost x * U^(1/shape)).
func gammaRand(r *rand.Rand, shape, mean float64) float64 {
	scale := mean / shape
	boost := 1.0
	if shape < 1 {
		boost = math.Pow(r.Float64(), 1/shape)
		shape++
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return boost * d * v * scale
		}
	}
}
