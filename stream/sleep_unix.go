//go:build linux || darwin || freebsd || netbsd || openbsd

package stream

import (
	"syscall"
	"time"
)

// preciseSleepUntil blocks the calling thread in nanosleep until t (to within tens of us on
// Linux), without spinning.
func preciseSleepUntil(t time.Time) {
	for {
		d := time.Until(t)
		if d <= 0 {
			return
		}
		ts := syscall.NsecToTimespec(int64(d))
		syscall.Nanosleep(&ts, nil)
	}
}
