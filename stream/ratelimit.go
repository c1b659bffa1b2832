package stream

import (
	"sync"
	"time"
)

// rateLimiter lets one event through per period and counts the ones it held back. The
// zero value with every set is ready; it is safe for concurrent use.
type rateLimiter struct {
	every  time.Duration
	mu     sync.Mutex
	lastNs int64
	held   uint64
	primed bool
}

// allow records one occurrence at nowNs (NowNs clock). It returns true, with the number of
// occurrences since the last allowed one (this one included), when a period has passed.
func (r *rateLimiter) allow(nowNs int64) (uint64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.held++
	if r.primed && nowNs-r.lastNs < int64(r.every) {
		return 0, false
	}
	n := r.held
	r.held, r.lastNs, r.primed = 0, nowNs, true
	return n, true
}
