package ringbuf

import (
	"errors"
	"testing"
)

func fill(r *Ring, from int64, n int) {
	block := make([]float32, n*r.Channels())
	for k := 0; k < n; k++ {
		for ch := 0; ch < r.Channels(); ch++ {
			block[k*r.Channels()+ch] = float32((from+int64(k))*10 + int64(ch))
		}
	}
	r.Append(block)
}

func TestCutAcrossWrap(t *testing.T) {
	r, err := New(3, 10) // rounds up to 16
	if err != nil {
		t.Fatal(err)
	}
	if r.Cap() != 16 {
		t.Fatalf("cap %d, want 16", r.Cap())
	}
	fill(r, 0, 12)
	fill(r, 12, 12) // wraps
	dst := make([]float32, 2*5)
	dst, err = r.Cut(dst, []int{2, 0}, 14, 5)
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 5; k++ {
		if want := float32((14+k)*10 + 2); dst[k] != want {
			t.Fatalf("ch2 k=%d: %g want %g", k, dst[k], want)
		}
		if want := float32((14 + k) * 10); dst[5+k] != want {
			t.Fatalf("ch0 k=%d: %g want %g", k, dst[5+k], want)
		}
	}
}

func TestAvailability(t *testing.T) {
	r, _ := New(2, 8)
	r.Reset(100)
	fill(r, 100, 20)
	cases := []struct {
		from, to int64
		want     error
	}{
		{112, 120, nil},
		{111, 120, ErrTooOld},
		{115, 121, ErrNotYet},
		{90, 95, ErrTooOld},
	}
	for _, c := range cases {
		if err := r.Available(c.from, c.to); !errors.Is(err, c.want) {
			t.Errorf("[%d,%d): %v, want %v", c.from, c.to, err, c.want)
		}
	}
	if _, err := r.Cut(make([]float32, 4), []int{0}, 100, 4); !errors.Is(err, ErrTooOld) {
		t.Errorf("cut of overwritten window: %v", err)
	}
}

func TestBadSize(t *testing.T) {
	if _, err := New(0, 10); err == nil {
		t.Error("zero channels accepted")
	}
}

func BenchmarkAppend384x30(b *testing.B) {
	r, _ := New(384, 1<<14)
	block := make([]float32, 384*30)
	b.ReportAllocs()
	b.SetBytes(int64(len(block) * 4))
	for b.Loop() {
		r.Append(block)
	}
}

func BenchmarkCut12x61(b *testing.B) {
	r, _ := New(384, 1<<14)
	fill(r, 0, 1<<13)
	chans := []int{100, 101, 102, 103, 98, 99, 104, 105, 96, 97, 106, 107}
	dst := make([]float32, len(chans)*61)
	b.ReportAllocs()
	for b.Loop() {
		dst, _ = r.Cut(dst, chans, 4000, 61)
	}
}
