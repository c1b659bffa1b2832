package stream

import (
	"context"
	"time"
)

// SleepUntil blocks until due or until ctx is done, the way the paced replayer waits for each
// frame: on t for all but the last coarseSleep of the wait, then in nanosleep on the calling
// thread, which wakes within tens of microseconds of due on an idle Linux machine. The caller
// owns t; it must be stopped or expired on entry and is so again on return. It returns ctx's
// error if ctx is done before due, and nil otherwise. It does not allocate.
func SleepUntil(ctx context.Context, t *time.Timer, due time.Time) error {
	if wait := time.Until(due); wait > coarseSleep {
		t.Reset(wait - coarseSleep)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	preciseSleepUntil(due)
	return ctx.Err()
}

// coarseSleep is how much of each wait SleepUntil leaves to preciseSleepUntil: Go's timers
// can fire up to about a millisecond late when the process is idle, which would add that
// much jitter to a real-time replay.
const coarseSleep = 1500 * time.Microsecond
