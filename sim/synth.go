package sim

import (
	"context"
	"math"
	"slices"
	"sync"
	"sync/atomic"
)

// event is one spike to add to the recording: amp times the unit's template interpolated
// between drift grid positions grid and grid+1, starting at sample start.
type event struct {
	start  int64
	unit   int32
	grid   int32
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
			n := int64(math.Round(sp.tS * fs))
			g, f := units[u].gridPos(traceAt(s.drift, sp.tS))
			evs = append(evs, event{start: n - int64(s.pre), unit: int32(u), grid: int32(g),
				a0: sp.amp * (1 - f), a1: sp.amp * f})
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
// output (each chunk writes only its own samples) and the clip counter.
type synth struct {
	s       *simState
	units   []unitModel
	events  []event
	noise   *noiseBlock
	out     []int16
	clipped atomic.Int64
	cosW    []float32
	sinW    []float32
	pool    sync.Pool
}

// synthesize renders the recording chunk by chunk on all CPUs. Chunk k's samples depend
// only on the seed and k, so the output does not depend on the number of workers.
func (s *simState) synthesize(ctx context.Context, units []unitModel, evs []event,
	noise *noiseBlock) ([]int16, int64, error) {
	chans := s.cfg.Probe.NumChannels()
	sy := &synth{s: s, units: units, events: evs, noise: noise,
		out: make([]int16, s.nSamples*chans)}
	sy.cosW, sy.sinW = overlapWindows(noiseHop)
	sy.pool.New = func() any { b := make([]float32, noiseHop*chans); return &b }
	nChunks := (s.nSamples + noiseHop - 1) / noiseHop
	err := parallelFor(ctx, nChunks, sy.chunk)
	return sy.out, sy.clipped.Load(), err
}

// overlapWindows returns the cosine (fading out) and sine (fading in) halves of the
// overlap-add window; cos^2 + sin^2 = 1 at every sample.
func overlapWindows(hop int) (cosW, sinW []float32) {
	cosW, sinW = make([]float32, hop), make([]float32, hop)
	for u := range hop {
		a := math.Pi * (float64(u) + 0.5) / float64(2*hop)
		cosW[u], sinW[u] = float32(math.Cos(a)), float32(math.Sin(a))
	}
	return cosW, sinW
}

// chunk renders samples [k*noiseHop, (k+1)*noiseHop) into the output.
func (sy *synth) chunk(k int) {
	chans := sy.noise.channels
	t0 := k * noiseHop
	n := min(noiseHop, sy.s.nSamples-t0)
	bp := sy.pool.Get().(*[]float32)
	acc := (*bp)[:n*chans]
	sy.addNoise(acc, k, n)
	sy.addSpikes(acc, int64(t0), n)
	clipped := quantise(sy.out[t0*chans:(t0+n)*chans], acc, float32(1/sy.s.cfg.UVPerBit))
	sy.clipped.Add(clipped)
	sy.pool.Put(bp)
}

// segment returns the block offset and sign of overlap-add segment j.
func (sy *synth) segment(j int) (int, float32) {
	h := mix64(uint64(sy.s.cfg.Seed)*0x9e3779b97f4a7c15 ^ uint64(j) ^ tagSegments<<60)
	sign := float32(1)
	if h>>63 == 1 {
		sign = -1
	}
	return int(h) & (sy.noise.lenS - 1), sign
}

// addNoise writes chunk k's noise (n samples) into acc: the fading half of segment k plus
// the rising half of segment k+1.
func (sy *synth) addNoise(acc []float32, k, n int) {
	chans, mask := sy.noise.channels, sy.noise.lenS-1
	oA, sA := sy.segment(k)
	oB, sB := sy.segment(k + 1)
	data := sy.noise.data
	for u := range n {
		ia, ib := (oA+noiseHop+u)&mask, (oB+u)&mask
		ra := data[ia*chans : ia*chans+chans]
		rb := data[ib*chans : ib*chans+chans]
		ca, cb := sA*sy.cosW[u], sB*sy.sinW[u]
		dst := acc[u*chans : u*chans+chans]
		for c := range dst {
			dst[c] = ca*ra[c] + cb*rb[c]
		}
	}
}

// addSpikes adds every event overlapping samples [t0, t0+n) into acc.
func (sy *synth) addSpikes(acc []float32, t0 int64, n int) {
	ts := int64(sy.s.ts)
	chans := sy.noise.channels
	i, _ := slices.BinarySearchFunc(sy.events, t0-ts+1, func(e event, t int64) int {
		return cmpInt64(e.start, t)
	})
	for ; i < len(sy.events) && sy.events[i].start < t0+int64(n); i++ {
		e := sy.events[i]
		m := &sy.units[e.unit]
		k0 := max(0, t0-e.start)
		k1 := min(ts, t0+int64(n)-e.start)
		addEvent(acc, chans, int(e.start-t0), int(k0), int(k1), m, e)
	}
}

// addEvent adds template rows [k0, k1) of event e, whose row 0 falls at acc row off.
func addEvent(acc []float32, chans, off, k0, k1 int, m *unitModel, e event) {
	t0 := m.grid[e.grid]
	nc := len(t0.channels)
	if e.a1 == 0 || int(e.grid)+1 >= len(m.grid) {
		for k := k0; k < k1; k++ {
			row := acc[(off+k)*chans:]
			src := t0.data[k*nc : (k+1)*nc]
			for i, c := range t0.channels {
				row[c] += e.a0 * src[i]
			}
		}
		return
	}
	t1 := m.grid[e.grid+1]
	for k := k0; k < k1; k++ {
		row := acc[(off+k)*chans:]
		s0, s1 := t0.data[k*nc:(k+1)*nc], t1.data[k*nc:(k+1)*nc]
		for i, c := range t0.channels {
			row[c] += e.a0*s0[i] + e.a1*s1[i]
		}
	}
}

// quantise rounds acc*scale to the nearest int16 into out, saturating, and returns the
// number of saturated samples.
func quantise(out []int16, acc []float32, scale float32) int64 {
	var clipped int64
	out = out[:len(acc)]
	for i, v := range acc {
		x := v * scale
		switch {
		case x > math.MaxInt16+0.5:
			out[i] = math.MaxInt16
			clipped++
		case x < math.MinInt16-0.5:
			out[i] = math.MinInt16
			clipped++
		case x >= 0:
			out[i] = int16(x + 0.5)
		default:
			out[i] = int16(x - 0.5)
		}
	}
	return clipped
}
