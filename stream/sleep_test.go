package stream

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestSleepUntilWakesAfterDue checks that SleepUntil never returns before due, on both the
// nanosleep-only path and the timer-then-nanosleep path.
func TestSleepUntilWakesAfterDue(t *testing.T) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for _, wait := range []time.Duration{300 * time.Microsecond, 5 * time.Millisecond} {
		due := time.Now().Add(wait)
		if err := SleepUntil(context.Background(), timer, due); err != nil {
			t.Fatalf("wait %v: %v", wait, err)
		}
		if early := time.Until(due); early > 0 {
			t.Fatalf("wait %v: returned %v before due", wait, early)
		}
	}
}

// TestSleepUntilCancelled checks that a long wait ends with ctx's error soon after ctx is
// cancelled, and leaves the timer stopped.
func TestSleepUntilCancelled(t *testing.T) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	err := SleepUntil(ctx, timer, t0.Add(time.Minute))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the context's deadline", err)
	}
	if took := time.Since(t0); took > 2*time.Second {
		t.Fatalf("took %v to notice cancellation", took)
	}
	if timer.Stop() {
		t.Fatal("timer still running after return")
	}
}
