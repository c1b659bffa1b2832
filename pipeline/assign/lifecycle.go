package assign

import (
	"math"
	"slices"

	"github.com/spikestream/spikestream/stream"
)

// modelSeparation returns the separation of two unit models in pooled standard deviations:
// of their embedding means along the axis joining them, of their positions and of their log
// amplitudes.
func modelSeparation(a, b *model) (embDP, posDP, ampDP float64) {
	var d2, proj float64
	for k := 0; k < a.dim; k++ {
		d := float64(a.mean[k] - b.mean[k])
		d2 += d * d
		proj += d * d * float64(a.varEmb[k]+b.varEmb[k]) / 2
	}
	if proj > 0 {
		embDP = d2 / math.Sqrt(proj)
	}
	dx, dy := float64(a.xUm-b.xUm), float64(a.yUm-b.yUm)
	posDP = math.Sqrt((dx*dx + dy*dy) / float64(a.varPos+b.varPos))
	da := float64(a.logAmp - b.logAmp)
	ampDP = math.Abs(da) / math.Sqrt(float64(a.varAmp+b.varAmp)/2)
	return embDP, posDP, ampDP
}

// separation is modelSeparation's result for one pair of units, in pooled standard
// deviations.
type separation struct{ emb, pos, amp float64 }

// pairSeparation returns the separation of the models of units a and b.
func pairSeparation(a, b *unit) separation {
	e, p, amp := modelSeparation(&a.m, &b.m)
	return separation{emb: e, pos: p, amp: amp}
}

// within reports whether the pair is closer than dp on every axis.
func (s separation) within(dp float64) bool { return s.emb < dp && s.pos < dp && s.amp < dp }

// selectMerges queues every pair of nearby units whose models are not clearly separate,
// with a copy of their recent members, and every pair at the same place and amplitude whose
// rates could give refractory evidence, with a copy of their recent spike times. Caller
// holds mu.
func (o *Online) selectMerges() {
	ps := &o.ps
	ps.pairs = ps.pairs[:0]
	r2 := float32(o.cfg.NeighbourRadiusUm * o.cfg.NeighbourRadiusUm)
	// No test below accepts a pair this far apart in position or amplitude.
	maxPosDP := max(o.cfg.SplitDPrime, fadePosFactor*o.cfg.MergeDPrime)
	maxAmpDP := max(o.cfg.SplitDPrime, o.cfg.MergeDPrime)
	for i, a := range o.units {
		o.passYield()
		for _, b := range o.units[i+1:] {
			dx, dy := a.m.xUm-b.m.xUm, a.m.yUm-b.m.yUm
			if dx*dx+dy*dy > r2 {
				continue
			}
			sep := pairSeparation(a, b)
			if sep.pos >= maxPosDP || sep.amp >= maxAmpDP {
				continue
			}
			pr := mergePair{a: min(a.id, b.id), b: max(a.id, b.id)}
			pr.crossfade = o.fadeCandidate(a, b, sep) || o.fadeCandidate(b, a, sep)
			pr.twin = o.twinCandidate(a, b)
			if o.handoff(a, b, sep) || o.handoff(b, a, sep) {
				pr.handoff = true
			} else if sep.within(o.cfg.SplitDPrime) {
				pr.pts = b.recent.appendTo(a.recent.appendTo(nil))
			} else if pr.crossfade || pr.twin {
				pr.refractoryOnly = true
			} else if !o.colocated(a, b, sep) {
				continue
			} else {
				pr.refractoryOnly = true
			}
			pr.apart = sep.pos >= o.cfg.MergeDPrime
			pr.timesA = a.times.appendTo(nil)
			pr.timesB = b.times.appendTo(nil)
			ps.pairs = append(ps.pairs, pr)
		}
	}
}

// TODO: a slow unit (under ~3 Hz) whose embedding jumps when drift moves its peak channel
// keeps a second id for minutes: refractory evidence accrues with rate squared.

// colocated reports whether units a and b sit at the same place with the same amplitude and
// fire fast enough, over the time their spike-time histories share, for the refractory test
// to decide; sep is their separation. Caller holds mu.
func (o *Online) colocated(a, b *unit, sep separation) bool {
	if sep.pos >= fadePosFactor*o.cfg.MergeDPrime || sep.amp >= o.cfg.MergeDPrime {
		return false
	}
	a0, a1, okA := a.times.span()
	b0, b1, okB := b.times.span()
	lo, hi := max(a0, b0), min(a1, b1)
	if !okA || !okB || hi <= lo || a1 <= a0 || b1 <= b0 {
		return false
	}
	rateA := float64(a.times.len()) / (a1 - a0)
	rateB := float64(b.times.len()) / (b1 - b0)
	return rateA*rateB*(hi-lo)*2*o.cfg.RefractoryMs/1e3 >= minMergeCoincidences
}

// Handoff test constants: the old unit must have missed handoffSilentSpikes spikes at its
// rate (chance: e^-10), the new one must have begun within handoffWindowISIs of the old
// one's mean interspike interval of its last spike, and their rates must agree within
// handoffRateRatio.
const (
	handoffSilentSpikes = 10
	handoffWindowISIs   = 20
	handoffRateRatio    = 3
)

// handoff reports whether unit b took over from unit old: old fell silent (it has missed
// handoffSilentSpikes spikes at its own rate) at about the time b began to fire, b fires at a
// similar rate, and the two sit at the same place with the same amplitude. That is one
// neuron whose waveform changed as drift moved its peak channel, too slow for the refractory
// test, whose evidence needs both shapes at once; sep is their separation. Caller holds mu.
func (o *Online) handoff(old, b *unit, sep separation) bool {
	if sep.pos >= fadePosFactor*o.cfg.MergeDPrime || sep.amp >= o.cfg.MergeDPrime {
		return false
	}
	o0, o1, okO := old.times.span()
	b0, b1, okB := b.times.span()
	if !okO || !okB || o1 <= o0 || b1 <= b0 || b0 <= o0 {
		return false
	}
	rateO := float64(old.times.len()-1) / (o1 - o0)
	rateB := float64(b.times.len()-1) / (b1 - b0)
	if rateB > handoffRateRatio*rateO || rateO > handoffRateRatio*rateB {
		return false
	}
	if (o.nowS-o1)*rateO < handoffSilentSpikes {
		return false
	}
	return math.Abs(b0-o1)*rateO <= handoffWindowISIs
}

// fadeCandidate reports whether unit old may have handed its neuron over to unit b through
// a crossfade: the two sit at the same place with the same amplitude, b began to fire after
// old and before old's last spike, old has since fallen silent (missed handoffSilentSpikes
// spikes at its rate) and b fires on; sep is their separation. testMerges then checks the
// spike counts. Caller holds mu.
func (o *Online) fadeCandidate(old, b *unit, sep separation) bool {
	if sep.pos >= fadePosFactor*o.cfg.MergeDPrime || sep.amp >= o.cfg.MergeDPrime {
		return false
	}
	o0, o1, okO := old.times.span()
	b0, b1, okB := b.times.span()
	if !okO || !okB || o1 <= o0 || !(o0 < b0 && b0 < o1 && o1 < b1) {
		return false
	}
	rateO := float64(old.times.len()-1) / (o1 - o0)
	return (o.nowS-o1)*rateO >= handoffSilentSpikes
}

// Twin test constants: two units less than twinMaxUm apart whose amplitudes differ by
// less than a factor twinMaxAmpRatio, that peak on different channels and have both fired
// for twinMinOverlapS, are one neuron unless their trains come within RefractoryMs of each
// other more than twinMaxRatio times as often as independent trains would (one
// coincidence is allowed, for a spike detected twice). The limits are absolute, not in
// the units' own spreads, so that a merged unit, whose spread is wider, does not then
// absorb its neighbours.
const (
	twinMaxUm       = 10
	twinMaxAmpRatio = 1.15
	twinMinOverlapS = 60
	twinMaxRatio    = 0.25
)

// twinCandidate reports whether units a and b may be one neuron whose spikes peak on
// either of two channels: the embedder sees the waveform from the peak channel, so such a
// neuron gives two embeddings at one place and amplitude, and when it fires slowly the
// refractory test takes too long to join them. Caller holds mu.
func (o *Online) twinCandidate(a, b *unit) bool {
	dx, dy := float64(a.m.xUm-b.m.xUm), float64(a.m.yUm-b.m.yUm)
	da := math.Abs(float64(a.m.logAmp - b.m.logAmp))
	if dx*dx+dy*dy >= twinMaxUm*twinMaxUm || da >= math.Log(twinMaxAmpRatio) {
		return false
	}
	a0, a1, okA := a.times.span()
	b0, b1, okB := b.times.span()
	if !okA || !okB || min(a1, b1)-max(a0, b0) < twinMinOverlapS {
		return false
	}
	return modalChannel(&a.recent) != modalChannel(&b.recent) && !o.crowded(a, b)
}

// crowded reports whether a third live unit sits within twinMaxUm of unit a or b with an
// amplitude within twinMaxAmpRatio squared of theirs: where units crowd (a dense tetrode)
// place and amplitude do not single out a neuron. Caller holds mu.
func (o *Online) crowded(a, b *unit) bool {
	near := func(u, v *unit, ratio float64) bool {
		dx, dy := float64(u.m.xUm-v.m.xUm), float64(u.m.yUm-v.m.yUm)
		da := math.Abs(float64(u.m.logAmp - v.m.logAmp))
		return dx*dx+dy*dy < twinMaxUm*twinMaxUm && da < math.Log(ratio)
	}
	for _, u := range o.units {
		if u != a && u != b && (near(u, a, twinMaxAmpRatio*twinMaxAmpRatio) ||
			near(u, b, twinMaxAmpRatio*twinMaxAmpRatio)) {
			return true
		}
	}
	return false
}

// twins reports whether two spike trains (times in s), over the time both cover, come
// within refrS of each other at most twinMaxRatio times as often as independent trains
// would, or once. It sorts a and b in place.
func twins(a, b []float64, refrS float64) bool {
	observed, expected := coincidences(a, b, refrS)
	return float64(observed) <= max(1, twinMaxRatio*expected)
}

// modalChannel returns the peak channel most of the ring's members have.
func modalChannel(r *recentRing) uint16 {
	var chans [8]uint16
	var counts [8]int
	used := 0
	for i := 0; i < r.len(); i++ {
		c := r.buf[i].channel
		k := slices.Index(chans[:used], c)
		if k < 0 && used < len(chans) {
			k, used = used, used+1
			chans[k] = c
		}
		if k >= 0 {
			counts[k]++
		}
	}
	best := 0
	for k := 1; k < used; k++ {
		if counts[k] > counts[best] {
			best = k
		}
	}
	return chans[best]
}

// fadePosFactor widens the position limit of a crossfade candidate: the old unit's position
// stopped following the neuron when it fell silent, while the new one's went on drifting.
const fadePosFactor = 2

// Crossfade test constants. The new unit needs fadeMinSpikes spikes after the old one's
// last to measure the neuron's rate, and the overlap must be long enough to expect
// fadeMinOverlap of its spikes. While both fire, one neuron shared between two shapes gives
// a combined count near that expectation (at most fadeMaxExcess times it) and a new unit
// firing below its later rate (at most fadeMaxShare times it), since the old shape still
// takes part of the train. Two independent neurons give about the sum of their rates and a
// new unit at its full rate. The old unit's rate before the overlap, when fadeMinSpikes
// spikes measure it, must agree with the new one's within handoffRateRatio.
const (
	fadeMinSpikes  = 10
	fadeMinOverlap = 30
	fadeMaxExcess  = 1.4
	fadeMaxShare   = 0.7
)

// crossfade reports whether two spike trains (times in s) look like one neuron's train
// handed from one to the other: one train ends after the other began, and while both fire
// their combined rate is about the rate the later one has alone, with the later one below
// that rate (one neuron whose spikes were shared between two waveform shapes as drift moved
// it past a channel), not the sum of two neurons' rates. It sorts a and b in place.
func crossfade(a, b []float64) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	slices.Sort(a)
	slices.Sort(b)
	if a[len(a)-1] > b[len(b)-1] {
		a, b = b, a
	}
	old, nw := a, b // old ends first
	o0, o1, b0, b1 := old[0], old[len(old)-1], nw[0], nw[len(nw)-1]
	if !(o0 < b0 && b0 < o1 && o1 < b1) {
		return false
	}
	after := len(window(nw, o1, b1))
	if after < fadeMinSpikes {
		return false
	}
	rateN := float64(after) / (b1 - o1)
	if before := len(window(old, o0, b0)); before >= fadeMinSpikes {
		rateO := float64(before) / (b0 - o0)
		if rateN > handoffRateRatio*rateO || rateO > handoffRateRatio*rateN {
			return false
		}
	}
	expected := rateN * (o1 - b0)
	countO, countN := len(window(old, b0, o1)), len(window(nw, b0, o1))
	return expected >= fadeMinOverlap &&
		float64(countO+countN) <= fadeMaxExcess*expected &&
		float64(countN) <= fadeMaxShare*expected
}

// testMerges decides each queued pair: merge when the two spike trains share a refractory
// period (one neuron whose embedding took two shapes, e.g. as drift moved its peak
// channel) or, for pairs with close models, when the union of their members shows no split
// at MergeDPrime. A pair whose joint train is contaminated merges only the second way, and
// only if amplitude does not split it either; a pair whose trains come within the
// refractory period as often as independent neurons' do never merges the second way.
// Caller holds passMu only.
func (o *Online) testMerges(dim int) {
	refrS := o.cfg.RefractoryMs / 1e3
	for i := range o.ps.pairs {
		yieldCPU()
		pr := &o.ps.pairs[i]
		pr.refractory = sharedRefractory(pr.timesA, pr.timesB, refrS, pr.apart)
		if pr.crossfade && !pr.refractory {
			pr.handoff = crossfade(pr.timesA, pr.timesB)
		}
		pr.twin = pr.twin && !pr.refractory && !pr.handoff &&
			twins(pr.timesA, pr.timesB, refrS)
		pr.accept = pr.refractory || pr.handoff || pr.twin
		if pr.accept && !pr.handoff && o.unionContaminated(pr) {
			pr.accept, pr.refractory, pr.twin = false, false, false
		}
		if pr.accept || pr.refractoryOnly {
			continue
		}
		_, _, split := o.ps.cl.sep.bestSplit(pr.pts, nil, dim, o.cfg.MergeDPrime)
		if !split && o.unionContaminated(pr) {
			_, ampExcess := o.ps.cl.sep.ampSplit(pr.pts, o.cfg.MergeDPrime)
			split = ampExcess > 0
		}
		if !split {
			// A union that the split test would cut by amplitude must not merge.
			_, split = o.ps.cl.sep.ampModes(pr.pts, o.cfg.SplitDPrime, o.cfg.MinSpikes)
		}
		pr.accept = !split && !independent(pr.timesA, pr.timesB, refrS)
	}
}

// unionContaminated reports whether the joint spike train of a queued pair is
// contaminated: then the pair is two neurons, whatever the refractory test saw (overlapping
// spikes, whose waveforms are corrupted, go to neither unit and hide coincidences), and
// amplitude counts in the closeness test. It sorts pr's times in place and caches the
// answer in pr. Caller holds passMu.
func (o *Online) unionContaminated(pr *mergePair) bool {
	if !pr.unionTested {
		pr.unionTested = true
		// Over the time both histories cover, so that the rate of the joint train is right.
		if inA, inB, spanS := overlap(pr.timesA, pr.timesB); spanS > 0 {
			union := append(slices.Clone(inA), inB...)
			pr.unionDirty = contaminated(union, o.cfg.RefractoryMs/1e3)
		}
	}
	return pr.unionDirty
}

// Refractory test thresholds. To merge, the independent-train expectation of coincidences
// must be at least minMergeCoincidences and the observed count at most maxCoincidenceRatio
// of it, so that the observed count must be 0 until the expectation reaches 10. Independent
// trains pass with probability e^-5 (under 1 %) at the first test and far less later, as
// the evidence grows with the rates and the time the trains share (the units'
// SpikeTimeHistory): trains at ra and rb Hz over T s expect ra*rb*T*2*(RefractoryMs/1e3 -
// violationMinS) coincidences, so two 8 Hz shapes of one neuron are merged after about 40 s
// together, two 3 Hz shapes after about five minutes. The same test keeps a unit whole when
// the halves of a proposed split share a refractory period. Calling two trains independent,
// which a unit formed by a refractory merge needs before it may split again, takes the
// stronger evidence of minExpectedCoincidences.
const (
	minMergeCoincidences    = 5
	minExpectedCoincidences = 8
	maxCoincidenceRatio     = 0.1
)

// sharedRefractory reports whether two spike trains (times in s) almost never fire within
// refrS of each other over the time both cover, compared with what independent trains at
// their rates would: the sign that they are one neuron.
func sharedRefractory(a, b []float64, refrS float64, apart bool) bool {
	observed, expected := coincidences(a, b, refrS)
	need := float64(minMergeCoincidences)
	if apart {
		need = minExpectedCoincidences
	}
	return expected >= need && float64(observed) <= maxCoincidenceRatio*expected
}

// independent reports whether two spike trains come within refrS of each other at least
// half as often as independent trains would, with enough spikes to tell.
func independent(a, b []float64, refrS float64) bool {
	observed, expected := coincidences(a, b, refrS)
	return expected >= minExpectedCoincidences && float64(observed) >= 0.5*expected
}

// coincidences counts the pairs of spikes of a and b (times in s) between violationMinS and
// refrS apart over the time both trains cover, and the count independent trains at their
// rates would give. Closer pairs are left out of both: the detector reports one spike of a
// pair that close on nearby channels, so it would count none for any two units. It sorts a
// and b in place.
func coincidences(a, b []float64, refrS float64) (int, float64) {
	inA, inB, spanS := overlap(a, b)
	minGapS := violationMinS
	if spanS <= 0 || refrS <= minGapS {
		return 0, 0
	}
	expected := float64(len(inA)) * float64(len(inB)) * 2 * (refrS - minGapS) / spanS
	observed, j := 0, 0
	for _, tS := range inA {
		for j < len(inB) && inB[j] < tS-refrS {
			j++
		}
		for k := j; k < len(inB) && inB[k] <= tS+refrS; k++ {
			if math.Abs(inB[k]-tS) >= minGapS {
				observed++
			}
		}
	}
	return observed, expected
}

// overlap sorts a and b (times in s) in place and returns the times of each within the span
// both cover, and that span in s (0 when they do not overlap). The slices alias a and b.
func overlap(a, b []float64) (inA, inB []float64, spanS float64) {
	if len(a) == 0 || len(b) == 0 {
		return nil, nil, 0
	}
	slices.Sort(a)
	slices.Sort(b)
	lo, hi := max(a[0], b[0]), min(a[len(a)-1], b[len(b)-1])
	if hi <= lo {
		return nil, nil, 0
	}
	return window(a, lo, hi), window(b, lo, hi), hi - lo
}

// window returns the times of sorted ts within [lo, hi].
func window(ts []float64, lo, hi float64) []float64 {
	i, _ := slices.BinarySearch(ts, lo)
	j, found := slices.BinarySearch(ts, hi)
	if found {
		for j < len(ts) && ts[j] == hi {
			j++
		}
	}
	return ts[i:j]
}

// applyMerges folds each accepted pair's younger unit into the older one, letting Assign
// run after each. Caller holds passMu and mu.
func (o *Online) applyMerges() {
	for _, pr := range o.ps.pairs {
		if !pr.accept {
			continue
		}
		a, b := o.unitByID(pr.a), o.unitByID(pr.b)
		if a == nil || b == nil {
			continue
		}
		var pts []point
		switch {
		case pr.handoff && b.lastS > a.lastS: // the survivor takes the current shape
			pts = b.recent.appendTo(nil)
		case pr.handoff:
			pts = a.recent.appendTo(nil)
		default:
			pts = a.recent.appendTo(nil)
			pts = b.recent.appendTo(pts)
			slices.SortFunc(pts, func(x, y point) int { return cmpSeq(x.seq, y.seq) })
		}
		o.refit(a, pts)
		ts := a.times.appendTo(nil)
		ts = b.times.appendTo(ts)
		slices.Sort(ts)
		a.times.reset(ts)
		a.oneNeuron = a.oneNeuron || b.oneNeuron || pr.refractory || pr.handoff || pr.twin
		a.n += b.n
		a.lastS = max(a.lastS, b.lastS)
		o.units = slices.DeleteFunc(o.units, func(u *unit) bool { return u == b })
		ev := o.event(stream.UnitMerged, b)
		ev.Related = []uint32{a.id}
		o.ps.events = append(o.ps.events, ev)
		o.st.UnitsMerged++
		o.index.rebuild(o.units)
		o.passYield()
	}
}

func cmpSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// selectSplits queues for a split test, with a copy of their recent members, up to
// maxSuspects units whose embedding variance is furthest above the median (at least twice
// it), then units round-robin by id up to maxSplitChecks in all. Caller holds mu.
func (o *Online) selectSplits() {
	ps := &o.ps
	ps.splits = ps.splits[:0]
	if len(o.units) == 0 {
		return
	}
	queued := map[uint32]bool{}
	queue := func(u *unit) {
		if !queued[u.id] && u.recent.len() >= 2*o.cfg.MinSpikes {
			queued[u.id] = true
			ps.splits = append(ps.splits, splitCheck{id: u.id, pts: u.recent.appendTo(nil),
				oneNeuron: u.oneNeuron})
		}
	}
	for _, u := range o.suspects() {
		queue(u)
		o.passYield()
	}
	first, _ := slices.BinarySearchFunc(o.units, o.splitCursor+1,
		func(u *unit, id uint32) int { return cmpSeq(uint64(u.id), uint64(id)) })
	for k := 0; k < len(o.units) && len(ps.splits) < maxSplitChecks; k++ {
		u := o.units[(first+k)%len(o.units)]
		o.splitCursor = u.id
		queue(u)
		o.passYield()
	}
}

// maxSuspects bounds the units queued for a split test because of their spread.
const maxSuspects = 4

// suspects returns up to maxSuspects live units whose mean embedding variance is at least
// twice the median over live units, widest first. Caller holds mu.
func (o *Online) suspects() []*unit {
	vars := o.unitVariances(nil)
	sorted := slices.Clone(vars)
	slices.Sort(sorted)
	limit := 2 * sorted[len(sorted)/2]
	var out []*unit
	for i, u := range o.units {
		if vars[i] > limit {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b *unit) int {
		return cmpFloat(meanVar(&b.m), meanVar(&a.m))
	})
	return out[:min(len(out), maxSuspects)]
}

func meanVar(m *model) float64 {
	var v float64
	for k := 0; k < m.dim; k++ {
		v += float64(m.varEmb[k])
	}
	return v / float64(max(m.dim, 1))
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

// testSplits decides each queued unit. Its recent members split when the best two-means
// split separates at SplitDPrime into halves of MinSpikes each (labels 0 and 1); failing
// that, they are clustered as the pool is, which finds mixtures of several units that a
// single bisection cannot, and split when that yields two clusters of MinSpikes whose own
// partition separates (the largest labelled 0, the second 1, every other member 2). Caller
// holds passMu only.
func (o *Online) testSplits(dim int) {
	for i := range o.ps.splits {
		yieldCPU()
		sc := &o.ps.splits[i]
		labels, _, split := o.ps.cl.sep.bestSplit(sc.pts, nil, dim, o.cfg.SplitDPrime)
		ones := 0
		for _, l := range labels {
			ones += int(l)
		}
		if split && min(ones, len(labels)-ones) >= o.cfg.MinSpikes {
			sc.labels, sc.accept = append(sc.labels[:0], labels...), true
		} else {
			sc.accept = o.clusterSplit(sc, dim)
		}
		if !sc.accept {
			labels, ok := o.ps.cl.sep.ampModes(sc.pts, o.cfg.SplitDPrime, o.cfg.MinSpikes)
			sc.labels, sc.accept = append(sc.labels[:0], labels...), ok
		}
		if sc.accept {
			sc.accept = o.splitAllowed(sc)
		}
	}
}

// Contamination test constants. Interspike intervals longer than violationMinS (the
// detector's own dead time after a spike is shorter) and shorter than violationMaxFrac of
// RefractoryMs are violations: one neuron gives almost none. A unit whose fraction c of
// spikes comes from another neuron gives about 2c(1-c)·n·rate·width of them over n spikes;
// contaminated needs at least minViolations and what c = maxContamination would give.
const (
	violationMinS    = 0.5e-3
	violationMaxFrac = 0.9
	minViolations    = 5
	maxContamination = 0.1
)

// contaminated reports whether a unit's spike train (times in s, sorted in place) has more
// refractory violations than one neuron with maxContamination of foreign spikes would.
func contaminated(ts []float64, refrS float64) bool {
	if len(ts) < 2 {
		return false
	}
	slices.Sort(ts)
	spanS := ts[len(ts)-1] - ts[0]
	lo, hi := violationMinS, violationMaxFrac*refrS
	if spanS <= 0 || hi <= lo {
		return false
	}
	violations := 0
	for k := 1; k < len(ts); k++ {
		if d := ts[k] - ts[k-1]; d > lo && d <= hi {
			violations++
		}
	}
	n := float64(len(ts))
	c := maxContamination
	expected := 2 * c * (1 - c) * n * (n / spanS) * (hi - lo)
	return violations >= minViolations && float64(violations) >= expected
}

// splitAllowed applies the refractory evidence to a proposed split: halves that share a
// refractory period are one neuron in two shapes and stay together; a unit formed by such a
// merge splits again only on positive evidence that the halves fire independently.
func (o *Online) splitAllowed(sc *splitCheck) bool {
	var halves [2][]float64
	for i, l := range sc.labels {
		if l < 2 {
			halves[l] = append(halves[l], sc.pts[i].timeS)
		}
	}
	refrS := o.cfg.RefractoryMs / 1e3
	if sc.oneNeuron {
		return independent(halves[0], halves[1], refrS)
	}
	return !sharedRefractory(halves[0], halves[1], refrS, false)
}

// clusterSplit labels sc by clustering its members and reports whether two clusters of
// MinSpikes separate. Caller holds passMu only.
func (o *Online) clusterSplit(sc *splitCheck, dim int) bool {
	cl := &o.ps.cl
	idx := make([]int32, len(sc.pts))
	for j := range idx {
		idx[j] = int32(j)
	}
	groups := cl.agglomerate(sc.pts, idx, dim)
	slices.SortStableFunc(groups, func(a, b []int32) int { return len(b) - len(a) })
	if len(groups) < 2 || len(groups[1]) < o.cfg.MinSpikes {
		return false
	}
	sc.labels = slices.Repeat([]uint8{2}, len(sc.pts))
	union := append(append([]int32(nil), groups[0]...), groups[1]...)
	part := make([]uint8, len(union))
	for j := range union {
		if j >= len(groups[0]) {
			part[j] = 1
		}
		sc.labels[union[j]] = part[j]
	}
	return cl.sep.partitionExcess(sc.pts, union, part, dim, o.cfg.SplitDPrime) > 0
}

// applySplits splits each accepted unit: the larger half keeps the id, the other becomes a
// new unit whose Backfill lists the recent members it takes (published under the parent's
// id). Members that arrived since the test go to the nearer half. Caller holds mu.
func (o *Online) applySplits() {
	for _, sc := range o.ps.splits {
		u := o.unitByID(sc.id)
		if !sc.accept || u == nil {
			continue
		}
		var halves [2][]point
		for i, l := range sc.labels {
			if l < 2 {
				halves[l] = append(halves[l], sc.pts[i])
			}
		}
		var ma, mb model
		initModel(&ma, halves[0], o.dim, o.lim)
		initModel(&mb, halves[1], o.dim, o.lim)
		var keep, move []point
		for _, p := range u.recent.appendTo(nil) {
			inA := ma.normDist(&p) <= mb.normDist(&p)
			if inA == (len(halves[0]) >= len(halves[1])) {
				keep = append(keep, p)
			} else {
				move = append(move, p)
			}
		}
		if len(keep) < o.cfg.MinSpikes || len(move) < o.cfg.MinSpikes {
			continue
		}
		o.splitUnit(u, keep, move)
		o.index.rebuild(o.units)
		o.passYield()
	}
}

// splitUnit refits u to keep and founds a new unit from move. Caller holds mu.
func (o *Online) splitUnit(u *unit, keep, move []point) {
	o.refit(u, keep)
	u.times.reset(pointTimes(keep))
	nu := o.newUnit(move)
	u.n -= min(u.n-1, nu.n)
	o.units = append(o.units, nu)
	ev := o.event(stream.UnitSplit, nu)
	ev.Related = []uint32{u.id}
	ev.Backfill = refs(move)
	o.ps.events = append(o.ps.events, ev)
	o.st.UnitsSplit++
}

// duplicates reports whether m is indistinguishable from a live unit. Caller holds mu.
func (o *Online) duplicates(m *model) bool {
	for _, u := range o.units {
		e, p, amp := modelSeparation(&u.m, m)
		if (separation{e, p, amp}).within(o.cfg.MergeDPrime) {
			return true
		}
	}
	return false
}
