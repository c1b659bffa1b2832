package assign

import "errors"

// ErrBadConfig is returned, wrapped with detail, by New when a Config field is out of range.
var ErrBadConfig = errors.New("assign: bad config")

// ErrNoProbe is returned by New when no probe geometry is given.
var ErrNoProbe = errors.New("assign: no probe")

// ErrRunning is returned by Run when another Run of the same Online is still active.
var ErrRunning = errors.New("assign: already running")
