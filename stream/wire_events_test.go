package stream

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func testSpikes(n int) []SpikeEvent {
	s := make([]SpikeEvent, n)
	for i := range s {
		s[i] = SpikeEvent{SampleIndex: int64(1000*i) - 7, TimeS: float64(i) / 3,
			UnitID: uint32(i + 40000), PeakChannel: uint16(300 + i), AmplitudeUV: 85.5 + float32(i),
			XUm: -16, YUm: 3820 + float32(i), Confidence: 0.75, LatencyUs: uint32(2500 + i)}
	}
	return s
}

func testUnitEvent() UnitEvent {
	return UnitEvent{Kind: UnitSplit, UnitID: 17, Related: []uint32{3, 99},
		SampleIndex: 1 << 35, PeakChannel: 383, AmplitudeUV: 120.25, XUm: 43, YUm: -20,
		NumSpikes: 1 << 33, Backfill: []SpikeRef{{100, 5}, {-2, 65535}, {1 << 50, 0}}}
}

func TestSpikeBatchRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 1000} {
		in := SpikeBatch{Seq: uint64(n) + 5, Spikes: testSpikes(n)}
		b, err := EncodeSpikeBatch([]byte{9}, &in)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) != 1+SpikeHeaderBytes+n*SpikeRecordBytes {
			t.Fatalf("n=%d: %d bytes", n, len(b))
		}
		var out SpikeBatch
		if err := DecodeSpikeBatch(b[1:], &out); err != nil {
			t.Fatal(err)
		}
		if out.Seq != in.Seq || len(out.Spikes) != n || n > 0 && !reflect.DeepEqual(out, in) {
			t.Fatalf("n=%d: round trip differs", n)
		}
	}
}

func TestSpikeBatchLargerRecords(t *testing.T) {
	// A later version may append fields to each record; version 1 readers skip them.
	in := testSpikes(2)
	b := []byte(SpikeMagic + "\x01\x00")
	b = le.AppendUint16(b, SpikeRecordBytes+8)
	b = le.AppendUint32(b, 2)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint64(b, 3)
	for i := range in {
		rec := make([]byte, SpikeRecordBytes+8)
		putSpike(rec, &in[i])
		b = append(b, rec...)
	}
	var out SpikeBatch
	if err := DecodeSpikeBatch(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out.Spikes, in) {
		t.Fatalf("got %+v", out.Spikes)
	}
}

func TestUnitEventRoundTrip(t *testing.T) {
	tests := []UnitEvent{
		testUnitEvent(),
		{Kind: UnitCreated, UnitID: 1},
		{Kind: UnitRetired, UnitID: 2, Related: []uint32{1}},
	}
	var out UnitEvent
	for _, in := range tests {
		b, err := EncodeUnitEvent(nil, &in)
		if err != nil {
			t.Fatal(err)
		}
		if err := DecodeUnitEvent(b, &out); err != nil {
			t.Fatal(err)
		}
		got := out
		if len(got.Related) == 0 {
			got.Related = nil
		}
		if len(got.Backfill) == 0 {
			got.Backfill = nil
		}
		if !reflect.DeepEqual(got, in) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, in)
		}
	}
}

func TestEventDecodeErrors(t *testing.T) {
	spikes, _ := EncodeSpikeBatch(nil, &SpikeBatch{Seq: 1, Spikes: testSpikes(2)})
	u := testUnitEvent()
	unit, _ := EncodeUnitEvent(nil, &u)
	ack := EncodeAck(nil, Ack{ConsumerID: 1, Seq: 2})
	edit := func(b []byte, off int, v byte) []byte {
		c := append([]byte(nil), b...)
		c[off] = v
		return c
	}
	var sb SpikeBatch
	var ue UnitEvent
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"spikes short", DecodeSpikeBatch(spikes[:10], &sb), ErrShortFrame},
		{"spikes magic", DecodeSpikeBatch(edit(spikes, 1, 'x'), &sb), ErrBadMagic},
		{"spikes version", DecodeSpikeBatch(edit(spikes, 4, 9), &sb), ErrUnsupportedVersion},
		{"spikes count", DecodeSpikeBatch(edit(spikes, 8, 3), &sb), ErrBadShape},
		{"spikes record size", DecodeSpikeBatch(edit(spikes, 6, 8), &sb), ErrBadShape},
		{"spikes cut", DecodeSpikeBatch(spikes[:len(spikes)-1], &sb), ErrBadShape},
		{"unit short", DecodeUnitEvent(unit[:55], &ue), ErrShortFrame},
		{"unit kind", DecodeUnitEvent(edit(unit, 5, 0), &ue), ErrBadHeader},
		{"unit related", DecodeUnitEvent(edit(unit, 36, 200), &ue), ErrBadShape},
		{"unit backfill", DecodeUnitEvent(edit(unit, 51, 1), &ue), ErrBadShape},
		{"ack magic", ackErr(edit(ack, 0, 0)), ErrBadMagic},
		{"ack long", ackErr(append(ack, 0)), ErrBadShape},
		{"error no kind", errEventErr([]byte(`{"detail":"x"}`)), ErrBadHeader},
	}
	for _, tc := range tests {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, tc.err, tc.want)
		}
	}
}

func ackErr(b []byte) error {
	_, err := DecodeAck(b)
	return err
}

func errEventErr(b []byte) error {
	_, err := DecodeErrorEvent(b)
	return err
}

func TestEventCodecNoAlloc(t *testing.T) {
	batch := SpikeBatch{Seq: 1, Spikes: testSpikes(64)}
	u := testUnitEvent()
	buf, _ := EncodeSpikeBatch(nil, &batch)
	var out SpikeBatch
	var ue UnitEvent
	_ = DecodeSpikeBatch(buf, &out)
	ubuf, _ := EncodeUnitEvent(nil, &u)
	_ = DecodeUnitEvent(ubuf, &ue)
	allocs := testing.AllocsPerRun(20, func() {
		buf, _ = EncodeSpikeBatch(buf[:0], &batch)
		_ = DecodeSpikeBatch(buf, &out)
		ubuf, _ = EncodeUnitEvent(ubuf[:0], &u)
		_ = DecodeUnitEvent(ubuf, &ue)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations with reused buffers", allocs)
	}
}

func TestPortableSampleCopy(t *testing.T) {
	// The byte-copy fast path and the per-sample loop must write the same bytes.
	i16 := []int16{-32768, -1, 0, 1, 258, 32767}
	f32 := []float32{-1.5, 0, 3.25e9}
	fast16, fast32 := make([]byte, 12), make([]byte, 12)
	putInt16s(fast16, i16)
	putFloat32s(fast32, f32)
	saved := hostLittleEndian
	hostLittleEndian = false
	defer func() { hostLittleEndian = saved }()
	slow16, slow32 := make([]byte, 12), make([]byte, 12)
	putInt16s(slow16, i16)
	putFloat32s(slow32, f32)
	back16, back32 := make([]int16, 6), make([]float32, 3)
	getInt16s(back16, fast16)
	getFloat32s(back32, fast32)
	if string(fast16) != string(slow16) || string(fast32) != string(slow32) ||
		!reflect.DeepEqual(back16, i16) || !reflect.DeepEqual(back32, f32) {
		t.Fatal("fast and portable sample copies differ")
	}
}

func BenchmarkEncodeSpikeBatch256(b *testing.B) {
	batch := SpikeBatch{Seq: 1, Spikes: testSpikes(256)}
	buf, _ := EncodeSpikeBatch(nil, &batch)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = EncodeSpikeBatch(buf[:0], &batch)
	}
}

func BenchmarkDecodeSpikeBatch256(b *testing.B) {
	buf, _ := EncodeSpikeBatch(nil, &SpikeBatch{Seq: 1, Spikes: testSpikes(256)})
	var out SpikeBatch
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if err := DecodeSpikeBatch(buf, &out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnitEventCodec(b *testing.B) {
	u := testUnitEvent()
	buf, _ := EncodeUnitEvent(nil, &u)
	var out UnitEvent
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = EncodeUnitEvent(buf[:0], &u)
		if err := DecodeUnitEvent(buf, &out); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzDecodeSpikeBatch(f *testing.F) {
	f.Add(readGolden(f, "spike_batch_v1.bin"))
	good, _ := EncodeSpikeBatch(nil, &SpikeBatch{Seq: 1, Spikes: testSpikes(2)})
	empty, _ := EncodeSpikeBatch(nil, &SpikeBatch{Seq: 2})
	for _, s := range [][]byte{good, empty, good[:30], nil} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var out SpikeBatch
		if err := DecodeSpikeBatch(b, &out); err != nil {
			return
		}
		again, err := EncodeSpikeBatch(nil, &out)
		if err != nil {
			t.Fatal(err)
		}
		var out2 SpikeBatch
		if err := DecodeSpikeBatch(again, &out2); err != nil {
			t.Fatal(err)
		}
		third, _ := EncodeSpikeBatch(nil, &out2)
		if string(third) != string(again) {
			t.Fatal("unstable round trip")
		}
	})
}

func FuzzDecodeUnitEvent(f *testing.F) {
	f.Add(readGolden(f, "unit_event_v1.bin"))
	u := testUnitEvent()
	good, _ := EncodeUnitEvent(nil, &u)
	bare, _ := EncodeUnitEvent(nil, &UnitEvent{Kind: UnitCreated, UnitID: 4})
	for _, s := range [][]byte{good, bare, good[:60], nil} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var e UnitEvent
		if err := DecodeUnitEvent(b, &e); err != nil {
			return
		}
		again, err := EncodeUnitEvent(nil, &e)
		if err != nil {
			t.Fatal(err)
		}
		var e2 UnitEvent
		if err := DecodeUnitEvent(again, &e2); err != nil {
			t.Fatal(err)
		}
		third, _ := EncodeUnitEvent(nil, &e2)
		if string(third) != string(again) {
			t.Fatal("unstable round trip")
		}
	})
}

func FuzzDecodeAck(f *testing.F) {
	f.Add(EncodeAck(nil, Ack{ConsumerID: 3, Seq: 9, EndOfStream: true}))
	f.Add([]byte("SSAK"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeAck(b)
		if err != nil {
			return
		}
		if a2, err := DecodeAck(EncodeAck(nil, a)); err != nil || a2 != a {
			t.Fatalf("round trip %+v -> %+v (%v)", a, a2, err)
		}
	})
}

func FuzzDecodeErrorEvent(f *testing.F) {
	f.Add([]byte(`{"kind":"decode","detail":"bad magic","seq":3,"count":2}`))
	f.Add([]byte(`{"kind":""}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeErrorEvent(b)
		if err != nil {
			return
		}
		enc, err := EncodeErrorEvent(e)
		if err != nil {
			t.Fatal(err)
		}
		if e2, err := DecodeErrorEvent(enc); err != nil || e2 != e {
			t.Fatalf("round trip %+v -> %+v (%v)", e, e2, err)
		}
	})
}

// BenchmarkSpikeBatchJSON256 is the JSON mirror's cost, for comparison with
// BenchmarkEncodeSpikeBatch256.
func BenchmarkSpikeBatchJSON256(b *testing.B) {
	batch := SpikeBatch{Seq: 1, Spikes: testSpikes(256)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(&batch); err != nil {
			b.Fatal(err)
		}
	}
}
