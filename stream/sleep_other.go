//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package stream

import "time"

// preciseSleepUntil sleeps until t with the runtime's timer (no finer sleep is wired up
// for this platform).
func preciseSleepUntil(t time.Time) { time.Sleep(time.Until(t)) }
