package sim

import (
	"context"
	"errors"
	"math"
	"runtime"
	"slices"
	"testing"

	"github.com/spikestream/spikestream/probe"
)

// genFixture runs the generator on the fixture library.
func genFixture(t testing.TB, cfg Config) *Recording {
	t.Helper()
	cfg = withDefaults(cfg)
	if err := validate(cfg); err != nil {
		t.Fatal(err)
	}
	rec, err := generate(context.Background(), cfg, fixtureLibrary(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestGenerateDeterministic(t *testing.T) {
	cfg := Config{Probe: probe.Poly32(), Units: 6, DurationS: 2, Seed: 7, DriftUm: 20,
		DriftJumps: 1}
	a, b := genFixture(t, cfg), genFixture(t, cfg)
	if !slices.Equal(a.Samples, b.Samples) || !slices.Equal(a.Truth, b.Truth) {
		t.Fatal("same config gave different recordings")
	}
	if !slices.Equal(a.Templates, b.Templates) {
		t.Fatal("same config gave different templates")
	}
	cfg.Seed = 8
	c := genFixture(t, cfg)
	if slices.Equal(a.Samples, c.Samples) {
		t.Fatal("different seeds gave the same samples")
	}
}

func TestGenerateBadConfig(t *testing.T) {
	ok := Config{Probe: probe.Tetrode(), Units: 2, DurationS: 1, LibraryDir: t.TempDir(),
		LibrarySize: 1}
	cases := []struct {
		name string
		mod  func(c *Config)
	}{
		{"nil probe", func(c *Config) { c.Probe = nil }},
		{"empty probe", func(c *Config) { c.Probe = &probe.Probe{} }},
		{"zero duration", func(c *Config) { c.DurationS = 0 }},
		{"negative duration", func(c *Config) { c.DurationS = -1 }},
		{"NaN duration", func(c *Config) { c.DurationS = math.NaN() }},
		{"NaN noise", func(c *Config) { c.NoiseUV = math.NaN() }},
		{"negative noise", func(c *Config) { c.NoiseUV = -3 }},
		{"rate too low", func(c *Config) { c.SampleRateHz = 8000 }},
		{"rate too high", func(c *Config) { c.SampleRateHz = 60000 }},
		{"infinite rate", func(c *Config) { c.SampleRateHz = math.Inf(1) }},
		{"too many units", func(c *Config) { c.Units = 1000 }},
		{"negative units", func(c *Config) { c.Units = -1 }},
		{"negative uV per bit", func(c *Config) { c.UVPerBit = -1 }},
		{"drift too large", func(c *Config) { c.DriftUm = 5000 }},
		{"uV per bit too fine", func(c *Config) { c.UVPerBit = 0.001 }},
		{"non-rigid out of range", func(c *Config) { c.DriftNonRigid = 3 }},
		{"negative jumps", func(c *Config) { c.DriftJumps = -2 }},
		{"bad class weight", func(c *Config) { c.ClassMix = map[string]float64{"x": -1} }},
		{"too large", func(c *Config) { c.DurationS = 1e6; c.Probe = probe.Neuropixels1() }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.mod(&cfg)
			_, err := Generate(context.Background(), cfg)
			if !errors.Is(err, ErrBadConfig) {
				t.Fatalf("got %v, want ErrBadConfig", err)
			}
		})
	}
}

// channelRMSInt returns the RMS in uV of one channel of a recording.
func channelRMSInt(rec *Recording, ch int) float64 {
	c := rec.NumChannels()
	var s2 float64
	for i := range rec.NumSamples {
		v := float64(rec.Samples[i*c+ch]) * rec.UVPerBit
		s2 += v * v
	}
	return math.Sqrt(s2 / float64(rec.NumSamples))
}

func TestNoiseRMS(t *testing.T) {
	cases := []struct {
		p       *probe.Probe
		rateHz  float64
		noiseUV float64
	}{
		{probe.Tetrode(), 20000, 10}, {probe.Poly32(), 25000, 6}, {probe.Poly32(), 30000, 15},
		{probe.Tetrode(), 10000, 8}, {probe.Tetrode(), 50000, 12},
	}
	for _, tc := range cases {
		rec := genFixture(t, Config{Probe: tc.p, DurationS: 3, SampleRateHz: tc.rateHz,
			NoiseUV: tc.noiseUV, Seed: 2})
		for ch := range rec.NumChannels() {
			rms := channelRMSInt(rec, ch)
			if math.Abs(rms-tc.noiseUV) > 0.1*tc.noiseUV {
				t.Errorf("%s %v Hz ch %d: rms %.2f uV, want %.1f +-10%%", tc.p.Name,
					tc.rateHz, ch, rms, tc.noiseUV)
			}
		}
	}
}

// TestGenerateRealLibrary runs the whole path with a small real cell library built into a
// temporary cache directory.
func TestGenerateRealLibrary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a cell library")
	}
	dir := t.TempDir()
	cfg := Config{Probe: probe.Tetrode(), Units: 3, DurationS: 2, Seed: 1, LibraryDir: dir,
		LibrarySize: 4}
	rec, err := Generate(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Units) != 3 || len(rec.Truth) == 0 {
		t.Fatalf("%d units, %d spikes", len(rec.Units), len(rec.Truth))
	}
	for _, u := range rec.Units {
		if !(u.PeakUV > 10 && u.PeakUV < 1000) || u.LibraryID < 0 || u.LibraryID >= 4 {
			t.Errorf("unit %+v", u)
		}
	}
	again, err := Generate(context.Background(), cfg) // from the in-memory cache now
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Samples, rec.Samples) {
		t.Fatal("second run differs")
	}
}

func TestClippingCounted(t *testing.T) {
	// 0.002 uV per bit puts int16 full scale at 65 uV: noise fits, big troughs clip.
	rec := genFixture(t, Config{Probe: probe.Tetrode(), Units: 4, DurationS: 5, Seed: 1,
		NoiseUV: 5, UVPerBit: 0.002})
	var atRail int64
	for _, v := range rec.Samples {
		if v == math.MaxInt16 || v == math.MinInt16 {
			atRail++
		}
	}
	if rec.ClippedSamples == 0 || atRail < rec.ClippedSamples/2 {
		t.Fatalf("%d clipped samples counted, %d at the rails", rec.ClippedSamples, atRail)
	}
	quiet := genFixture(t, Config{Probe: probe.Tetrode(), Units: 4, DurationS: 5, Seed: 1})
	if quiet.ClippedSamples != 0 {
		t.Fatalf("%d clipped samples at 0.195 uV per bit", quiet.ClippedSamples)
	}
}

func TestClassMix(t *testing.T) {
	rec := genFixture(t, Config{Probe: probe.Poly32(), Units: 12, DurationS: 0.5, Seed: 1,
		ClassMix: map[string]float64{"fs-interneuron": 1}})
	for _, u := range rec.Units {
		if u.Class != "fs-interneuron" {
			t.Fatalf("unit %d is %s", u.ID, u.Class)
		}
	}
}

func TestNonRigidDrift(t *testing.T) {
	rec := genFixture(t, Config{Probe: probe.Poly32(), Units: 10, DurationS: 2, Seed: 3,
		DriftUm: 40, DriftNonRigid: 0.8})
	_, _, minY, maxY := rec.Probe.Extent()
	for _, u := range rec.Units {
		want := 1 + 0.8*((u.YUm-minY)/(maxY-minY)-0.5)
		if math.Abs(u.DriftScale-want) > 1e-9 {
			t.Errorf("unit at %.0f um: drift scale %.3f, want %.3f", u.YUm, u.DriftScale, want)
		}
		moved := rec.UnitYUmAt(u.ID, rec.DurationS()) - u.YUm
		if math.Abs(moved-40*want) > 0.5 {
			t.Errorf("unit at %.0f um moved %.1f um, want %.1f", u.YUm, moved, 40*want)
		}
	}
}

func TestGenerateCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cfg := withDefaults(Config{Probe: probe.Poly32(), Units: 3, DurationS: 5, Seed: 1})
	if _, err := generate(ctx, cfg, fixtureLibrary(), nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestGenerateIndependentOfWorkers(t *testing.T) {
	cfg := Config{Probe: probe.Poly32(), Units: 5, DurationS: 1, Seed: 21, DriftUm: 15}
	a := genFixture(t, cfg)
	old := runtime.GOMAXPROCS(1)
	b := genFixture(t, cfg)
	runtime.GOMAXPROCS(3)
	c := genFixture(t, cfg)
	runtime.GOMAXPROCS(old)
	if !slices.Equal(a.Samples, b.Samples) || !slices.Equal(a.Samples, c.Samples) {
		t.Fatal("the output depends on the number of workers")
	}
}

func TestClassMixUnknown(t *testing.T) {
	cfg := withDefaults(Config{Probe: probe.Tetrode(), Units: 2, DurationS: 0.1,
		ClassMix: map[string]float64{"granule": 1}})
	_, err := generate(context.Background(), cfg, fixtureLibrary(), nil)
	if !errors.Is(err, ErrBadConfig) {
		t.Fatalf("got %v, want ErrBadConfig", err)
	}
}
