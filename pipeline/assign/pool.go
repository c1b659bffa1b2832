package assign

// pool is the bounded FIFO of spikes that matched no unit. When full, push overwrites the
// oldest entry and counts a drop. Entries are in arrival order, so their seq numbers
// increase from oldest to newest. Guarded by Online.mu.
type pool struct {
	buf   []point
	head  int // index of the oldest entry
	n     int
	drops uint64
}

func newPool(size int) pool { return pool{buf: make([]point, size)} }

// push appends p, overwriting the oldest entry when full. It never allocates.
func (q *pool) push(p *point) {
	if q.n == len(q.buf) {
		q.buf[q.head] = *p
		q.head = (q.head + 1) % len(q.buf)
		q.drops++
		return
	}
	q.buf[(q.head+q.n)%len(q.buf)] = *p
	q.n++
}

// at returns the i-th oldest entry.
func (q *pool) at(i int) *point { return &q.buf[(q.head+i)%len(q.buf)] }

// appendTo appends every entry, oldest first, to dst and returns it.
func (q *pool) appendTo(dst []point) []point {
	for i := 0; i < q.n; i++ {
		dst = append(dst, *q.at(i))
	}
	return dst
}

// filter keeps the entries for which keep returns true, in order, and returns how many it
// removed.
func (q *pool) filter(keep func(p *point) bool) int {
	w := 0
	for i := 0; i < q.n; i++ {
		p := q.at(i)
		if keep(p) {
			if w != i {
				*q.at(w) = *p
			}
			w++
		}
	}
	removed := q.n - w
	q.n = w
	return removed
}
