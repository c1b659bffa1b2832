package sim

import (
	"context"
	"math"
	"slices"
	"sync/atomic"
)

// event is one spike to add to the recording: amp times the unit's template interpolated
// between drift grid positions grid and grid+1, starting at sample start.
type event struct {
	start  int64
	unit   int32
	grid   int16
	phase  int16
	a0, a1 float32 // weights of grid and grid+1, amplitude included
}

// makeEvents turns the spike trains into events sorted by start, and the truth spikes
// inside the recording sorted by sample.
func (s *simState) makeEvents(units []unitModel, trains [][]spike) ([]event, []TruthSpike) {
	var evs []event
	var truth []TruthSpike
	fs := s.cfg.SampleRateHz
	for u, train := range trains {
		for _, sp := range train {
			n, phase := samplePhase(sp.tS, fs, templatePhases)
			g, f := units[u].gridPos(traceAt(s.drift, sp.tS))
			evs = append(evs, event{start: n - int64(s.pre), unit: int32(u), grid: int16(g),
				phase: int16(phase), a0: sp.amp * (1 - f), a1: sp.amp * f})
			if n >= 0 && n < int64(s.nSamples) {
				truth = append(truth, TruthSpike{Sample: n, Unit: u})
			}
		}
	}
	slices.SortStableFunc(evs, func(a, b event) int { return cmpInt64(a.start, b.start) })
	slices.SortStableFunc(truth, func(a, b TruthSpike) int {
		if c := cmpInt64(a.Sample, b.Sample); c != 0 {
			return c
		}
		return a.Unit - b.Unit
	})
	return evs, truth
}

// samplePhase returns the sample nearest to time tS and the template phase (0..phases-1,
// see splitPhases) of the trough's offset from it.
func samplePhase(tS, fsHz float64, phases int) (int64, int) {
	m := int64(math.Round(tS * fsHz * float64(phases)))
	half := int64(phases / 2)
	n := floorDiv(m+half, int64(phases))
	return n, int(m - n*int64(phases) + half)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// traceAt interpolates a drift trace (one value per driftStepS) at tS seconds.
func traceAt(trace []float32, tS float64) float64 {
	r := Recording{DriftTraceUm: trace, DriftStepS: driftStepS}
	return r.driftAt(tS)
}

// synth holds what the synthesis workers share; all of it is read-only except the
// output (each chunk writes only its own samples) and the clip counter. out is the whole
// recording for Generate and nil for Stream, which renders into its own batches.
type synth struct {
	s       *simState
	units   []unitModel
	events  []event
	noise   *noiseBlock
	out     []int16
	scale   float32 // output steps per uV
	clipped atomic.Int64
	fadeOut []float32
	fadeIn  []float32
}

// synthesize renders the recording chunk by chunk on all CPUs. Chunk k's samples depend
// only on the seed and k, so the output does not depend on the number of workers.
func (s *simState) synthesize(ctx context.Context, units []unitModel, evs []event,
	noise *noiseBlock, buf []int16) ([]int16, int64, error) {
	sy := newSynth(s, units, evs, noise)
	n := s.nSamples * noise.channels
	sy.out = buf[:0]
	if cap(buf) < n {
		sy.out = make([]int16, n)
	}
	sy.out = sy.out[:n]
	nChunks := (s.nSamples + synthChunk - 1) / synthChunk
	err := parallelFor(ctx, nChunks, sy.chunk)
	return sy.out, sy.clipped.Load(), err
}

// newSynth prepares the synthesis of the events over the noise; it sets no output.
func newSynth(s *simState, units []unitModel, evs []event, noise *noiseBlock) *synth {
	sy := &synth{s: s, units: units, events: evs, noise: noise,
		scale: float32(1 / s.cfg.UVPerBit)}
	sy.fadeOut, sy.fadeIn = make([]float32, noiseFade), make([]float32, noiseFade)
	for u := range noiseFade {
		a := math.Pi * (float64(u) + 0.5) / float64(2*noiseFade)
		sy.fadeOut[u], sy.fadeIn[u] = float32(math.Cos(a)), float32(math.Sin(a))
	}
	return sy
}

// chunk renders samples [k*synthChunk, (k+1)*synthChunk) into the output: the noise
// first, then the spikes added in place.
func (sy *synth) chunk(k int) {
	chans := sy.noise.channels
	t0 := k * synthChunk
	n := min(synthChunk, sy.s.nSamples-t0)
	sy.clipped.Add(sy.render(sy.out[t0*chans:(t0+n)*chans], t0, n))
}

// render writes samples [t0, t0+n) into out (n rows) and returns the number it saturated.
func (sy *synth) render(out []int16, t0, n int) int64 {
	chans := sy.noise.channels
	for u := range n {
		sy.noiseRow(out[u*chans:(u+1)*chans], t0+u)
	}
	return sy.addSpikes(out, int64(t0), n)
}

// segmentOffset returns the block row at which noise segment j starts.
func (sy *synth) segmentOffset(j int) int {
	h := mix64(uint64(sy.s.cfg.Seed)*0x9e3779b97f4a7c15 ^ uint64(j) ^ tagSegments<<60)
	return int(h) & (sy.noise.lenS - 1)
}

// noiseRow writes the noise of sample t into dst: a copy of the block row of t's segment,
// or in the last noiseFade samples of a segment, a cross-fade into the next one.
func (sy *synth) noiseRow(dst []int16, t int) {
	chans, mask := sy.noise.channels, sy.noise.lenS-1
	j, u := t/noiseSegment, t%noiseSegment
	ia := (sy.segmentOffset(j) + u) & mask
	ra := sy.noise.data[ia*chans : ia*chans+chans]
	f := u - (noiseSegment - noiseFade)
	if f < 0 {
		copy(dst, ra)
		return
	}
	ib := (sy.segmentOffset(j+1) + f) & mask
	rb := sy.noise.data[ib*chans : ib*chans+chans]
	ca, cb := sy.fadeOut[f], sy.fadeIn[f]
	for c := range dst {
		dst[c] = int16(roundF32(ca*float32(ra[c]) + cb*float32(rb[c])))
	}
}

// addSpikes adds every event overlapping samples [t0, t0+n) into out (n rows), and
// returns the number of samples it saturated.
func (sy *synth) addSpikes(out []int16, t0 int64, n int) int64 {
	ts := int64(sy.s.ts)
	chans := sy.noise.channels
	i, _ := slices.BinarySearchFunc(sy.events, t0-ts+1, func(e event, t int64) int {
		return cmpInt64(e.start, t)
	})
	var clipped int64
	for ; i < len(sy.events) && sy.events[i].start < t0+int64(n); i++ {
		e := sy.events[i]
		e.a0 *= sy.scale
		e.a1 *= sy.scale
		k0 := max(0, t0-e.start)
		k1 := min(ts, t0+int64(n)-e.start)
		clipped += addEvent(out, chans, int(e.start-t0), int(k0), int(k1), &sy.units[e.unit], e)
	}
	return clipped
}

// addEvent adds template rows [k0, k1) of event e (weights in output steps), whose row 0
// falls at out row off, saturating; it returns the number of saturated samples.
func addEvent(out []int16, chans, off, k0, k1 int, m *unitModel, e event) int64 {
	grid := m.grid[e.phase]
	g0 := grid[e.grid]
	if e.a1 == 0 || int(e.grid)+1 >= len(grid) {
		return addStatic(out, chans, off, k0, k1, g0, e.a0)
	}
	g1 := grid[e.grid+1]
	nc := len(g0.channels)
	var clipped int64
	for k := k0; k < k1; k++ {
		row := out[(off+k)*chans : (off+k+1)*chans]
		s0, s1 := g0.data[k*nc:(k+1)*nc], g1.data[k*nc:(k+1)*nc]
		for i, c := range g0.channels {
			clipped += addSaturating(&row[c], e.a0*s0[i]+e.a1*s1[i])
		}
	}
	return clipped
}

// addStatic is addEvent for a single template t scaled by a.
func addStatic(out []int16, chans, off, k0, k1 int, t sparseTemplate, a float32) int64 {
	nc := len(t.channels)
	var clipped int64
	for k := k0; k < k1; k++ {
		row := out[(off+k)*chans : (off+k+1)*chans]
		src := t.data[k*nc : (k+1)*nc]
		for i, c := range t.channels {
			clipped += addSaturating(&row[c], a*src[i])
		}
	}
	return clipped
}

// addSaturating adds v to *x, rounding and saturating; it returns 1 if it saturated.
func addSaturating(x *int16, v float32) int64 {
	v += float32(*x)
	if v > math.MaxInt16 || v < math.MinInt16 {
		*x = int16(max(min(v, math.MaxInt16), math.MinInt16))
		return 1
	}
	*x = int16(roundF32(v))
	return 0
}

// roundF32 rounds x (|x| < 2^22) to the nearest integer, ties to even, without a
// data-dependent branch: adding 1.5*2^23 leaves the integer in the low mantissa bits.
func roundF32(x float32) int32 {
	const magic = 12582912
	return int32(math.Float32bits(x+magic)&0x7fffff) - 0x400000
}

// quantiseTo sets dst = round(src*scale), saturating to int16, and returns the number of
// saturated values.
func quantiseTo(dst []int16, src []float32, scale float32) int64 {
	var clipped int64
	dst = dst[:len(src)]
	for i, v := range src {
		x := v * scale
		if x > math.MaxInt16 || x < math.MinInt16 {
			clipped++
			x = max(min(x, math.MaxInt16), math.MinInt16)
		}
		dst[i] = int16(roundF32(x))
	}
	return clipped
}
