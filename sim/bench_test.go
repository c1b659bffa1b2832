package sim

import (
	"context"
	"testing"

	"github.com/spikestream/spikestream/probe"
)

// BenchmarkGenerateNP60s measures the headline figure: 60 s of a 384-channel Neuropixels
// recording with 100 units from the cached default library (built on first use under the
// user cache directory; the first, warming call is not timed).
func BenchmarkGenerateNP60s(b *testing.B) {
	benchGenerate(b, Config{Probe: probe.Neuropixels1(), Units: 100, DurationS: 60, Seed: 1})
}

// BenchmarkGenerateNP60sDrift is the same with 50 um of drift and two jumps.
func BenchmarkGenerateNP60sDrift(b *testing.B) {
	benchGenerate(b, Config{Probe: probe.Neuropixels1(), Units: 100, DurationS: 60, Seed: 1,
		DriftUm: 50, DriftJumps: 2})
}

// BenchmarkGenerateNP60sCold allocates a fresh output every time, page faults included.
func BenchmarkGenerateNP60sCold(b *testing.B) {
	cfg := Config{Probe: probe.Neuropixels1(), Units: 100, DurationS: 60, Seed: 1}
	benchGenerateWith(b, cfg, false)
}

func benchGenerate(b *testing.B, cfg Config) { benchGenerateWith(b, cfg, true) }

// benchGenerateWith times Generate after a warming call that loads the library; with
// reuse, every call writes into the same output buffer (GenerateInto).
func benchGenerateWith(b *testing.B, cfg Config, reuse bool) {
	ctx := context.Background()
	rec, err := Generate(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	buf := rec.Samples
	if !reuse {
		buf, rec = nil, nil
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := GenerateInto(ctx, cfg, buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(cfg.DurationS*float64(b.N)/b.Elapsed().Seconds(), "x-realtime")
}

// BenchmarkSynthChunk measures rendering one chunk (noise, spikes, quantisation) of a
// 384-channel recording.
func BenchmarkSynthChunk(b *testing.B) {
	cfg := withDefaults(Config{Probe: probe.Neuropixels1(), Units: 100, DurationS: 2, Seed: 1})
	s := &simState{cfg: cfg, lib: fixtureLibrary(), contacts: contacts3D(cfg.Probe),
		nSamples: int(cfg.DurationS * cfg.SampleRateHz)}
	s.pre, s.ts = templateGeometry(cfg.SampleRateHz)
	ctx := context.Background()
	units, err := s.buildUnits(ctx)
	if err != nil {
		b.Fatal(err)
	}
	noise, err := s.buildNoise(ctx)
	if err != nil {
		b.Fatal(err)
	}
	evs, _ := s.makeEvents(units, s.trains(units))
	sy := newSynth(s, units, evs, noise)
	sy.out = make([]int16, s.nSamples*noise.channels)
	b.ReportAllocs()
	k := 0
	for b.Loop() {
		sy.chunk(k % (s.nSamples / synthChunk))
		k++
	}
	b.SetBytes(int64(synthChunk * noise.channels * 2))
}

// BenchmarkNoiseBlock measures building the 384-channel noise block with background cells.
func BenchmarkNoiseBlock(b *testing.B) {
	cfg := withDefaults(Config{Probe: probe.Neuropixels1(), DurationS: 1, Seed: 1})
	s := &simState{cfg: cfg, lib: fixtureLibrary(), contacts: contacts3D(cfg.Probe)}
	s.pre, s.ts = templateGeometry(cfg.SampleRateHz)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.buildNoise(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
