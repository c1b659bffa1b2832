package assign

import (
	"math"
	"slices"

	"github.com/spikestream/spikestream/stream"
)

// maxSplitChecks bounds the units tested for a split in one pass; checks go round-robin by
// id, so with U units each is tested about every U/maxSplitChecks passes.
const maxSplitChecks = 8

// passState is the buffers and results of one pass. Guarded by Online.passMu.
type passState struct {
	cl     clusterer
	pool   []point      // pool snapshot
	leaves [][]int32    // new clusters, as indices into pool
	pairs  []mergePair  // merge candidates, then decisions
	splits []splitCheck // split candidates, then decisions
	events []stream.UnitEvent
}

func (ps *passState) init(cfg Config, g grid) { ps.cl = newClusterer(cfg, g) }

// mergePair is two live units that may be one; a is the older (smaller id).
type mergePair struct {
	a, b   uint32
	pts    []point
	accept bool
}

// splitCheck is a unit whose recent members are tested for two modes.
type splitCheck struct {
	id     uint32
	pts    []point
	labels []uint8
	accept bool
}

// pass runs one background pass. Caller holds passMu.
func (o *Online) pass() {
	ps := &o.ps
	ps.events = ps.events[:0]

	o.mu.Lock()
	o.st.Passes++
	o.expireAndRetire()
	o.summaries()
	ps.pool = o.pool.appendTo(ps.pool[:0])
	o.selectMerges()
	o.selectSplits()
	ps.cl.typicalVar = o.typicalVariance()
	dim := o.dim
	o.mu.Unlock()

	if dim > 0 {
		ps.leaves = ps.cl.run(ps.pool, dim)
		o.testMerges(dim)
		o.testSplits(dim)
	}

	o.mu.Lock()
	o.applyMerges()
	o.applySplits()
	o.applyCreations()
	o.index.rebuild(o.units)
	o.mu.Unlock()

	if o.sink != nil {
		for _, ev := range ps.events {
			o.sink(ev)
		}
	}
}

// event returns a lifecycle event of kind k describing u at the current stream position.
// Caller holds mu.
func (o *Online) event(k stream.UnitEventKind, u *unit) stream.UnitEvent {
	return stream.UnitEvent{
		Kind: k, UnitID: u.id, SampleIndex: o.nowSample,
		PeakChannel: o.nearestChannel(u.m.xUm, u.m.yUm),
		AmplitudeUV: float32(math.Exp(float64(u.m.logAmp))),
		XUm:         u.m.xUm, YUm: u.m.yUm, NumSpikes: u.n,
	}
}

// nearestChannel returns the channel whose contact is closest to a position.
func (o *Online) nearestChannel(xUm, yUm float32) uint16 {
	best, bestD := 0, math.Inf(1)
	for ch, c := range o.probe.Contacts {
		d := math.Hypot(c.XUm-float64(xUm), c.YUm-float64(yUm))
		if d < bestD {
			best, bestD = ch, d
		}
	}
	return uint16(best)
}

// expireAndRetire drops pool spikes older than PoolMaxAgeS and retires units silent for
// RetireAfterS. Caller holds mu.
func (o *Online) expireAndRetire() {
	oldestS := o.nowS - o.cfg.PoolMaxAgeS
	o.st.PoolExpired += uint64(o.pool.filter(func(p *point) bool { return p.timeS >= oldestS }))

	silentS := o.nowS - o.cfg.RetireAfterS
	o.units = slices.DeleteFunc(o.units, func(u *unit) bool {
		if u.lastS >= silentS {
			return false
		}
		o.ps.events = append(o.ps.events, o.event(stream.UnitRetired, u))
		o.st.UnitsRetired++
		return true
	})
}

// summaries queues a UnitUpdated for each unit that gained members and has not reported for
// UpdateEveryS. Caller holds mu.
func (o *Online) summaries() {
	for _, u := range o.units {
		if u.n == u.updateN || o.nowS-u.updateS < o.cfg.UpdateEveryS {
			continue
		}
		u.updateS, u.updateN = o.nowS, u.n
		o.ps.events = append(o.ps.events, o.event(stream.UnitUpdated, u))
	}
}

// unitByID returns the live unit with id, or nil. Caller holds mu.
func (o *Online) unitByID(id uint32) *unit {
	for _, u := range o.units {
		if u.id == id {
			return u
		}
	}
	return nil
}

// newUnit founds a unit from pts with the next id. Caller holds mu.
func (o *Online) newUnit(pts []point) *unit {
	u := &unit{id: o.nextID, recent: newRecentRing(o.cfg.RecentSpikes)}
	o.nextID++
	initModel(&u.m, pts, o.dim, o.lim)
	u.recent.reset(pts)
	u.n = uint64(len(pts))
	for i := range pts {
		u.lastS = max(u.lastS, pts[i].timeS)
	}
	u.createdS, u.updateS, u.updateN = o.nowS, o.nowS, u.n
	return u
}

// refit replaces u's model and recent members with a fit to pts, keeping id and counts.
// Caller holds mu.
func (o *Online) refit(u *unit, pts []point) {
	initModel(&u.m, pts, o.dim, o.lim)
	u.recent.reset(pts)
}

// refs lists pts as spike references for Backfill.
func refs(pts []point) []stream.SpikeRef {
	out := make([]stream.SpikeRef, len(pts))
	for i := range pts {
		out[i] = stream.SpikeRef{SampleIndex: pts[i].sample, PeakChannel: pts[i].channel}
	}
	return out
}

// dprimeThreshold corrects a separation threshold for the overfitting of two-means on n
// points in k dimensions, which inflates d' of unimodal data by about 1.3*sqrt(k/n)
// (measured on Gaussian data, k 2..32, n 30..256).
func dprimeThreshold(base float64, k, n int) float64 {
	return base + 1.3*math.Sqrt(float64(k)/float64(max(n, 1)))
}

// typicalVariance returns the median over live units of their mean per-dimension embedding
// variance; 0 when there is no unit. Caller holds mu.
func (o *Online) typicalVariance() float64 {
	vs := make([]float64, len(o.units))
	for i, u := range o.units {
		for k := 0; k < u.m.dim; k++ {
			vs[i] += float64(u.m.varEmb[k]) / float64(u.m.dim)
		}
	}
	if len(vs) == 0 {
		return 0
	}
	slices.Sort(vs)
	return vs[len(vs)/2]
}
