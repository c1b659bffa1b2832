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
}

// SpikeEvent is one detected and labeled spike, as published on the spikes subject.
type SpikeEvent struct {
	SampleIndex int64   // stream sample index of the trough
	TimeS       float64 // SampleIndex / sample rate, seconds from stream start
	UnitID      uint32  // assigned unit; 0 means not yet assigned to any unit
	PeakChannel uint16  // channel with the largest trough
	AmplitudeUV float32 // trough depth on the peak channel, uV (positive)
	XUm, YUm    float32 // estimated position of the source, um, probe coordinates
	Confidence  float32 // detection confidence in [0, 1]
	LatencyUs   uint32  // processing latency: arrival of the completing frame to publish, us
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
	Kind        UnitEventKind
	UnitID      uint32
	Related     []uint32 // other units involved (merge target, split parent)
	SampleIndex int64    // stream sample index at which the change took effect
	PeakChannel uint16
	AmplitudeUV float32 // mean trough amplitude, uV
	XUm, YUm    float32 // unit position, um
	NumSpikes   uint64  // spikes assigned so far
	// Backfill lists earlier spikes, already published with UnitID 0, that now belong to
	// UnitID; set on UnitCreated and UnitSplit so consumers and file writers can relabel.
	Backfill []SpikeRef
}

// SpikeRef identifies one earlier spike event by its trough sample and peak channel.
type SpikeRef struct {
	SampleIndex int64
	PeakChannel uint16
}
