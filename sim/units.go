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
const driftGridUm = 4

// templatePhases is the number of sub-sample trough positions a unit's templates come in:
// a spike whose trough falls between samples uses the template sampled at that offset,
// so the recording carries the sub-sample jitter of real spike times.
const templatePhases = 4

// unitModel is one simulated unit: its cell, placement, templates along its drift path
// and firing model.
type unitModel struct {
	info   UnitInfo
	pl     placement
	rs     *neuron.Sources    // the cell resampled on the template grid; nil once projected
	tMs    float64            // trough time in the library cell's window, ms
	ref    sparseTemplate     // template at the t=0 position, trough on a sample
	grid   [][]sparseTemplate // [phase][drift position]
	gridLo float64            // displacement (um) of grid[p][0]
	fire   firing
}

// simState is the shared state of one Generate call, read-only once built.
type simState struct {
	cfg      Config
	lib      []*neuron.Sources
	contacts [][3]float64
	pre, ts  int       // template trough index and length, samples
	drift    []float32 // rigid drift trace, um every driftStepS; nil without drift
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
	m := unitModel{pl: pl, tMs: tMs,
		rs: resampledSources(pl.src, tMs, s.cfg.SampleRateHz, templatePhases)}
	m.info = UnitInfo{ID: u, Class: pl.src.Class, XUm: pl.somaUm[0], YUm: pl.somaUm[1],
		ZUm: pl.somaUm[2], LibraryID: libIdx}
	_, _, minY, maxY := s.cfg.Probe.Extent()
	m.info.DriftScale = driftScale(pl.somaUm[1], minY, maxY, s.cfg.DriftNonRigid)
	if err := s.unitTemplates(&m); err != nil {
		return unitModel{}, err
	}
	m.rs = nil // the fine-grid currents are large and no longer needed
	m.info.PeakChannel, m.info.PeakUV = peakOf(m.ref)
	m.info.SNR = m.info.PeakUV / s.cfg.NoiseUV
	m.fire = drawFiring(newRand(s.cfg.Seed, tagTrain, uint64(u)), m.info.Class)
	return m, nil
}

// placeUnit draws a library cell, then positions and rotations until its trough depth is
// in [minPeakUV, maxPeakUV] (or the nearest miss of placeTries draws); it returns the
// placement, library index and trough time (ms into the cell's window).
func (s *simState) placeUnit(r *rand.Rand, picker cellPicker) (placement, int, float64,
	error) {
	var best placement
	bestT, bestMiss := 0.0, math.Inf(1)
	b := placementBox(s.cfg.Probe)
	idx := picker.pick(r) // drawn once: redrawing the cell would bias the class mix
	src := s.lib[idx]
	for range placeTries {
		pl := placement{src: src, somaUm: b.draw(r), rot: rotationFor(r, src.Class)}
		// Screen on the nearest contact alone (the deepest trough is at least as deep,
		// and rarely more than twice), then time the trough on troughContacts.
		_, depth, err := troughTime(pl, s.contacts, s.cfg.SampleRateHz, 1)
		if err != nil {
			return placement{}, 0, 0, err
		}
		if depth > maxPeakUV || 2*depth < minPeakUV {
			if miss := math.Max(minPeakUV-2*depth, depth-maxPeakUV); miss < bestMiss {
				best, bestT, bestMiss = pl, math.NaN(), miss
			}
			continue
		}
		tMs, depth, err := troughTime(pl, s.contacts, s.cfg.SampleRateHz, troughContacts)
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
	if math.IsNaN(bestT) { // the nearest miss was only screened: time its trough now
		t, _, err := troughTime(best, s.contacts, s.cfg.SampleRateHz, troughContacts)
		return best, idx, t, err
	}
	return best, idx, bestT, nil
}

// unitTemplates projects the unit at its t=0 position and along its drift path, in every
// sub-sample phase.
func (s *simState) unitTemplates(m *unitModel) error {
	lo, hi := traceRange(s.drift)
	lo, hi = lo*m.info.DriftScale, hi*m.info.DriftScale
	if lo > hi {
		lo, hi = hi, lo
	}
	x, y := m.pl.somaUm[0], m.pl.somaUm[1]
	chans := channelsNear(s.contacts, x, y+lo, y+hi, unitRadiusUm)
	n := 1
	if hi > lo {
		n = int(math.Ceil((hi-lo)/driftGridUm)) + 1
	}
	shifts := make([]float64, n+1)
	for g := range n {
		shifts[g] = lo + float64(g)*driftGridUm
	}
	shifts[n] = 0 // the t=0 position, for the reference template
	fine, err := s.shiftedTemplates(m, chans, shifts)
	if err != nil {
		return err
	}
	m.gridLo = lo
	m.grid = make([][]sparseTemplate, templatePhases)
	for _, f := range fine[:n] {
		for p, t := range splitPhases(f, s.ts, templatePhases) {
			m.grid[p] = append(m.grid[p], t)
		}
	}
	m.ref = splitPhases(fine[n], s.ts, templatePhases)[templatePhases/2]
	if n == 1 {
		m.pruneStatic()
	}
	return nil
}

// shiftedTemplates returns the unit's templates on chans with its soma moved along the
// shank by each shift (um). Moving the cell by d is the same as moving the contacts by -d,
// so every (channel, shift) pair is a virtual contact in the frame of the unmoved cell;
// pairs that land on the same point (a shift by a multiple of the contact pitch) are
// projected once. Pairs farther than unitRadiusUm from the moved soma stay zero.
func (s *simState) shiftedTemplates(m *unitModel, chans []int32,
	shifts []float64) ([]sparseTemplate, error) {
	pts, slot := s.virtualContacts(m.pl.somaUm, chans, shifts)
	rows, err := s.projectPoints(m, pts, len(shifts) > 2)
	if err != nil {
		return nil, fmt.Errorf("project templates: %w", err)
	}
	out := make([]sparseTemplate, len(shifts))
	nc, ts := len(chans), m.rs.NumSteps()
	for g := range shifts {
		t := sparseTemplate{channels: chans, data: make([]float32, nc*ts)}
		for i, j := range slot[g] {
			if j < 0 {
				continue
			}
			for k, v := range rows[j] {
				t.data[k*nc+i] = v
			}
		}
		out[g] = t
	}
	return out, nil
}

// projectPoints returns the unit's fine-grid potential at each point: exactly, or through
// the cell's low-rank factorisation when there are many points (a drifting unit) and the
// cell has enough segments for it to pay.
func (s *simState) projectPoints(m *unitModel, pts [][3]float64,
	lowRank bool) ([][]float32, error) {
	if lowRank && m.pl.src.NumSegments() > 2*lowRankK {
		return lowRankOf(m.pl.src).project(pts, m.pl, m.tMs, s.cfg.SampleRateHz,
			templatePhases)
	}
	rows := make([][]float32, len(pts))
	for i := range rows {
		rows[i] = make([]float32, m.rs.NumSteps())
	}
	if err := m.rs.Potential(pts, m.pl.somaUm, m.pl.rot, 0, rows); err != nil {
		return nil, err
	}
	return rows, nil
}

// virtualContacts returns the distinct virtual contact points of every (shift, channel)
// pair within unitRadiusUm of the shifted soma, and for each pair the index of its point
// (-1 when out of range).
func (s *simState) virtualContacts(somaUm [3]float64, chans []int32,
	shifts []float64) ([][3]float64, [][]int) {
	type key struct{ x, y int64 }
	index := map[key]int{}
	var pts [][3]float64
	slot := make([][]int, len(shifts))
	for g, d := range shifts {
		slot[g] = make([]int, len(chans))
		for i, c := range chans {
			p := s.contacts[c]
			slot[g][i] = -1
			if math.Hypot(p[0]-somaUm[0], p[1]-(somaUm[1]+d)) > unitRadiusUm {
				continue
			}
			v := [3]float64{p[0], p[1] - d, p[2]}
			k := key{int64(math.Round(v[0] * 1000)), int64(math.Round(v[1] * 1000))}
			j, ok := index[k]
			if !ok {
				j = len(pts)
				index[k] = j
				pts = append(pts, v)
			}
			slot[g][i] = j
		}
	}
	return pts, slot
}

// splitPhases cuts a template sampled templatePhases times finer than the recording
// (see resampledSources) into one recording-rate template per sub-sample phase. Phase p
// has its trough at sample pre + (p - P/2)/P: P/2 is the centred phase.
func splitPhases(fine sparseTemplate, ts, phases int) []sparseTemplate {
	nc := len(fine.channels)
	out := make([]sparseTemplate, phases)
	for p := range out {
		t := sparseTemplate{channels: fine.channels, data: make([]float32, ts*nc)}
		for k := range ts {
			j := k*phases + 2*(phases/2) - p
			copy(t.data[k*nc:(k+1)*nc], fine.data[j*nc:(j+1)*nc])
		}
		out[p] = t
	}
	return out
}

// pruneStatic drops, from every phase of a unit without drift, the channels on which the
// centred template stays below minTemplateUV.
func (m *unitModel) pruneStatic() {
	keep := strongChannels(m.ref, minTemplateUV)
	m.ref = restrict(m.ref, keep)
	for p := range m.grid {
		m.grid[p][0] = restrict(m.grid[p][0], keep)
	}
}

// minTemplateUV is the amplitude below which a static unit's template channels are
// dropped: far below the noise and the quantisation step, and they are most of the cost of
// adding spikes.
const minTemplateUV = 0.5

// strongChannels returns the indices (into t.channels) of the channels whose largest
// absolute value is at least minUV.
func strongChannels(t sparseTemplate, minUV float32) []int {
	n := len(t.channels)
	if n == 0 {
		return nil
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
	return keep
}

// restrict returns t with only the channels at the given indices.
func restrict(t sparseTemplate, keep []int) sparseTemplate {
	n := len(t.channels)
	out := sparseTemplate{channels: make([]int32, len(keep))}
	if n == 0 {
		return out
	}
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
	n := len(m.grid[0])
	if n < 2 {
		return 0, 0
	}
	x := (driftUm*m.info.DriftScale - m.gridLo) / driftGridUm
	x = clamp(x, 0, float64(n-1))
	g := min(int(x), n-2)
	return g, float32(x - float64(g))
}
