package assign

import "github.com/spikestream/spikestream/stream"

// Unit creation runs in two halves so that the state mutex is held only briefly:
// prepareCreations fits the new units and finds the snapshot spikes they admit without the
// mutex; applyCreations checks under it that the spikes are still in the pool, registers the
// units, moves the spikes out of the pool and sweeps the spikes that arrived meanwhile.

// prepareCreations turns each new cluster into a prepared unit, and lists for each the
// snapshot pool spikes outside every cluster that it admits (judged against the founding
// models, so that admissions cannot snowball). Caller holds passMu only.
func (o *Online) prepareCreations(dim int) {
	ps := &o.ps
	ps.born, ps.found, ps.swept = ps.born[:0], ps.found[:0], ps.swept[:0]
	for _, leaf := range ps.leaves {
		pts := make([]point, len(leaf))
		for i, j := range leaf {
			pts[i] = ps.pool[j]
		}
		if pts = o.trim(pts, dim); len(pts) < o.cfg.MinSpikes {
			continue
		}
		ps.born = append(ps.born, o.prepareUnit(pts, dim))
		ps.found = append(ps.found, pts)
		ps.swept = append(ps.swept, nil)
	}
	if len(ps.born) == 0 {
		return
	}
	ix := unitIndex{g: o.index.g}
	ix.rebuild(ps.born)
	slot := make(map[*unit]int, len(ps.born))
	for i, u := range ps.born {
		slot[u] = i
	}
	for i := range ps.pool {
		if ps.cl.taken[i] {
			continue
		}
		if u, _ := bestCandidate(&ix, ps.born, &ps.pool[i], o.cfg.NeighbourRadiusUm); u != nil {
			ps.swept[slot[u]] = append(ps.swept[slot[u]], ps.pool[i])
		}
	}
}

// trimRounds is how many times trim refits after dropping outliers.
const trimRounds = 2

// trim drops from a new cluster the spikes that its own fitted model would not admit, and
// refits, so that a few stray background spikes cannot widen a unit from birth. It reorders
// pts in place and returns the kept prefix.
func (o *Online) trim(pts []point, dim int) []point {
	var m model
	for round := 0; round < trimRounds; round++ {
		initModel(&m, pts, dim, o.lim)
		kept := 0
		for i := range pts {
			if m.normDist(&pts[i]) <= m.gate {
				pts[kept], pts[i] = pts[i], pts[kept]
				kept++
			}
		}
		if kept == len(pts) {
			break
		}
		pts = pts[:kept]
	}
	return pts
}

// applyCreations registers each prepared unit whose founding spikes are still in the pool
// (at least MinSpikes of them) and which duplicates no live unit, gives it the admitted
// spikes still pooled, and announces it with a UnitCreated whose Backfill lists them all.
// Caller holds mu.
func (o *Online) applyCreations(snapshotSeq uint64) {
	ps := &o.ps
	var born []*unit
	var backfill [][]point
	for i, u := range ps.born {
		pts := o.stillPooled(ps.found[i])
		if len(pts) < o.cfg.MinSpikes || o.duplicates(&u.m) {
			continue
		}
		if len(pts) < len(ps.found[i]) {
			u = o.prepareUnit(pts, o.dim)
		}
		o.register(u)
		o.take(pts)
		for _, p := range o.stillPooled(ps.swept[i]) {
			o.absorb(u, &p, u.m.normDist(&p))
			pts = append(pts, p)
			o.take(pts[len(pts)-1:])
		}
		born = append(born, u)
		backfill = append(backfill, pts)
	}
	if len(born) == 0 {
		return
	}
	o.sweepNewer(born, backfill, snapshotSeq)
	o.pool.filter(func(p *point) bool { return !p.dead })
	for i, u := range born {
		o.units = append(o.units, u)
		ev := o.event(stream.UnitCreated, u)
		ev.Backfill = refs(backfill[i])
		o.ps.events = append(o.ps.events, ev)
		o.st.UnitsCreated++
		o.st.Backfilled += uint64(len(backfill[i]))
	}
}

// stillPooled returns copies of the spikes of pts that are still in the pool and unclaimed.
// Caller holds mu.
func (o *Online) stillPooled(pts []point) []point {
	var out []point
	for i := range pts {
		if p := o.poolFind(pts[i].seq); p != nil {
			out = append(out, *p)
		}
	}
	return out
}

// take marks the pool entries of pts as claimed. Caller holds mu.
func (o *Online) take(pts []point) {
	for i := range pts {
		if p := o.poolFind(pts[i].seq); p != nil {
			p.dead = true
		}
	}
}

// sweepNewer gives pool spikes that arrived after the snapshot (seq > snapshotSeq) to the
// new unit that admits them best. Caller holds mu.
func (o *Online) sweepNewer(born []*unit, backfill [][]point, snapshotSeq uint64) {
	ix := unitIndex{g: o.index.g}
	ix.rebuild(born)
	for i := o.pool.n - 1; i >= 0; i-- {
		p := o.pool.at(i)
		if p.seq <= snapshotSeq {
			break
		}
		if p.dead {
			continue
		}
		u, q := bestCandidate(&ix, born, p, o.cfg.NeighbourRadiusUm)
		if u == nil {
			continue
		}
		for j := range born {
			if born[j] == u {
				o.absorb(u, p, q)
				backfill[j] = append(backfill[j], *p)
				p.dead = true
			}
		}
	}
}

// poolFind returns the unclaimed pool entry with seq, or nil when it has left the pool or
// been claimed. Pool entries are in seq order, so this is a binary search. Caller holds mu.
func (o *Online) poolFind(seq uint64) *point {
	q := &o.pool
	lo, hi := 0, q.n
	for lo < hi {
		mid := (lo + hi) / 2
		if q.at(mid).seq < seq {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < q.n && q.at(lo).seq == seq && !q.at(lo).dead {
		return q.at(lo)
	}
	return nil
}
