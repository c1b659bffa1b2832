package app

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// TestTimerFloorRecordsEachDeadline checks that over 100 ms at a 1 ms period the probe
// records about one non-negative lateness per elapsed deadline, and returns once cancelled.
func TestTimerFloorRecordsEachDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	lateNs := TimerFloor(ctx, int64(time.Millisecond), 10_000)
	elapsedMs := time.Since(t0).Milliseconds()

	// Deadlines lie on a grid from the start, so a stall still counts the deadlines it
	// covered; only the last few before cancellation can go unrecorded.
	if n := int64(len(lateNs)); n < 70 || n > elapsedMs+1 {
		t.Fatalf("%d wake-ups recorded in %d ms at a 1 ms period", n, elapsedMs)
	}
	for i, v := range lateNs {
		if v < 0 {
			t.Fatalf("wake-up %d: negative lateness %d ns", i, v)
		}
	}
	if elapsedMs > 1000 {
		t.Fatalf("returned %d ms after a 100 ms deadline", elapsedMs)
	}
}

// TestTimerFloorStopsWhenFull checks that the probe ends after maxWakeups wake-ups even
// with ctx still live, without growing its preallocated result.
func TestTimerFloorStopsWhenFull(t *testing.T) {
	lateNs := TimerFloor(context.Background(), int64(time.Millisecond), 10)
	if len(lateNs) != 10 || cap(lateNs) != 10 {
		t.Fatalf("len %d cap %d, want 10 and 10", len(lateNs), cap(lateNs))
	}
}

// TestFloorProbeStops checks that stop cancels the probe's goroutine, waits for it and
// summarises what it recorded.
func TestFloorProbeStops(t *testing.T) {
	before := runtime.NumGoroutine()
	p := startFloorProbe(context.Background(), 10_000)
	time.Sleep(50 * time.Millisecond)

	done := make(chan Percentiles, 1)
	go func() { done <- p.stop() }()
	var q Percentiles
	select {
	case q = <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("stop did not return within 2 s")
	}
	if q.N < 20 || q.P50 < 0 || q.P99 < q.P50 || q.Max < q.P99 {
		t.Fatalf("implausible summary %+v after 50 ms", q)
	}
	// The helper goroutine above has sent its result but may not have exited yet.
	deadline := time.Now().Add(time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		t.Fatalf("%d goroutines 1 s after stop, %d before", after, before)
	}
}

// TestTimerFloorLoopDoesNotAllocate checks that the probe's allocations do not grow with the
// number of wake-ups: everything it needs is allocated before the loop.
func TestTimerFloorLoopDoesNotAllocate(t *testing.T) {
	run := func(wakeups int) float64 {
		return testing.AllocsPerRun(3, func() {
			TimerFloor(context.Background(), int64(10*time.Microsecond), wakeups)
		})
	}
	if few, many := run(10), run(500); many > few {
		t.Fatalf("%.0f allocations for 500 wake-ups, %.0f for 10", many, few)
	}
}

// TestMachineTimerFloor measures the timer floor of this machine with nothing else running
// in the process, for SPIKESTREAM_FLOOR_S seconds; it is skipped when that is unset.
//
//	SPIKESTREAM_FLOOR_S=10 go test -count=1 -run MachineTimerFloor -v ./internal/app/
func TestMachineTimerFloor(t *testing.T) {
	durS, err := strconv.ParseFloat(os.Getenv("SPIKESTREAM_FLOOR_S"), 64)
	if err != nil || durS <= 0 {
		t.Skip("set SPIKESTREAM_FLOOR_S to a duration in seconds to measure the floor")
	}
	ctx, cancel := context.WithTimeout(context.Background(),
		time.Duration(durS*float64(time.Second)))
	defer cancel()
	lateNs := TimerFloor(ctx, int64(time.Millisecond), int(durS*1000)+1000)

	var over1Ms, over3Ms int
	for _, v := range lateNs {
		over1Ms += b2i(v > int64(time.Millisecond))
		over3Ms += b2i(v > 3*int64(time.Millisecond))
	}
	q := percentilesMs(lateNs, 1)
	t.Logf("%d wake-ups at 1 ms: late p50 %.3f, p95 %.3f, p99 %.3f, max %.3f ms; "+
		"%.2f %% over 1 ms, %.2f %% over 3 ms", q.N, q.P50, q.P95, q.P99, q.Max,
		100*float64(over1Ms)/float64(q.N), 100*float64(over3Ms)/float64(q.N))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestAddSleeperProcs(t *testing.T) {
	t.Setenv("GOMAXPROCS", "")
	base := runtime.GOMAXPROCS(0)
	restoreOuter := addSleeperProcs(1)
	restoreInner := addSleeperProcs(1)
	if got := runtime.GOMAXPROCS(0); got != base+2 {
		t.Errorf("GOMAXPROCS %d with two sleepers, want %d", got, base+2)
	}
	restoreInner()
	restoreOuter()
	if got := runtime.GOMAXPROCS(0); got != base {
		t.Errorf("GOMAXPROCS %d after restore, want %d", got, base)
	}

	t.Setenv("GOMAXPROCS", "3")
	defer addSleeperProcs(1)()
	if got := runtime.GOMAXPROCS(0); got != base {
		t.Errorf("GOMAXPROCS %d with GOMAXPROCS set in the environment, want %d unchanged",
			got, base)
	}
}
