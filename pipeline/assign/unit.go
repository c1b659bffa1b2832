package assign

import "slices"

// unit is one live unit: its id, model, bookkeeping and a ring of its most recent members for
// the split and merge tests. Owned by Online and guarded by Online.mu.
type unit struct {
	id       uint32
	m        model
	n        uint64  // members so far, founding spikes included
	lastS    float64 // stream time of the latest member, s
	createdS float64
	// updateS and updateN record when the last UnitUpdated was sent and the count then.
	updateS float64
	updateN uint64
	// oneNeuron marks a unit formed by merging two shapes that share a refractory period;
	// it splits again only on evidence that the shapes fire independently.
	oneNeuron bool
	recent    recentRing
	// times holds the stream times of many more members than recent, oldest overwritten,
	// for the refractory tests: slow units need minutes of spike times to decide.
	times timeRing
}

// recentRing keeps the last len(buf) members of a unit, overwriting the oldest.
type recentRing struct {
	buf  []point
	next int // index the next member goes to
	full bool
}

func newRecentRing(size int) recentRing { return recentRing{buf: make([]point, size)} }

// push stores p, overwriting the oldest member when the ring is full. It never allocates.
func (r *recentRing) push(p *point) {
	r.buf[r.next] = *p
	r.next++
	if r.next == len(r.buf) {
		r.next, r.full = 0, true
	}
}

// len returns the number of members held.
func (r *recentRing) len() int {
	if r.full {
		return len(r.buf)
	}
	return r.next
}

// appendTo appends the held members, oldest first, to dst and returns it.
func (r *recentRing) appendTo(dst []point) []point {
	if r.full {
		dst = append(dst, r.buf[r.next:]...)
	}
	return append(dst, r.buf[:r.next]...)
}

// reset empties the ring and refills it with pts (the newest len(buf) of them).
func (r *recentRing) reset(pts []point) {
	r.next, r.full = 0, false
	if len(pts) > len(r.buf) {
		pts = pts[len(pts)-len(r.buf):]
	}
	for i := range pts {
		r.push(&pts[i])
	}
}

// timeRing keeps the stream times (s) of a unit's last len(buf) members, oldest
// overwritten, in arrival order.
type timeRing struct {
	buf  []float64
	next int
	full bool
}

func newTimeRing(size int) timeRing { return timeRing{buf: make([]float64, size)} }

// push stores tS, overwriting the oldest time when the ring is full. It never allocates.
func (r *timeRing) push(tS float64) {
	r.buf[r.next] = tS
	r.next++
	if r.next == len(r.buf) {
		r.next, r.full = 0, true
	}
}

// len returns the number of times held.
func (r *timeRing) len() int {
	if r.full {
		return len(r.buf)
	}
	return r.next
}

// span returns the oldest and newest times held, s; ok is false when empty.
func (r *timeRing) span() (oldestS, newestS float64, ok bool) {
	n := r.len()
	if n == 0 {
		return 0, 0, false
	}
	first := 0
	if r.full {
		first = r.next
	}
	last := (r.next - 1 + len(r.buf)) % len(r.buf)
	return r.buf[first], r.buf[last], true
}

// appendTo appends the held times, oldest first, to dst and returns it.
func (r *timeRing) appendTo(dst []float64) []float64 {
	if r.full {
		dst = append(dst, r.buf[r.next:]...)
	}
	return append(dst, r.buf[:r.next]...)
}

// reset empties the ring and refills it with ts (the newest len(buf) of them, in order).
func (r *timeRing) reset(ts []float64) {
	r.next, r.full = 0, false
	if len(ts) > len(r.buf) {
		ts = ts[len(ts)-len(r.buf):]
	}
	for _, tS := range ts {
		r.push(tS)
	}
}

// pointTimes returns the times of pts, sorted.
func pointTimes(pts []point) []float64 {
	ts := make([]float64, len(pts))
	for i := range pts {
		ts[i] = pts[i].timeS
	}
	slices.Sort(ts)
	return ts
}
