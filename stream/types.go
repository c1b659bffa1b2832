// Package stream carries spikestream's data over NATS: raw sample frames in, labeled spike
// events and unit lifecycle events out. It owns the wire format (docs/wire-format.md), the
// connection (an embedded nats-server when no URL is given) and frame validation.
package stream

// SampleType is the element type of a frame's samples.
type SampleType uint8

// Sample types carried by frames.
const (
	Int16   SampleType = 1 // little-endian int16; multiply by UVPerUnit for uV
	Float32 SampleType = 2 // little-endian IEEE-754 float32; multiply by UVPerUnit for uV
)

// Frame is one block of samples from one stream, interleaved by sample
// (s0c0 s0c1 ... s0cN s1c0 ...). Exactly one of I16 and F32 holds the samples, with
// Channels*SamplesPerChannel elements.
type Frame struct {
	Seq               uint64     // frame sequence number, +1 per frame from one publisher
	FirstSample       int64      // stream index of the frame's first sample
	Channels          int        // channels per sample
	SamplesPerChannel int        // samples per channel in this frame
	Type              SampleType // element type on the wire
	UVPerUnit         float32    // microvolts per sample unit
	SampleRateHz      float64    // samples per second per channel
	I16               []int16    // samples when Type is Int16
	F32               []float32  // samples when Type is Float32
	// EndOfStream marks the last frame of a recording; it carries no samples
	// (SamplesPerChannel is 0) and FirstSample is one past the last sample sent.
	EndOfStream bool
}

// SpikeEvent is one detected and labeled spike, as published on the spikes subject.
type SpikeEvent struct {
	SampleIndex int64   `json:"sample_index"` // stream sample index of the trough
	TimeS       float64 `json:"time_s"`       // SampleIndex / sample rate, seconds from start
	UnitID      uint32  `json:"unit_id"`      // assigned unit; 0 means not yet assigned
	PeakChannel uint16  `json:"peak_channel"` // channel with the largest trough
	AmplitudeUV float32 `json:"amplitude_uv"` // trough depth on the peak channel, uV (> 0)
	XUm         float32 `json:"x_um"`         // estimated source position, um, probe coords
	YUm         float32 `json:"y_um"`         // estimated source position, um, probe coords
	Confidence  float32 `json:"confidence"`   // detection confidence in [0, 1]
	// LatencyUs is the processing latency: arrival of the completing frame to publish, us.
	LatencyUs uint32 `json:"latency_us"`
}

// SpikeBatch is one message on the spikes subject: a publisher-local batch counter and the
// spikes it carries, in the order they were published.
type SpikeBatch struct {
	Seq    uint64       `json:"seq"` // +1 per batch from one publisher, starting at 1
	Spikes []SpikeEvent `json:"spikes"`
}

// UnitEventKind says what happened to a unit.
type UnitEventKind uint8

// Unit lifecycle event kinds.
const (
	UnitCreated UnitEventKind = 1 // a new unit appeared
	UnitMerged  UnitEventKind = 2 // UnitID was merged into Related[0]
	UnitSplit   UnitEventKind = 3 // UnitID was split off from Related[0]
	UnitRetired UnitEventKind = 4 // UnitID has been silent long enough to be retired
	UnitUpdated UnitEventKind = 5 // periodic summary: position and amplitude moved
)

// UnitEvent is a unit lifecycle event, as published on the units subject.
type UnitEvent struct {
	Kind        UnitEventKind `json:"kind"`
	UnitID      uint32        `json:"unit_id"`
	Related     []uint32      `json:"related,omitempty"` // merge target, split parent
	SampleIndex int64         `json:"sample_index"`      // sample at which it took effect
	PeakChannel uint16        `json:"peak_channel"`
	AmplitudeUV float32       `json:"amplitude_uv"` // mean trough amplitude, uV
	XUm         float32       `json:"x_um"`         // unit position, um
	YUm         float32       `json:"y_um"`         // unit position, um
	NumSpikes   uint64        `json:"num_spikes"`   // spikes assigned so far
	// Backfill lists earlier spikes that now belong to UnitID, so consumers and file writers
	// can relabel them: on UnitCreated, spikes published as 0 (unassigned); on UnitSplit,
	// spikes published under the parent unit. A later event about a spike overrides an
	// earlier one.
	Backfill []SpikeRef `json:"backfill,omitempty"`
}

// SpikeRef identifies one earlier spike event by its trough sample and peak channel.
type SpikeRef struct {
	SampleIndex int64  `json:"sample_index"`
	PeakChannel uint16 `json:"peak_channel"`
}

// ErrorEvent reports a problem with a stream, as JSON on the errors subject. Reports are
// rate-limited: Count is how many times Kind happened since the previous report of Kind.
type ErrorEvent struct {
	Kind   string `json:"kind"`   // short machine-readable class, e.g. "decode", "seq_gap"
	Detail string `json:"detail"` // human-readable description of the latest occurrence
	Seq    uint64 `json:"seq"`    // frame seq of the latest occurrence, 0 if none
	Count  uint64 `json:"count"`  // occurrences since the previous report of Kind (>= 1)
}

// Arrival is one validated frame handed to the pipeline by a FrameSub. Arrivals are pooled:
// the receiver returns each one with Release once it no longer reads the Frame.
type Arrival struct {
	Frame     Frame
	ArrivalNs int64 // NowNs() when the frame was received, monotonic ns
	// GapSamples is the number of samples missing before this frame: 0 for a contiguous
	// frame, > 0 after lost frames. Non-zero means the pipeline must reset filter state.
	// It is negative only after a resync to a publisher that restarted (Resync set).
	GapSamples int64
	// Resync is set on the first frame accepted after the subscription gave up on the
	// old sequence (publisher restarted, or after an end of stream).
	Resync bool
	// EndOfStream is set on the final, sample-less frame of a recording.
	EndOfStream bool
}
