package sim

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/spikestream/spikestream/sim/neuron"
)

// driftGridUm is the spacing of the positions at which a drifting unit's template is
// projected; spikes interpolate linearly between the two nearest positions.
const driftGridUm = 3

// unitModel is one simulated unit: its cell, placement, templates along its drift path
// and firing model.
type unitModel struct {
	info   UnitInfo
	pl     placement
	rs     *neuron.Sources // the cell resampled on the template grid
	ref    sparseTemplate  // template at the t=0 position
	grid   []sparseTemplate
	gridLo float64 // displacement (um) of grid[0]
	fire   firing
}

// sim is the shared, read-only state of one Generate call.
type simState struct {
	cfg      Config
	lib      []*neuron.Sources
	contacts [][3]float64
	pre, ts  int // template trough index and length, samples
	drift    []float32
	nSamples int
}

// buildUnits places and projects every unit, in parallel; unit u's result depends only on
// the seed and u.
func (s *simState) buildUnits(ctx context.Context) ([]unitModel, error) {
	units := make([]unitModel, s.cfg.Units)
	errs := make([]error, s.cfg.Units)
	picker := newCellPicker(s.classes(), s.cfg.ClassMix)
	err := parallelFor(ctx, s.cfg.Units, func(u int) {
		units[u], errs[u] = s.buildUnit(u, picker)
	})
	if err != nil {
		return nil, err
	}
	for u, e := range errs {
		if e != nil {
			return nil, fmt.Errorf("unit %d: %w", u, e)
		}
	}
	return units, nil
}

func (s *simState) classes() []string {
	out := make([]string, len(s.lib))
	for i, c := range s.lib {
		out[i] = c.Class
	}
	return out
}

// buildUnit draws unit u: a cell and placement whose trough falls in the accepted range
// (or the closest of placeTries draws), its templates and its firing model.
func (s *simState) buildUnit(u int, picker cellPicker) (unitModel, error) {
	r := newRand(s.cfg.Seed, tagPlace, uint64(u))
	pl, libIdx, tMs, err := s.placeUnit(r, picker)
	if err != nil {
		return unitModel{}, err
	}
	m := unitModel{pl: pl, rs: resampledSources(pl.src, tMs, s.cfg.SampleRateHz)}
	m.info = UnitInfo{ID: u, Class: pl.src.Class, XUm: pl.somaUm[0], YUm: pl.somaUm[1],
		ZUm: pl.somaUm[2], LibraryID: libIdx}
	_, _, minY, maxY := s.cfg.Probe.Extent()
	m.info.DriftScale = driftScale(pl.somaUm[1], minY, maxY, s.cfg.DriftNonRigid)
	if err := s.unitTemplates(&m); err != nil {
		return unitModel{}, err
	}
	m.info.PeakChannel, m.info.PeakUV = peakOf(m.ref)
	m.info.SNR = m.info.PeakUV / s.cfg.NoiseUV
	m.fire = drawFiring(newRand(s.cfg.Seed, tagTrain, uint64(u)), m.info.Class)
	return m, nil
}

// placeUnit draws a library cell, then positions and rotations until its trough depth is
// in [minPeakUV, maxPeakUV] (or the nearest miss of placeTries draws); it returns the placement, library index and trough time (ms into the cell's window).
func (s *simState) placeUnit(r *rand.Rand, picker cellPicker) (placement, int, float64,
	error) {
	var best placement
	bestT, bestMiss := 0.0, math.Inf(1)
	b := placementBox(s.cfg.Probe)
	idx := picker.pick(r) // drawn once: redrawing the cell would bias the class mix
	src := s.lib[idx]
	for range placeTries {
		pl := placement{src: src, somaUm: b.draw(r), rot: rotationFor(r, src.Class)}
		tMs, depth, err := troughTime(pl, s.contacts, s.cfg.SampleRateHz)
		if err != nil {
			return placement{}, 0, 0, err
		}
		miss := math.Max(minPeakUV-depth, depth-maxPeakUV)
		if miss <= 0 {
			return pl, idx, tMs, nil
		}
		if miss < bestMiss {
			best, bestT, bestMiss = pl, tMs, miss
		}
	}
	return best, idx, bestT, nil
}

// unitTemplates projects the unit at its t=0 position and along its drift path.
func (s *simState) unitTemplates(m *unitModel) error {
	lo, hi := traceRange(s.drift)
	lo, hi = lo*m.info.DriftScale, hi*m.info.DriftScale
	if lo > hi {
		lo, hi = hi, lo
	}
	y := m.pl.somaUm[1]
	chans := channelsNear(s.contacts, m.pl.somaUm[0], y+lo, y+hi, unitRadiusUm)
	ref, err := project(m.rs, m.pl, s.contacts, chans)
	if err != nil {
		return err
	}
	if hi == lo {
		m.ref = pruneChannels(ref, minTemplateUV)
		m.grid, m.gridLo = []sparseTemplate{m.ref}, 0
		return nil
	}
	m.ref = ref
	n := int(math.Ceil((hi-lo)/driftGridUm)) + 1
	m.gridLo = lo
	m.grid = make([]sparseTemplate, n)
	for g := range m.grid {
		pl := m.pl
		pl.somaUm[1] = y + lo + float64(g)*driftGridUm
		if m.grid[g], err = project(m.rs, pl, s.contacts, chans); err != nil {
			return err
		}
	}
	return nil
}

// minTemplateUV is the amplitude below which a static unit's template channels are
// dropped: far below the noise and the quantisation step, and they are most of the cost of
// adding spikes.
const minTemplateUV = 0.5

// pruneChannels returns t restricted to the channels whose largest absolute value is at
// least minUV.
func pruneChannels(t sparseTemplate, minUV float32) sparseTemplate {
	n := len(t.channels)
	if n == 0 {
		return t
	}
	peak := make([]float32, n)
	for k, v := range t.data {
		peak[k%n] = max(peak[k%n], v, -v)
	}
	var keep []int
	for i, p := range peak {
		if p >= minUV {
			keep = append(keep, i)
		}
	}
	out := sparseTemplate{channels: make([]int32, len(keep))}
	out.data = make([]float32, 0, len(keep)*len(t.data)/n)
	for i, k := range keep {
		out.channels[i] = t.channels[k]
	}
	for row := 0; row < len(t.data); row += n {
		for _, k := range keep {
			out.data = append(out.data, t.data[row+k])
		}
	}
	return out
}

// gridPos returns the drift grid index and interpolation fraction of unit m at trace
// value driftUm.
func (m *unitModel) gridPos(driftUm float64) (int, float32) {
	if len(m.grid) < 2 {
		return 0, 0
	}
	x := (driftUm*m.info.DriftScale - m.gridLo) / driftGridUm
	x = clamp(x, 0, float64(len(m.grid)-1))
	g := min(int(x), len(m.grid)-2)
	return g, float32(x - float64(g))
}
