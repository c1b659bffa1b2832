package stream

import "errors"

// Sentinel errors. Decoders and constructors wrap them with context; callers branch with
// errors.Is.
var (
	// ErrShortFrame means a message is shorter than its header or its declared contents.
	ErrShortFrame = errors.New("stream: message too short")
	// ErrBadMagic means a message does not start with the magic bytes of its kind.
	ErrBadMagic = errors.New("stream: bad magic")
	// ErrUnsupportedVersion means a message uses a wire version this package cannot read.
	ErrUnsupportedVersion = errors.New("stream: unsupported wire version")
	// ErrBadShape means counts and lengths disagree: payload size, channels, record size.
	ErrBadShape = errors.New("stream: bad shape")
	// ErrBadSampleType means a frame declares an unknown sample type.
	ErrBadSampleType = errors.New("stream: bad sample type")
	// ErrBadHeader means a header value is out of range (sample rate, scale, flags, kind).
	ErrBadHeader = errors.New("stream: bad header value")
	// ErrTooLarge means a message would exceed a size limit of the format or the server.
	ErrTooLarge = errors.New("stream: message too large")
	// ErrBadStreamName means a stream name cannot be used in a subject.
	ErrBadStreamName = errors.New("stream: bad stream name")
	// ErrBadOptions means an options struct holds an invalid value.
	ErrBadOptions = errors.New("stream: bad options")
	// ErrTruncated means a raw recording ended in the middle of a sample.
	ErrTruncated = errors.New("stream: recording ends mid-sample")
	// ErrClosed means the connection or subscription has been closed.
	ErrClosed = errors.New("stream: closed")
)
