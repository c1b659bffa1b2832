package npy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio"
)

func TestWriteHeaderBytes(t *testing.T) {
	cases := []struct {
		descr string
		shape []int
		dict  string
	}{
		{"<i8", []int{3}, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }"},
		{"<f4", []int{2, 5, 4}, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 5, 4), }"},
		{"<f8", []int{}, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }"},
		{"<i4", []int{0}, "{'descr': '<i4', 'fortran_order': False, 'shape': (0,), }"},
	}
	for _, c := range cases {
		var b bytes.Buffer
		if err := WriteHeader(&b, c.descr, c.shape); err != nil {
			t.Fatal(err)
		}
		got := b.Bytes()
		if len(got)%64 != 0 {
			t.Errorf("%s %v: header is %d bytes, not a multiple of 64", c.descr, c.shape,
				len(got))
		}
		if string(got[:8]) != "\x93NUMPY\x01\x00" {
			t.Errorf("%s: prefix %q", c.descr, got[:8])
		}
		hlen := int(binary.LittleEndian.Uint16(got[8:10]))
		if hlen != len(got)-10 {
			t.Errorf("%s: length field %d, header holds %d", c.descr, hlen, len(got)-10)
		}
		want := c.dict + strings.Repeat(" ", len(got)-10-len(c.dict)-1) + "\n"
		if string(got[10:]) != want {
			t.Errorf("%s: dict\n got %q\nwant %q", c.descr, got[10:], want)
		}
	}
}

func TestWriteHeaderRejects(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHeader(&b, "<U8", []int{1}); !errors.Is(err, ErrFormat) {
		t.Errorf("string dtype: err %v", err)
	}
	if err := WriteInt64(&b, []int{2, 2}, []int64{1, 2, 3}); !errors.Is(err, ErrFormat) {
		t.Errorf("shape mismatch: err %v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	var b bytes.Buffer
	ints := []int64{-5, 0, 1 << 40, math.MinInt64, math.MaxInt64}
	if err := WriteInt64(&b, nil, ints); err != nil {
		t.Fatal(err)
	}
	a := mustRead(t, b.Bytes())
	got, err := a.Int64s()
	if err != nil || !slices.Equal(got, ints) || !slices.Equal(a.Shape, []int{5}) {
		t.Errorf("int64: got %v %v %v", got, a.Shape, err)
	}

	b.Reset()
	f32 := []float32{1.5, -2, 3, 4, 5, 6}
	if err := WriteFloat32(&b, []int{1, 2, 3}, f32); err != nil {
		t.Fatal(err)
	}
	a = mustRead(t, b.Bytes())
	f, err := a.Float64s()
	if err != nil || a.Descr != "<f4" || !slices.Equal(a.Shape, []int{1, 2, 3}) ||
		f[0] != 1.5 || f[5] != 6 {
		t.Errorf("float32: got %v %v %v %v", f, a.Descr, a.Shape, err)
	}
	if _, err := a.Int64s(); !errors.Is(err, ErrFormat) {
		t.Errorf("float array as ints: err %v", err)
	}
}

func mustRead(t *testing.T, b []byte) *Array {
	t.Helper()
	a, err := Read(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return a
}

// TestNpyioReadsOurs checks our files with the independent npyio decoder.
func TestNpyioReadsOurs(t *testing.T) {
	var b bytes.Buffer
	in := []int32{7, -8, 9}
	if err := WriteInt32(&b, nil, in); err != nil {
		t.Fatal(err)
	}
	var out []int32
	if err := npyio.Read(bytes.NewReader(b.Bytes()), &out); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(in, out) {
		t.Errorf("npyio read %v, want %v", out, in)
	}

	b.Reset()
	fin := []float64{0.25, 1e300}
	if err := WriteFloat64(&b, nil, fin); err != nil {
		t.Fatal(err)
	}
	var fout []float64
	if err := npyio.Read(bytes.NewReader(b.Bytes()), &fout); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fin, fout) {
		t.Errorf("npyio read %v, want %v", fout, fin)
	}
}

// TestReadsNpyio checks that we decode what npyio encodes (version 2 headers).
func TestReadsNpyio(t *testing.T) {
	var b bytes.Buffer
	in := []uint64{3, 1 << 62}
	if err := npyio.Write(&b, in); err != nil {
		t.Fatal(err)
	}
	a := mustRead(t, b.Bytes())
	got, err := a.Int64s()
	if err != nil || got[0] != 3 || got[1] != 1<<62 || a.Descr != "<u8" {
		t.Errorf("got %v %q %v", got, a.Descr, err)
	}
}

// rawNpy builds a version 1 file from a literal header dict and data bytes.
func rawNpy(dict string, data []byte) []byte {
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(dict)+1))
	b = append(b, dict...)
	b = append(b, '\n')
	return append(b, data...)
}

func TestReadHeaderVariants(t *testing.T) {
	le := []byte{1, 0, 0, 0, 2, 0, 0, 0}
	be := []byte{0, 0, 0, 1, 0, 0, 0, 2}
	cases := []struct {
		name string
		file []byte
		want []int64
	}{
		{"python2 long", rawNpy("{'descr': '<i4', 'fortran_order': False, 'shape': (2L,), }", le),
			[]int64{1, 2}},
		{"double quotes, no trailing comma",
			rawNpy(`{"shape": (2,), "descr": "<i4", "fortran_order": False}`, le), []int64{1, 2}},
		{"big endian", rawNpy("{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }", be),
			[]int64{1, 2}},
		{"fortran column", rawNpy("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 1), }",
			le), []int64{1, 2}},
		{"unsigned bytes", rawNpy("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }",
			[]byte{255, 7}), []int64{255, 7}},
		{"signed bytes", rawNpy("{'descr': '|i1', 'fortran_order': False, 'shape': (2,), }",
			[]byte{255, 7}), []int64{-1, 7}},
	}
	for _, c := range cases {
		a, err := Read(bytes.NewReader(c.file), 1<<20)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		got, err := a.Int64s()
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v (%v), want %v", c.name, got, err, c.want)
		}
	}
}

func TestReadRejects(t *testing.T) {
	data := make([]byte, 16)
	cases := []struct {
		name string
		file []byte
	}{
		{"empty", nil},
		{"bad magic", []byte("\x93NUMPX\x01\x00\x00\x00")},
		{"version 9", []byte("\x93NUMPY\x09\x00\x00\x00")},
		{"truncated header", []byte("\x93NUMPY\x01\x00\xff\x00{")},
		{"object dtype", rawNpy("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", data)},
		{"unicode dtype", rawNpy("{'descr': '<U4', 'fortran_order': False, 'shape': (1,), }", data)},
		{"missing shape", rawNpy("{'descr': '<i4', 'fortran_order': False, }", data)},
		{"fortran 2-d", rawNpy("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 2), }", data)},
		{"short data", rawNpy("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", data)},
		{"huge shape", rawNpy("{'descr': '<i8', 'fortran_order': False, "+
			"'shape': (99999999999, 99999999999), }", data)},
		{"garbage", rawNpy("{'descr': '<i8', 'fortran_order': Maybe, 'shape': (1,), }", data)},
		{"no brace", rawNpy("'descr': '<i8'", data)},
	}
	for _, c := range cases {
		if _, err := Read(bytes.NewReader(c.file), 1<<20); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err %v, want ErrFormat", c.name, err)
		}
	}
}

func FuzzRead(f *testing.F) {
	var b bytes.Buffer
	WriteInt64(&b, []int{2, 1}, []int64{1, 2})
	f.Add(b.Bytes())
	f.Add(rawNpy("{'descr': '>u2', 'fortran_order': False, 'shape': (1,), }", []byte{1, 2}))
	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := Read(bytes.NewReader(in), int64(len(in)))
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			return
		}
		if _, err := a.Float64s(); err != nil && !errors.Is(err, ErrFormat) {
			t.Fatalf("convert error %v does not wrap ErrFormat", err)
		}
	})
}

func BenchmarkWriteInt64(b *testing.B) {
	v := make([]int64, 1_000_000)
	for i := range v {
		v[i] = int64(i * 3)
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	b.SetBytes(8 * int64(len(v)))
	for b.Loop() {
		buf.Reset()
		if err := WriteInt64(&buf, nil, v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadInt64(b *testing.B) {
	v := make([]int64, 1_000_000)
	var buf bytes.Buffer
	if err := WriteInt64(&buf, nil, v); err != nil {
		b.Fatal(err)
	}
	raw := buf.Bytes()
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		a, err := Read(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.Int64s(); err != nil {
			b.Fatal(err)
		}
	}
}
