package assign

import (
	"math"
	"runtime"
	"slices"
	"time"

	"github.com/spikestream/spikestream/stream"
)

// maxSplitChecks bounds the units tested for a split in one pass; besides suspects, checks
// go round-robin by id, so with U units each is tested about every U/maxSplitChecks passes.
const maxSplitChecks = 8

// passState is the buffers and results of one pass. Guarded by Online.passMu.
type passState struct {
	cl     clusterer
	pool   []point      // pool snapshot
	leaves [][]int32    // new clusters, as indices into pool
	born   []*unit      // units prepared from leaves, not yet registered
	found  [][]point    // founding spikes of each born unit
	swept  [][]point    // other snapshot spikes that each born unit admits
	pairs  []mergePair  // merge candidates, then decisions
	splits []splitCheck // split candidates, then decisions
	events []stream.UnitEvent
	// lockedAt is when the pass last took mu (see passLock), for Stats.PassMaxLockUs.
	lockedAt time.Time
}

func (ps *passState) init(cfg Config, g grid) { ps.cl = newClusterer(cfg, g) }

// mergePair is two live units that may be one; a is the older (smaller id). timesA and
// timesB hold the times of their recent members, s; pts holds the recent members of both
// when their models are close enough for the union test.
type mergePair struct {
	a, b           uint32
	timesA, timesB []float64
	pts            []point
	refractoryOnly bool // their embeddings differ: only the refractory test may merge them
	// apart: their positions differ by more than MergeDPrime (up to fadePosFactor times
	// it), as a neuron's do when its spikes peak on two channels; the refractory test then
	// needs minExpectedCoincidences.
	apart      bool
	refractory bool // the trains share a refractory period
	// handoff: one unit fell silent as the other, at its place and amplitude, began to
	// fire; the newer shape is the same neuron after drift moved it (decided under mu, or
	// by testMerges for a crossfade).
	handoff bool
	// crossfade: one unit fell silent while the other, at its place and amplitude, had
	// begun to fire before it stopped; testMerges decides from the spike times whether the
	// overlap looks like one neuron's train shared between two shapes.
	crossfade bool
	// twin: the two sit at one place with one amplitude but peak on different channels
	// (see twinCandidate); testMerges merges them unless their trains come close too often.
	twin bool
	// unionTested and unionDirty cache whether their joint spike train is contaminated.
	unionTested, unionDirty bool
	accept                  bool
}

// splitCheck is a unit whose recent members are tested for two modes.
type splitCheck struct {
	id        uint32
	oneNeuron bool // the unit came from a refractory merge
	pts       []point
	labels    []uint8
	accept    bool
}

// yieldCPU lets other goroutines run between the pieces of a background pass. A pass can
// take tens of ms of CPU; on a two-core machine, running it in one piece would hold up the
// pipeline's stages for that long (Go preempts a running goroutine only every 10 ms).
// Called between pieces of well under a millisecond, it keeps that delay small.
func yieldCPU() { runtime.Gosched() }

// pass runs one background pass. Caller holds passMu.
//
// The pass holds mu while it snapshots the state and chooses candidates, and while it
// applies its decisions, releasing it between pieces (see passYield) so that Assign never
// waits for a whole section. Only the pass changes o.units, so it may walk o.units across a
// release; it rebuilds the index before every release that follows a change to o.units.
//
// TODO: applyCreations still runs in one locked piece, which is longest in warm-up passes
// that found dozens of units at once.
func (o *Online) pass() {
	ps := &o.ps
	ps.events = ps.events[:0]

	start := time.Now()
	o.passLock()
	o.st.Passes++
	if o.expireAndRetire() {
		o.index.rebuild(o.units)
	}
	o.summaries()
	ps.pool = o.pool.appendTo(ps.pool[:0])
	snapshotSeq := o.seq
	o.selectMerges()
	o.selectSplits()
	ps.cl.liveVars = o.unitVariances(ps.cl.liveVars[:0])
	dim := o.dim
	o.passUnlock()

	if dim > 0 {
		ps.leaves = ps.cl.run(ps.pool, dim)
		o.prepareCreations(dim)
		o.testMerges(dim)
		o.testSplits(dim)
	}

	o.passLock()
	o.applyMerges()
	o.applySplits()
	o.applyCreations(snapshotSeq)
	o.index.rebuild(o.units)
	o.st.LastPassMs = float64(time.Since(start).Nanoseconds()) / 1e6
	o.passUnlock()

	if o.sink != nil {
		for _, ev := range ps.events {
			ev.PeakChannel = o.nearestChannel(ev.XUm, ev.YUm)
			o.sink(ev)
		}
	}
}

// passLock takes mu for the pass and notes when. Caller holds passMu.
func (o *Online) passLock() {
	o.mu.Lock()
	o.ps.lockedAt = time.Now()
}

// passUnlock records how long the pass held mu and releases it. Caller holds passMu and mu.
func (o *Online) passUnlock() {
	held := time.Since(o.ps.lockedAt)
	o.st.PassLockHolds++
	if held > time.Millisecond {
		o.st.PassLockHoldsOver1ms++
	}
	o.st.PassMaxLockUs = max(o.st.PassMaxLockUs, float64(held.Nanoseconds())/1e3)
	o.mu.Unlock()
}

// maxLockStep is how long a pass holds mu before passYield lets Assign in.
const maxLockStep = 100 * time.Microsecond

// passYield lets Assign run once the pass has held mu for maxLockStep: it releases mu,
// yields the CPU and takes mu again. Call it only where o.units and the index agree.
// Caller holds passMu and mu.
func (o *Online) passYield() {
	if time.Since(o.ps.lockedAt) < maxLockStep {
		return
	}
	o.passUnlock()
	yieldCPU()
	o.passLock()
}

// event returns a lifecycle event of kind k describing u at the current stream position;
// the pass fills PeakChannel after releasing mu. Caller holds mu.
func (o *Online) event(k stream.UnitEventKind, u *unit) stream.UnitEvent {
	return stream.UnitEvent{
		Kind: k, UnitID: u.id, SampleIndex: o.nowSample,
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
// RetireAfterS; it reports whether any unit was retired. Caller holds mu.
func (o *Online) expireAndRetire() bool {
	oldestS := o.nowS - o.cfg.PoolMaxAgeS
	o.st.PoolExpired += uint64(o.pool.filter(func(p *point) bool { return p.timeS >= oldestS }))

	silentS := o.nowS - o.cfg.RetireAfterS
	before := len(o.units)
	o.units = slices.DeleteFunc(o.units, func(u *unit) bool {
		if u.lastS >= silentS {
			return false
		}
		o.ps.events = append(o.ps.events, o.event(stream.UnitRetired, u))
		o.st.UnitsRetired++
		return true
	})
	return len(o.units) != before
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
	u := o.prepareUnit(pts, o.dim)
	o.register(u)
	return u
}

// prepareUnit returns a unit fitted to pts, without an id. It allocates the member ring and
// touches no shared state.
func (o *Online) prepareUnit(pts []point, dim int) *unit {
	u := &unit{recent: newRecentRing(o.cfg.RecentSpikes),
		times: newTimeRing(o.cfg.SpikeTimeHistory)}
	initModel(&u.m, pts, dim, o.lim)
	u.times.reset(pointTimes(pts))
	u.recent.reset(slices.SortedFunc(slices.Values(pts),
		func(x, y point) int { return cmpSeq(x.seq, y.seq) }))
	u.n = uint64(len(pts))
	for i := range pts {
		u.lastS = max(u.lastS, pts[i].timeS)
	}
	return u
}

// register gives a prepared unit the next id and its timestamps. Caller holds mu.
func (o *Online) register(u *unit) {
	u.id = o.nextID
	o.nextID++
	u.createdS, u.updateS, u.updateN = o.nowS, o.nowS, u.n
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

// unitVariances appends each live unit's mean per-dimension embedding variance to dst.
// Caller holds mu.
func (o *Online) unitVariances(dst []float64) []float64 {
	for _, u := range o.units {
		dst = append(dst, meanVar(&u.m))
	}
	return dst
}
