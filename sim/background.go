package sim

import (
	"context"
	"math"
	"math/rand/v2"
	"sync/atomic"

	"github.com/spikestream/spikestream/sim/neuron"
)

// TODO: the background cells carry under 1 % of the noise variance (a few hundred cells
// where the tissue around a probe holds tens of thousands); the coloured noise stands for
// the rest of the far field. Many more cells would need a cheaper way to add them.

// Firing of background cells: Poisson trains with log-normal rates.
const (
	bgMedianRateHz = 4
	bgRateSigma    = 0.8
)

// buildNoise builds the recording's noise block: coloured, spatially correlated noise
// plus the spikes of the background cells, scaled so that every channel has NoiseUV RMS.
// Background spikes are limited to 70 % of the variance; the coloured noise fills the
// rest.
func (s *simState) buildNoise(ctx context.Context) (*noiseBlock, error) {
	chans := s.cfg.Probe.NumChannels()
	rows := noiseBlockLen(chans)
	white, err := whiteBlock(ctx, s.cfg.Seed, rows, chans+1)
	if err != nil {
		return nil, err
	}
	mixed, err := mixSpatial(ctx, white, rows, chans, spatialKernels(s.cfg.Probe))
	if err != nil {
		return nil, err
	}
	if err := colourFilter(ctx, mixed, rows, chans, s.cfg.SampleRateHz); err != nil {
		return nil, err
	}
	bg := white[:rows*chans]
	clear(bg)
	if err := s.addBackground(ctx, bg, rows); err != nil {
		return nil, err
	}
	// validate keeps 7 noise SD inside int16, so the block practically never saturates;
	// if it ever does, those few values are clamped like any output sample.
	q, _, err := combineNoise(ctx, mixed, bg, rows, chans, s.cfg.NoiseUV,
		float32(1/s.cfg.UVPerBit))
	if err != nil {
		return nil, err
	}
	return &noiseBlock{data: q, lenS: rows, channels: chans}, nil
}

// combineNoise returns round(scale * (gBg*bg + g[c]*noise)) as int16, with gains that
// give each channel targetUV RMS and keep the background within 70 % of the variance, and
// the number of values that saturated. Row blocks run in parallel.
func combineNoise(ctx context.Context, noise, bg []float32, rows, chans int,
	targetUV float64, scale float32) ([]int16, int64, error) {
	rmsN, err := channelRMS(ctx, noise, rows, chans)
	if err != nil {
		return nil, 0, err
	}
	rmsB, err := channelRMS(ctx, bg, rows, chans)
	if err != nil {
		return nil, 0, err
	}
	gBg, g := noiseGains(rmsN, rmsB, targetUV)
	out := make([]int16, rows*chans)
	var clipped atomic.Int64
	const rowsPer = 1024
	err = parallelFor(ctx, (rows+rowsPer-1)/rowsPer, func(b int) {
		var n int64
		for t := b * rowsPer; t < min((b+1)*rowsPer, rows); t++ {
			row, brow := noise[t*chans:(t+1)*chans], bg[t*chans:(t+1)*chans]
			for c := range row {
				row[c] = scale * (g[c]*row[c] + gBg*brow[c])
			}
			n += quantiseTo(out[t*chans:(t+1)*chans], row, 1)
		}
		clipped.Add(n)
	})
	return out, clipped.Load(), err
}

// noiseGains returns the background gain and the per-channel noise gains.
func noiseGains(rmsN, rmsB []float64, targetUV float64) (float32, []float32) {
	maxB := 0.0
	for _, v := range rmsB {
		maxB = math.Max(maxB, v)
	}
	gBg := 1.0
	if limit := math.Sqrt(0.7) * targetUV; maxB > limit {
		gBg = limit / maxB
	}
	g := make([]float32, len(rmsN))
	for c := range g {
		rest := targetUV*targetUV - gBg*gBg*rmsB[c]*rmsB[c]
		g[c] = float32(math.Sqrt(math.Max(rest, 0)) / math.Max(rmsN[c], 1e-12))
	}
	return float32(gBg), g
}

// addBackground projects the background cells (in parallel) and adds their Poisson spikes
// into the circular block bg (rows x channels), in cell order.
func (s *simState) addBackground(ctx context.Context, bg []float32, rows int) error {
	n := max(s.cfg.BackgroundCells, 0)
	cells := s.backgroundCells(n)
	srcs, err := s.backgroundSources(ctx, cells)
	if err != nil {
		return err
	}
	tpls := make([]sparseTemplate, n)
	errs := make([]error, n)
	err = parallelFor(ctx, n, func(k int) {
		tpls[k], errs[k] = s.backgroundTemplate(cells[k], srcs[cells[k].libIdx])
	})
	if err != nil {
		return err
	}
	chans := s.cfg.Probe.NumChannels()
	for k, t := range tpls {
		if errs[k] != nil {
			return errs[k]
		}
		r := newRand(s.cfg.Seed, tagBackground|1<<8, uint64(k))
		rateHz := clamp(bgMedianRateHz*math.Exp(bgRateSigma*r.NormFloat64()), 0.5, 40)
		count := poisson(r, rateHz*float64(rows)/s.cfg.SampleRateHz)
		for range count {
			amp := float32(math.Exp(0.1 * r.NormFloat64()))
			addCircular(bg, rows, chans, r.IntN(rows), t, s.ts, amp)
		}
	}
	return nil
}

// bgCell is one background cell's draw.
type bgCell struct {
	libIdx int
	pl     placement
}

// backgroundCells draws the library cell, position and orientation of n background cells.
func (s *simState) backgroundCells(n int) []bgCell {
	picker := newCellPicker(s.classes(), s.cfg.ClassMix)
	out := make([]bgCell, n)
	for k := range out {
		r := newRand(s.cfg.Seed, tagBackground, uint64(k))
		idx := picker.pick(r)
		src := s.lib[idx]
		soma := drawBackgroundSoma(r, s.cfg.Probe, s.contacts)
		out[k] = bgCell{libIdx: idx, pl: placement{src: src, somaUm: soma,
			rot: rotationFor(r, src.Class)}}
	}
	return out
}

// backgroundSources resamples each library cell used by the background once (aligned on
// its somatic peak; background spikes have no truth to align with).
func (s *simState) backgroundSources(ctx context.Context,
	cells []bgCell) (map[int]*neuron.Sources, error) {
	var used []int
	seen := map[int]bool{}
	for _, c := range cells {
		if !seen[c.libIdx] {
			seen[c.libIdx] = true
			used = append(used, c.libIdx)
		}
	}
	rs := make([]*neuron.Sources, len(used))
	err := parallelFor(ctx, len(used), func(i int) {
		src := s.lib[used[i]]
		rs[i] = resampledSources(src, float64(src.PeakStep)*src.DtMs, s.cfg.SampleRateHz, 1)
	})
	out := make(map[int]*neuron.Sources, len(used))
	for i, idx := range used {
		out[idx] = rs[i]
	}
	return out, err
}

// backgroundTemplate projects a background cell onto the channels near it.
func (s *simState) backgroundTemplate(c bgCell, rs *neuron.Sources) (sparseTemplate, error) {
	soma := c.pl.somaUm
	chans := channelsNear(s.contacts, soma[0], soma[1], soma[1], bgRadiusUm)
	if len(chans) == 0 {
		return sparseTemplate{}, nil
	}
	return project(rs, c.pl, s.contacts, chans)
}

// addCircular adds amp times template t (ts samples) into the circular block at row
// start.
func addCircular(block []float32, rows, chans, start int, t sparseTemplate, ts int,
	amp float32) {
	n := len(t.channels)
	if n == 0 {
		return
	}
	for k := range ts {
		row := block[((start+k)%rows)*chans:]
		src := t.data[k*n : (k+1)*n]
		for i, c := range t.channels {
			row[c] += amp * src[i]
		}
	}
}

// poisson draws a Poisson count with the given mean (normal approximation above 50).
func poisson(r *rand.Rand, mean float64) int {
	if mean > 50 {
		return max(0, int(math.Round(mean+math.Sqrt(mean)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-mean), 0, r.Float64()
	for p > l {
		k++
		p *= r.Float64()
	}
	return k
}
