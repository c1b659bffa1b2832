package dsp

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestBandGains(t *testing.T) {
	const rateHz = 30000
	hp, err := HighPass(300, rateHz)
	if err != nil {
		t.Fatal(err)
	}
	lp, err := LowPass(6000, rateHz)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		b      Biquad
		freqHz float64
		lo, hi float64
	}{
		{"hp corner", hp, 300, 0.69, 0.72},
		{"hp stop", hp, 30, 0.005, 0.02},
		{"hp pass", hp, 3000, 0.99, 1.01},
		{"lp corner", lp, 6000, 0.69, 0.72},
		{"lp pass", lp, 500, 0.99, 1.01},
	}
	for _, c := range cases {
		if g := c.b.Gain(c.freqHz, rateHz); g < c.lo || g > c.hi {
			t.Errorf("%s: gain %.4f at %g Hz, want [%g, %g]", c.name, g, c.freqHz, c.lo, c.hi)
		}
	}
	if math.Abs(hp.DCGain()) > 1e-6 {
		t.Errorf("high-pass DC gain %g", hp.DCGain())
	}
}

func TestBadDesign(t *testing.T) {
	for _, f := range []float64{0, -1, 15000, 20000, math.NaN()} {
		if _, err := HighPass(f, 30000); err == nil {
			t.Errorf("corner %g: no error", f)
		}
	}
}

// A DC offset at the start must not ring through the high-pass.
func TestCascadePrimingRemovesStep(t *testing.T) {
	hp, _ := HighPass(300, 30000)
	lp, _ := LowPass(6000, 30000)
	c, err := NewCascade(2, hp, lp)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 2*300)
	for i := range x {
		x[i] = 5000
	}
	c.Process(x)
	for i, v := range x {
		if math.Abs(float64(v)) > 1e-2 {
			t.Fatalf("sample %d rings: %g", i, v)
		}
	}
}

// Filtering in blocks must equal filtering in one go.
func TestCascadeBlockInvariance(t *testing.T) {
	hp, _ := HighPass(300, 30000)
	lp, _ := LowPass(6000, 30000)
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, 4*1000)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 10)
	}
	whole := slices.Clone(x)
	a, _ := NewCascade(4, hp, lp)
	a.Process(whole)
	b, _ := NewCascade(4, hp, lp)
	for off := 0; off < len(x); off += 4 * 37 {
		b.Process(x[off:min(off+4*37, len(x))])
	}
	for i := range x {
		if d := math.Abs(float64(x[i] - whole[i])); d > 1e-4 {
			t.Fatalf("sample %d differs by %g", i, d)
		}
	}
}

func TestMedian(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for n := 1; n < 60; n++ {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.IntN(7))
		}
		s := slices.Clone(v)
		slices.Sort(s)
		want := s[n/2]
		if n%2 == 0 {
			want = (s[n/2-1] + s[n/2]) / 2
		}
		if got := Median(v); got != want {
			t.Fatalf("n=%d: median %g, want %g", n, got, want)
		}
	}
}

func BenchmarkCascade384x30(b *testing.B) {
	hp, _ := HighPass(300, 30000)
	lp, _ := LowPass(6000, 30000)
	c, _ := NewCascade(384, hp, lp)
	x := make([]float32, 384*30)
	b.ReportAllocs()
	b.SetBytes(int64(len(x) * 4))
	for b.Loop() {
		c.Process(x)
	}
}

func BenchmarkMedian384(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	src := make([]float32, 384)
	for i := range src {
		src[i] = float32(rng.NormFloat64())
	}
	v := make([]float32, 384)
	b.ReportAllocs()
	for b.Loop() {
		copy(v, src)
		Median(v)
	}
}
