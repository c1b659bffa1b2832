package stream

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
)

// Spike batch wire layout, version 1 (docs/wire-format.md, docs/schema/spike_batch.json).
const (
	// SpikeMagic opens every spike batch message.
	SpikeMagic = "SSSP"
	// SpikeVersion is the spike batch wire version this package writes.
	SpikeVersion = 1
	// SpikeHeaderBytes is the size of the spike batch header; records follow it.
	SpikeHeaderBytes = 24
	// SpikeRecordBytes is the size of one version 1 spike record. Decoders accept larger
	// declared record sizes and ignore the trailing bytes of each record.
	SpikeRecordBytes = 48
)

// Unit event wire layout, version 1 (docs/schema/unit_event.json).
const (
	// UnitMagic opens every unit event message.
	UnitMagic = "SSUN"
	// UnitVersion is the unit event wire version this package writes.
	UnitVersion = 1
	// UnitHeaderBytes is the fixed part of a unit event; Related and Backfill follow it.
	UnitHeaderBytes = 56
	// SpikeRefBytes is the size of one backfill record.
	SpikeRefBytes = 16
)

// Ack wire layout, version 1 (docs/schema/ack.json).
const (
	// AckMagic opens every flow-control ack message.
	AckMagic = "SSAK"
	// AckVersion is the ack wire version this package writes.
	AckVersion = 1
	// AckBytes is the size of an ack message.
	AckBytes = 24
	// AckFlagEndOfStream says the consumer has taken the end-of-stream frame.
	AckFlagEndOfStream = 1 << 0
	// AckFlagLeaving says the consumer is stopping; a replayer stops waiting for it.
	AckFlagLeaving = 1 << 1
)

// EncodeSpikeBatch appends the wire form of b to dst and returns the extended slice. It
// allocates only when dst lacks capacity; it fails with ErrTooLarge above 2^32-1 spikes.
func EncodeSpikeBatch(dst []byte, b *SpikeBatch) ([]byte, error) {
	if uint64(len(b.Spikes)) > math.MaxUint32 {
		return dst, fmt.Errorf("encode spikes: %w: %d spikes", ErrTooLarge, len(b.Spikes))
	}
	start := len(dst)
	n := SpikeHeaderBytes + len(b.Spikes)*SpikeRecordBytes
	dst = slices.Grow(dst, n)[:start+n]
	h := dst[start:]
	copy(h, SpikeMagic)
	h[4], h[5] = SpikeVersion, 0
	le.PutUint16(h[6:], SpikeRecordBytes)
	le.PutUint32(h[8:], uint32(len(b.Spikes)))
	le.PutUint32(h[12:], 0)
	le.PutUint64(h[16:], b.Seq)
	for i := range b.Spikes {
		putSpike(h[SpikeHeaderBytes+i*SpikeRecordBytes:], &b.Spikes[i])
	}
	return dst, nil
}

func putSpike(r []byte, s *SpikeEvent) {
	le.PutUint64(r[0:], uint64(s.SampleIndex))
	le.PutUint64(r[8:], math.Float64bits(s.TimeS))
	le.PutUint32(r[16:], s.UnitID)
	le.PutUint16(r[20:], s.PeakChannel)
	le.PutUint16(r[22:], 0)
	le.PutUint32(r[24:], math.Float32bits(s.AmplitudeUV))
	le.PutUint32(r[28:], math.Float32bits(s.XUm))
	le.PutUint32(r[32:], math.Float32bits(s.YUm))
	le.PutUint32(r[36:], math.Float32bits(s.Confidence))
	le.PutUint32(r[40:], s.LatencyUs)
	le.PutUint32(r[44:], 0)
}

func getSpike(r []byte, s *SpikeEvent) {
	s.SampleIndex = int64(le.Uint64(r[0:]))
	s.TimeS = math.Float64frombits(le.Uint64(r[8:]))
	s.UnitID = le.Uint32(r[16:])
	s.PeakChannel = le.Uint16(r[20:])
	s.AmplitudeUV = math.Float32frombits(le.Uint32(r[24:]))
	s.XUm = math.Float32frombits(le.Uint32(r[28:]))
	s.YUm = math.Float32frombits(le.Uint32(r[32:]))
	s.Confidence = math.Float32frombits(le.Uint32(r[36:]))
	s.LatencyUs = le.Uint32(r[40:])
}

// DecodeSpikeBatch parses one spike batch message into dst, reusing dst.Spikes. It does not
// retain b and allocates only when dst.Spikes lacks capacity.
func DecodeSpikeBatch(b []byte, dst *SpikeBatch) error {
	if err := checkHead(b, SpikeHeaderBytes, SpikeMagic, SpikeVersion); err != nil {
		return fmt.Errorf("decode spikes: %w", err)
	}
	recBytes := int(le.Uint16(b[6:]))
	count := int(le.Uint32(b[8:]))
	if recBytes < SpikeRecordBytes {
		return fmt.Errorf("decode spikes: %w: record size %d", ErrBadShape, recBytes)
	}
	if len(b) != SpikeHeaderBytes+count*recBytes {
		return fmt.Errorf("decode spikes: %w: %d bytes for %d records of %d", ErrBadShape,
			len(b), count, recBytes)
	}
	dst.Seq = le.Uint64(b[16:])
	dst.Spikes = slices.Grow(dst.Spikes[:0], count)[:count]
	for i := range dst.Spikes {
		getSpike(b[SpikeHeaderBytes+i*recBytes:], &dst.Spikes[i])
	}
	return nil
}

// checkHead checks the length, magic and version shared by all binary messages.
func checkHead(b []byte, minLen int, magic string, version byte) error {
	if len(b) < minLen {
		return fmt.Errorf("%w: %d bytes", ErrShortFrame, len(b))
	}
	if string(b[:4]) != magic {
		return fmt.Errorf("%w: % x", ErrBadMagic, b[:4])
	}
	if b[4] != version {
		return fmt.Errorf("%w: %d", ErrUnsupportedVersion, b[4])
	}
	return nil
}

// EncodeUnitEvent appends the wire form of e to dst and returns the extended slice. It
// allocates only when dst lacks capacity.
func EncodeUnitEvent(dst []byte, e *UnitEvent) ([]byte, error) {
	if e.Kind < UnitCreated || e.Kind > UnitUpdated {
		return dst, fmt.Errorf("encode unit event: %w: kind %d", ErrBadHeader, e.Kind)
	}
	if uint64(len(e.Related)) > math.MaxUint32 || uint64(len(e.Backfill)) > math.MaxUint32 {
		return dst, fmt.Errorf("encode unit event: %w: lists too long", ErrTooLarge)
	}
	start := len(dst)
	n := UnitHeaderBytes + 4*len(e.Related) + SpikeRefBytes*len(e.Backfill)
	dst = slices.Grow(dst, n)[:start+n]
	h := dst[start:]
	putUnitHeader(h, e)

	p := h[UnitHeaderBytes:]
	for i, id := range e.Related {
		le.PutUint32(p[4*i:], id)
	}
	p = p[4*len(e.Related):]
	for i, r := range e.Backfill {
		le.PutUint64(p[SpikeRefBytes*i:], uint64(r.SampleIndex))
		le.PutUint16(p[SpikeRefBytes*i+8:], r.PeakChannel)
		clear(p[SpikeRefBytes*i+10 : SpikeRefBytes*(i+1)])
	}
	return dst, nil
}

func putUnitHeader(h []byte, e *UnitEvent) {
	copy(h, UnitMagic)
	h[4], h[5] = UnitVersion, byte(e.Kind)
	le.PutUint16(h[6:], 0)
	le.PutUint32(h[8:], e.UnitID)
	le.PutUint16(h[12:], e.PeakChannel)
	le.PutUint16(h[14:], 0)
	le.PutUint64(h[16:], uint64(e.SampleIndex))
	le.PutUint32(h[24:], math.Float32bits(e.AmplitudeUV))
	le.PutUint32(h[28:], math.Float32bits(e.XUm))
	le.PutUint32(h[32:], math.Float32bits(e.YUm))
	le.PutUint32(h[36:], uint32(len(e.Related)))
	le.PutUint64(h[40:], e.NumSpikes)
	le.PutUint32(h[48:], uint32(len(e.Backfill)))
	le.PutUint32(h[52:], 0)
}

// DecodeUnitEvent parses one unit event message into e, reusing e.Related and e.Backfill.
// It does not retain b and allocates only when those slices lack capacity.
func DecodeUnitEvent(b []byte, e *UnitEvent) error {
	if err := checkHead(b, UnitHeaderBytes, UnitMagic, UnitVersion); err != nil {
		return fmt.Errorf("decode unit event: %w", err)
	}
	kind := UnitEventKind(b[5])
	if kind < UnitCreated || kind > UnitUpdated {
		return fmt.Errorf("decode unit event: %w: kind %d", ErrBadHeader, kind)
	}
	nRel, nBack := int(le.Uint32(b[36:])), int(le.Uint32(b[48:]))
	if len(b) != UnitHeaderBytes+4*nRel+SpikeRefBytes*nBack {
		return fmt.Errorf("decode unit event: %w: %d bytes for %d related, %d backfill",
			ErrBadShape, len(b), nRel, nBack)
	}
	e.Kind = kind
	e.UnitID = le.Uint32(b[8:])
	e.PeakChannel = le.Uint16(b[12:])
	e.SampleIndex = int64(le.Uint64(b[16:]))
	e.AmplitudeUV = math.Float32frombits(le.Uint32(b[24:]))
	e.XUm = math.Float32frombits(le.Uint32(b[28:]))
	e.YUm = math.Float32frombits(le.Uint32(b[32:]))
	e.NumSpikes = le.Uint64(b[40:])

	p := b[UnitHeaderBytes:]
	e.Related = slices.Grow(e.Related[:0], nRel)[:nRel]
	for i := range e.Related {
		e.Related[i] = le.Uint32(p[4*i:])
	}
	p = p[4*nRel:]
	e.Backfill = slices.Grow(e.Backfill[:0], nBack)[:nBack]
	for i := range e.Backfill {
		e.Backfill[i].SampleIndex = int64(le.Uint64(p[SpikeRefBytes*i:]))
		e.Backfill[i].PeakChannel = le.Uint16(p[SpikeRefBytes*i+8:])
	}
	return nil
}

// Ack is a consumer's flow-control report on the ack subject: the highest frame seq it has
// taken, so a max-speed replayer can bound the frames in flight.
type Ack struct {
	ConsumerID  uint32 // random id of the FrameSub, fixed for its lifetime
	Seq         uint64 // highest frame seq consumed; 0 before the first frame
	EndOfStream bool   // the consumer has taken the end-of-stream frame with seq Seq
	Leaving     bool   // the consumer is stopping and sends no more acks
}

// EncodeAck appends the wire form of a to dst and returns the extended slice.
func EncodeAck(dst []byte, a Ack) []byte {
	start := len(dst)
	dst = slices.Grow(dst, AckBytes)[:start+AckBytes]
	h := dst[start:]
	copy(h, AckMagic)
	h[4], h[5] = AckVersion, 0
	if a.EndOfStream {
		h[5] |= AckFlagEndOfStream
	}
	if a.Leaving {
		h[5] |= AckFlagLeaving
	}
	le.PutUint16(h[6:], 0)
	le.PutUint32(h[8:], a.ConsumerID)
	le.PutUint32(h[12:], 0)
	le.PutUint64(h[16:], a.Seq)
	return dst
}

// DecodeAck parses one ack message.
func DecodeAck(b []byte) (Ack, error) {
	if err := checkHead(b, AckBytes, AckMagic, AckVersion); err != nil {
		return Ack{}, fmt.Errorf("decode ack: %w", err)
	}
	if len(b) != AckBytes {
		return Ack{}, fmt.Errorf("decode ack: %w: %d bytes", ErrBadShape, len(b))
	}
	return Ack{
		ConsumerID:  le.Uint32(b[8:]),
		Seq:         le.Uint64(b[16:]),
		EndOfStream: b[5]&AckFlagEndOfStream != 0,
		Leaving:     b[5]&AckFlagLeaving != 0,
	}, nil
}

// EncodeErrorEvent returns the JSON form of e. It allocates.
func EncodeErrorEvent(e ErrorEvent) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode error event: %w", err)
	}
	return b, nil
}

// DecodeErrorEvent parses the JSON form of an error event; Kind must be set.
func DecodeErrorEvent(b []byte) (ErrorEvent, error) {
	var e ErrorEvent
	if err := json.Unmarshal(b, &e); err != nil {
		return ErrorEvent{}, fmt.Errorf("decode error event: %w", err)
	}
	if e.Kind == "" {
		return ErrorEvent{}, fmt.Errorf("decode error event: %w: empty kind", ErrBadHeader)
	}
	return e, nil
}
