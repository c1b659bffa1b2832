package stream

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// Frame wire layout, version 1 (docs/wire-format.md). All integers little-endian.
const (
	// FrameMagic opens every frame message.
	FrameMagic = "SSFR"
	// FrameVersion is the frame wire version this package writes.
	FrameVersion = 1
	// FrameHeaderBytes is the size of a version 1 frame header; samples follow it.
	FrameHeaderBytes = 48
	// FlagEndOfStream marks the final, sample-less frame of a recording.
	FlagEndOfStream = 1 << 0
	// MaxChannels is the largest channel count a frame may declare.
	MaxChannels = 1 << 16
)

// Byte offsets of the frame header fields.
const (
	offFrameVersion   = 4
	offFrameFlags     = 5
	offFrameType      = 6
	offFrameHeaderLen = 7
	offFrameSeq       = 8
	offFrameFirst     = 16
	offFrameChannels  = 24
	offFrameSamples   = 28
	offFrameUVPerUnit = 32
	offFrameRate      = 40
)

var le = binary.LittleEndian

// sampleBytes returns the wire size of one sample of type t, or 0 for an unknown type.
func sampleBytes(t SampleType) int {
	switch t {
	case Int16:
		return 2
	case Float32:
		return 4
	}
	return 0
}

// EncodedFrameBytes returns the size EncodeFrame will append for f.
func EncodedFrameBytes(f *Frame) int {
	return FrameHeaderBytes + f.Channels*f.SamplesPerChannel*sampleBytes(f.Type)
}

// EncodeFrame appends the wire form of f to dst and returns the extended slice. It checks
// f's shape and header values first and returns an error wrapping ErrBadShape,
// ErrBadSampleType or ErrBadHeader without touching dst. It allocates only when dst lacks
// capacity.
func EncodeFrame(dst []byte, f *Frame) ([]byte, error) {
	if err := checkFrame(f); err != nil {
		return dst, fmt.Errorf("encode frame: %w", err)
	}
	n := EncodedFrameBytes(f)
	dst = slices.Grow(dst, n)
	start := len(dst)
	dst = dst[:start+n]
	putFrameHeader(dst[start:], f)

	p := dst[start+FrameHeaderBytes:]
	if f.Type == Int16 {
		putInt16s(p, f.I16[:f.Channels*f.SamplesPerChannel])
	} else {
		putFloat32s(p, f.F32[:f.Channels*f.SamplesPerChannel])
	}
	return dst, nil
}

func putFrameHeader(h []byte, f *Frame) {
	copy(h, FrameMagic)
	h[offFrameVersion] = FrameVersion
	h[offFrameFlags] = 0
	if f.EndOfStream {
		h[offFrameFlags] = FlagEndOfStream
	}
	h[offFrameType] = byte(f.Type)
	h[offFrameHeaderLen] = FrameHeaderBytes
	le.PutUint64(h[offFrameSeq:], f.Seq)
	le.PutUint64(h[offFrameFirst:], uint64(f.FirstSample))
	le.PutUint32(h[offFrameChannels:], uint32(f.Channels))
	le.PutUint32(h[offFrameSamples:], uint32(f.SamplesPerChannel))
	le.PutUint32(h[offFrameUVPerUnit:], math.Float32bits(f.UVPerUnit))
	le.PutUint32(h[offFrameUVPerUnit+4:], 0)
	le.PutUint64(h[offFrameRate:], math.Float64bits(f.SampleRateHz))
}

// checkFrame validates the shape and header values of a frame to be encoded.
func checkFrame(f *Frame) error {
	if sampleBytes(f.Type) == 0 {
		return fmt.Errorf("%w: %d", ErrBadSampleType, f.Type)
	}
	if err := checkShape(f.Channels, f.SamplesPerChannel, f.EndOfStream); err != nil {
		return err
	}
	if err := checkScale(f.SampleRateHz, f.UVPerUnit, f.EndOfStream); err != nil {
		return err
	}
	n := f.Channels * f.SamplesPerChannel
	if f.Type == Int16 && len(f.I16) < n || f.Type == Float32 && len(f.F32) < n {
		return fmt.Errorf("%w: fewer samples than %d channels x %d", ErrBadShape,
			f.Channels, f.SamplesPerChannel)
	}
	return nil
}

// checkShape applies the shape rules shared by encoder and decoder.
func checkShape(channels, perChannel int, eos bool) error {
	switch {
	case channels < 0 || channels > MaxChannels:
		return fmt.Errorf("%w: %d channels", ErrBadShape, channels)
	case perChannel < 0 || perChannel > math.MaxUint32:
		return fmt.Errorf("%w: %d samples per channel", ErrBadShape, perChannel)
	case eos && perChannel != 0:
		return fmt.Errorf("%w: end-of-stream frame with %d samples", ErrBadShape, perChannel)
	case !eos && (channels == 0 || perChannel == 0):
		return fmt.Errorf("%w: empty frame (%d x %d)", ErrBadShape, channels, perChannel)
	}
	return nil
}

// checkScale requires a positive finite rate and scale, except on end-of-stream frames.
func checkScale(rateHz float64, uvPerUnit float32, eos bool) error {
	if eos {
		return nil
	}
	if !(rateHz > 0) || math.IsInf(rateHz, 0) {
		return fmt.Errorf("%w: sample rate %v Hz", ErrBadHeader, rateHz)
	}
	if !(uvPerUnit > 0) || math.IsInf(float64(uvPerUnit), 0) {
		return fmt.Errorf("%w: %v uV per unit", ErrBadHeader, uvPerUnit)
	}
	return nil
}

// DecodeFrame parses one frame message into f, reusing f.I16 or f.F32 (the slice of the
// other type is truncated to length 0 and keeps its capacity). It does not retain b and
// allocates only when the reused slice lacks capacity. On error f is left in an
// unspecified state and the error wraps ErrShortFrame, ErrBadMagic, ErrUnsupportedVersion,
// ErrBadShape, ErrBadSampleType or ErrBadHeader.
func DecodeFrame(b []byte, f *Frame) error {
	hdrLen, err := decodeFrameHeader(b, f)
	if err != nil {
		return fmt.Errorf("decode frame: %w", err)
	}
	n := f.Channels * f.SamplesPerChannel
	want := hdrLen + n*sampleBytes(f.Type)
	if len(b) != want {
		return fmt.Errorf("decode frame: %w: %d bytes, header says %d", ErrBadShape, len(b), want)
	}
	p := b[hdrLen:]
	if f.Type == Int16 {
		f.F32 = f.F32[:0]
		f.I16 = slices.Grow(f.I16[:0], n)[:n]
		getInt16s(f.I16, p)
		return nil
	}
	f.I16 = f.I16[:0]
	f.F32 = slices.Grow(f.F32[:0], n)[:n]
	getFloat32s(f.F32, p)
	return nil
}

// decodeFrameHeader fills f's scalar fields from b and returns the header length.
func decodeFrameHeader(b []byte, f *Frame) (int, error) {
	if len(b) < FrameHeaderBytes {
		return 0, fmt.Errorf("%w: %d bytes", ErrShortFrame, len(b))
	}
	if string(b[:4]) != FrameMagic {
		return 0, fmt.Errorf("%w: % x", ErrBadMagic, b[:4])
	}
	if b[offFrameVersion] != FrameVersion {
		return 0, fmt.Errorf("%w: %d", ErrUnsupportedVersion, b[offFrameVersion])
	}
	hdrLen := int(b[offFrameHeaderLen])
	if hdrLen < FrameHeaderBytes || hdrLen > len(b) {
		return 0, fmt.Errorf("%w: header length %d", ErrShortFrame, hdrLen)
	}
	f.EndOfStream = b[offFrameFlags]&FlagEndOfStream != 0
	f.Type = SampleType(b[offFrameType])
	f.Seq = le.Uint64(b[offFrameSeq:])
	f.FirstSample = int64(le.Uint64(b[offFrameFirst:]))
	f.Channels = int(le.Uint32(b[offFrameChannels:]))
	f.SamplesPerChannel = int(le.Uint32(b[offFrameSamples:]))
	f.UVPerUnit = math.Float32frombits(le.Uint32(b[offFrameUVPerUnit:]))
	f.SampleRateHz = math.Float64frombits(le.Uint64(b[offFrameRate:]))

	if sampleBytes(f.Type) == 0 {
		return 0, fmt.Errorf("%w: %d", ErrBadSampleType, f.Type)
	}
	if err := checkShape(f.Channels, f.SamplesPerChannel, f.EndOfStream); err != nil {
		return 0, err
	}
	return hdrLen, checkScale(f.SampleRateHz, f.UVPerUnit, f.EndOfStream)
}
