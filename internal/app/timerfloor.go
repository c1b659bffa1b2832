package app

import (
	"context"
	"os"
	"runtime"
	"time"

	"github.com/spikestream/spikestream/stream"
)

// TimerFloor measures the machine's own timer jitter, the floor under any latency measured at
// real-time pace on it. Until ctx is done or maxWakeups wake-ups are recorded, it sleeps to
// successive deadlines periodNs apart with the replayer's sleep (stream.SleepUntil), on an OS
// thread locked to it, and records how late each wake-up was, in ns (never negative).
// Deadlines lie on a fixed grid from the start, as the replayer's frame times do: after a
// stall, every deadline it covered is recorded as late, as every frame due in it would be.
// It allocates its result (maxWakeups values) up front and nothing per wake-up; it blocks,
// so run it on a goroutine of its own beside the run it describes. It panics if periodNs
// is not positive.
func TimerFloor(ctx context.Context, periodNs int64, maxWakeups int) []int64 {
	if periodNs <= 0 {
		panic("app: TimerFloor period must be positive")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()

	lateNs := make([]int64, 0, maxWakeups)
	start := time.Now()
	for k := int64(1); len(lateNs) < maxWakeups; k++ {
		due := start.Add(time.Duration(k * periodNs))
		if err := stream.SleepUntil(ctx, timer, due); err != nil {
			break
		}
		lateNs = append(lateNs, max(0, int64(time.Since(due))))
	}
	return lateNs
}

// addSleeperProcs gives the Go scheduler n more slots (GOMAXPROCS) for n goroutines of the
// test rig that wait for 1 ms deadlines in nanosleep (the paced replayer, the timer-floor
// probe), and returns the function that takes them back. A goroutine in a system call
// keeps its slot until the runtime's monitor takes it back, which can take milliseconds;
// on two cores with GOMAXPROCS 2 two such sleepers can hold both slots while the sorter's
// goroutines wait, a delay that an acquisition system in another process would not cause.
// With GOMAXPROCS set in the environment it changes nothing.
func addSleeperProcs(n int) (restore func()) {
	if os.Getenv("GOMAXPROCS") != "" {
		return func() {}
	}
	prev := runtime.GOMAXPROCS(0)
	runtime.GOMAXPROCS(prev + n)
	return func() { runtime.GOMAXPROCS(prev) }
}

// floorProbe is a TimerFloor running on its own goroutine, owned by whoever started it.
type floorProbe struct {
	cancel context.CancelFunc
	done   chan []int64 // receives the lateness values once, then is left alone
}

// startFloorProbe starts TimerFloor at a 1 ms period, with room for maxWakeups wake-ups.
// The caller must call stop.
func startFloorProbe(ctx context.Context, maxWakeups int) *floorProbe {
	ctx, cancel := context.WithCancel(ctx)
	p := &floorProbe{cancel: cancel, done: make(chan []int64, 1)}
	go func() { p.done <- TimerFloor(ctx, int64(time.Millisecond), maxWakeups) }()
	return p
}

// stop ends the probe, waits for its goroutine and returns the quantiles of its lateness.
func (p *floorProbe) stop() Percentiles {
	p.cancel()
	return percentilesMs(<-p.done, 1)
}
