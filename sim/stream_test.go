package sim

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/spikestream/spikestream/probe"
)

// streamFixture runs Stream on the fixture library.
func streamFixture(t *testing.T, ctx context.Context, cfg Config) (*Recording, *SampleReader) {
	t.Helper()
	cfg = withDefaults(cfg)
	if err := validateStream(cfg); err != nil {
		t.Fatal(err)
	}
	rec, r, err := stream(ctx, cfg, fixtureLibrary())
	if err != nil {
		t.Fatal(err)
	}
	return rec, r
}

// A streamed recording's bytes, read in odd-sized pieces, are the samples Generate gives,
// and its truth, templates and clip count agree.
func TestStreamMatchesGenerate(t *testing.T) {
	// 1.3 s does not fill the last chunk; a 0.003 uV step makes the biggest spikes clip.
	cfg := Config{Probe: probe.Poly32(), Units: 8, DurationS: 1.3, Seed: 5, DriftUm: 15,
		NoiseUV: 10, UVPerBit: 0.003}
	want := genFixture(t, cfg)
	if want.ClippedSamples == 0 {
		t.Fatal("the fixture no longer clips: the clip count goes untested")
	}
	rec, r := streamFixture(t, context.Background(), cfg)
	if rec.Samples != nil {
		t.Fatal("a streamed recording holds its samples")
	}
	if n, err := r.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.ErrShortBuffer) {
		t.Fatalf("one-byte read: %d, %v; want 0, io.ErrShortBuffer", n, err)
	}
	var b []byte
	for i := 0; ; i++ {
		p := make([]byte, []int{2, 1003, 7, 1 << 16}[i%4]) // odd sizes read whole samples
		n, err := r.Read(p)
		b = append(b, p[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil || n%2 != 0 {
			t.Fatalf("read %d: %d bytes, %v", i, n, err)
		}
	}
	got := make([]int16, len(b)/2)
	for i := range got {
		got[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	if len(b)%2 != 0 || !slices.Equal(got, want.Samples) {
		t.Fatalf("streamed %d bytes differ from the %d generated samples", len(b),
			len(want.Samples))
	}
	if !slices.Equal(rec.Truth, want.Truth) || !slices.Equal(rec.Templates, want.Templates) {
		t.Fatal("streamed truth or templates differ")
	}
	if rec.ClippedSamples != want.ClippedSamples {
		t.Fatalf("clipped %d, want %d", rec.ClippedSamples, want.ClippedSamples)
	}
}

// Stream has no output size limit, and a cancelled context stops the reader.
func TestStreamLongAndCancelled(t *testing.T) {
	cfg := Config{Probe: probe.Neuropixels1(), Units: 20, DurationS: 3600, Seed: 1}
	if err := cfg.Validate(); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("Generate accepts an hour of 384 channels: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	rec, r := streamFixture(t, ctx, cfg)
	if rec.NumSamples != 3600*DefaultSampleRateHz {
		t.Fatalf("NumSamples %d", rec.NumSamples)
	}
	buf := make([]byte, 1<<16)
	if _, err := io.ReadFull(r, buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := io.ReadFull(r, make([]byte, 64<<20)); !errors.Is(err, context.Canceled) {
		t.Fatalf("read after cancel: %v, want context.Canceled", err)
	}
}
