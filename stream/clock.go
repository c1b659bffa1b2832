package stream

import "time"

// clockStart anchors NowNs; time.Since on it reads Go's monotonic clock.
var clockStart = time.Now()

// NowNs returns monotonic nanoseconds since the process loaded this package. It is the
// clock of Arrival.ArrivalNs and of Published.NowNs, so latencies measured in one process
// subtract two NowNs readings. Values are not comparable across processes. It does not
// allocate and is safe for concurrent use.
func NowNs() int64 { return int64(time.Since(clockStart)) }
