//go:build unix

package library

import (
	"syscall"
	"time"
)

// processCPU returns the user+system CPU time of this process so far. Benchmarks report
// CPU time per op beside wall time because the build machine is shared and wall time
// under load overstates the cost.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
