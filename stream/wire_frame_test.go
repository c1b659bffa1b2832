package stream

import (
	"errors"
	"math"
	"reflect"
	"testing"
)

func npFrame(seq uint64) *Frame {
	const ch, n = 384, 30
	f := &Frame{Seq: seq, FirstSample: int64(seq-1) * n, Channels: ch, SamplesPerChannel: n,
		Type: Int16, UVPerUnit: 2.34, SampleRateHz: 30000, I16: make([]int16, ch*n)}
	for i := range f.I16 {
		f.I16[i] = int16(i*7919 - 30000)
	}
	return f
}

func TestFrameRoundTrip(t *testing.T) {
	f32 := &Frame{Seq: 9, FirstSample: -5, Channels: 2, SamplesPerChannel: 3, Type: Float32,
		UVPerUnit: 1, SampleRateHz: 10000, F32: []float32{1.5, -2, 0, 3e9, -1e-9, 7}}
	eos := &Frame{Seq: 10, FirstSample: 1 << 40, Channels: 4, Type: Int16, EndOfStream: true}
	tests := []struct {
		name string
		f    *Frame
	}{
		{"int16 neuropixels 1 ms", npFrame(3)},
		{"float32", f32},
		{"end of stream", eos},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := EncodeFrame([]byte("prefix"), tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if string(b[:6]) != "prefix" || len(b) != 6+EncodedFrameBytes(tc.f) {
				t.Fatalf("EncodeFrame did not append: len %d", len(b))
			}
			var got Frame
			if err := DecodeFrame(b[6:], &got); err != nil {
				t.Fatal(err)
			}
			normalise(&got)
			want := *tc.f
			normalise(&want)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// normalise makes empty sample slices nil so DeepEqual compares contents only.
func normalise(f *Frame) {
	if len(f.I16) == 0 {
		f.I16 = nil
	}
	if len(f.F32) == 0 {
		f.F32 = nil
	}
}

func TestFrameHeaderBytes(t *testing.T) {
	f := &Frame{Seq: 0x0102030405060708, FirstSample: 30, Channels: 2, SamplesPerChannel: 1,
		Type: Int16, UVPerUnit: 0.5, SampleRateHz: 20000, I16: []int16{-1, 258}}
	b, err := EncodeFrame(nil, f)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{
		'S', 'S', 'F', 'R', 1, 0, 1, 48,
		8, 7, 6, 5, 4, 3, 2, 1,
		30, 0, 0, 0, 0, 0, 0, 0,
		2, 0, 0, 0, 1, 0, 0, 0,
		0, 0, 0, 0x3f, 0, 0, 0, 0, // 0.5 as float32
		0, 0, 0, 0, 0, 0x88, 0xd3, 0x40, // 20000 as float64
		0xff, 0xff, 2, 1,
	}
	if !reflect.DeepEqual(b, want) {
		t.Fatalf("bytes\n got % x\nwant % x", b, want)
	}
}

func TestDecodeFrameErrors(t *testing.T) {
	good, _ := EncodeFrame(nil, &Frame{Seq: 1, Channels: 2, SamplesPerChannel: 2, Type: Int16,
		UVPerUnit: 1, SampleRateHz: 1000, I16: []int16{1, 2, 3, 4}})
	mod := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrShortFrame},
		{"header cut", good[:47], ErrShortFrame},
		{"magic", mod(func(b []byte) []byte { b[0] = 'X'; return b }), ErrBadMagic},
		{"version", mod(func(b []byte) []byte { b[4] = 2; return b }), ErrUnsupportedVersion},
		{"header length", mod(func(b []byte) []byte { b[7] = 40; return b }), ErrShortFrame},
		{"type", mod(func(b []byte) []byte { b[6] = 3; return b }), ErrBadSampleType},
		{"payload cut", good[:len(good)-1], ErrBadShape},
		{"payload long", append(append([]byte(nil), good...), 0), ErrBadShape},
		{"zero channels", mod(func(b []byte) []byte { b[24] = 0; return b }), ErrBadShape},
		{"huge channels", mod(func(b []byte) []byte { b[27] = 1; return b }), ErrBadShape},
		{"eos with samples", mod(func(b []byte) []byte { b[5] = 1; return b }), ErrBadShape},
		{"zero rate", mod(func(b []byte) []byte { clear(b[40:48]); return b }), ErrBadHeader},
		{"nan scale", mod(func(b []byte) []byte {
			le.PutUint32(b[32:], math.Float32bits(float32(math.NaN())))
			return b
		}), ErrBadHeader},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var f Frame
			if err := DecodeFrame(tc.b, &f); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestEncodeFrameErrors(t *testing.T) {
	tests := []struct {
		name string
		f    Frame
		want error
	}{
		{"type", Frame{Channels: 1, SamplesPerChannel: 1, UVPerUnit: 1, SampleRateHz: 1},
			ErrBadSampleType},
		{"short slice", Frame{Channels: 2, SamplesPerChannel: 2, Type: Int16, UVPerUnit: 1,
			SampleRateHz: 1, I16: []int16{1}}, ErrBadShape},
		{"negative rate", Frame{Channels: 1, SamplesPerChannel: 1, Type: Int16, UVPerUnit: 1,
			SampleRateHz: -1, I16: []int16{1}}, ErrBadHeader},
		{"empty frame", Frame{Channels: 1, Type: Int16, UVPerUnit: 1, SampleRateHz: 1},
			ErrBadShape},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := EncodeFrame([]byte{1}, &tc.f)
			if !errors.Is(err, tc.want) || len(b) != 1 {
				t.Fatalf("got %v (len %d), want %v and dst untouched", err, len(b), tc.want)
			}
		})
	}
}

func TestFrameCodecNoAlloc(t *testing.T) {
	f := npFrame(1)
	buf, _ := EncodeFrame(nil, f)
	var got Frame
	if err := DecodeFrame(buf, &got); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(20, func() {
		buf, _ = EncodeFrame(buf[:0], f)
		_ = DecodeFrame(buf, &got)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per encode+decode with reused buffers", allocs)
	}
}

func BenchmarkEncodeFrameNeuropixels1ms(b *testing.B) {
	f := npFrame(1)
	buf := make([]byte, 0, EncodedFrameBytes(f))
	b.SetBytes(int64(EncodedFrameBytes(f)))
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = EncodeFrame(buf[:0], f)
	}
}

func BenchmarkDecodeFrameNeuropixels1ms(b *testing.B) {
	buf, _ := EncodeFrame(nil, npFrame(1))
	var f Frame
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if err := DecodeFrame(buf, &f); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzDecodeFrame(f *testing.F) {
	f.Add(readGolden(f, "frame_v1.bin"))
	good, _ := EncodeFrame(nil, &Frame{Seq: 1, Channels: 2, SamplesPerChannel: 2, Type: Int16,
		UVPerUnit: 1, SampleRateHz: 1000, I16: []int16{1, 2, 3, 4}})
	fl, _ := EncodeFrame(nil, &Frame{Seq: 2, Channels: 1, SamplesPerChannel: 2,
		Type: Float32, UVPerUnit: 1, SampleRateHz: 1000, F32: []float32{1, float32(math.NaN())}})
	eos, _ := EncodeFrame(nil, &Frame{Seq: 3, Channels: 2, Type: Int16, EndOfStream: true})
	for _, s := range [][]byte{good, fl, eos, good[:47], nil} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fr Frame
		if err := DecodeFrame(b, &fr); err != nil {
			return
		}
		again, err := EncodeFrame(nil, &fr)
		if err != nil {
			t.Fatalf("re-encode of a decoded frame failed: %v", err)
		}
		var fr2 Frame
		if err := DecodeFrame(again, &fr2); err != nil {
			t.Fatalf("decode of re-encoded frame failed: %v", err)
		}
		third, err := EncodeFrame(nil, &fr2)
		if err != nil || string(third) != string(again) {
			t.Fatalf("unstable round trip (err %v):\n% x\n% x", err, again, third)
		}
	})
}
