package assign

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

// span returns the times of the oldest and newest members held, s; ok is false when empty.
func (r *recentRing) span() (oldestS, newestS float64, ok bool) {
	n := r.len()
	if n == 0 {
		return 0, 0, false
	}
	first := 0
	if r.full {
		first = r.next
	}
	last := (r.next - 1 + len(r.buf)) % len(r.buf)
	return r.buf[first].timeS, r.buf[last].timeS, true
}

// appendTimes appends the held members' times, oldest first, to dst and returns it.
func (r *recentRing) appendTimes(dst []float64) []float64 {
	if r.full {
		for i := r.next; i < len(r.buf); i++ {
			dst = append(dst, r.buf[i].timeS)
		}
	}
	for i := 0; i < r.next; i++ {
		dst = append(dst, r.buf[i].timeS)
	}
	return dst
}
