package sim

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/sorting"
)

func TestWriteReadDir(t *testing.T) {
	rec := genFixture(t, Config{Probe: probe.Poly32(), Units: 4, DurationS: 2, Seed: 9,
		DriftUm: 10})
	dir := t.TempDir()
	if err := rec.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	got, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Samples, rec.Samples) || !slices.Equal(got.Truth, rec.Truth) {
		t.Fatal("samples or truth differ after the round trip")
	}
	if !slices.Equal(got.Templates, rec.Templates) || !slices.Equal(got.DriftTraceUm,
		rec.DriftTraceUm) {
		t.Fatal("templates or drift trace differ after the round trip")
	}
	for i, c := range rec.Probe.Contacts {
		g := got.Probe.Contacts[i]
		if g.XUm != c.XUm || g.YUm != c.YUm || g.Shank != c.Shank {
			t.Fatalf("contact %d: wrote %+v, read %+v", i, c, g)
		}
	}
	for i := range rec.Units {
		a, b := rec.Units[i], got.Units[i]
		if a.ID != b.ID || a.Class != b.Class || a.PeakChannel != b.PeakChannel ||
			a.NumSpikes != b.NumSpikes || abs(a.PeakUV-b.PeakUV) > 1e-3 {
			t.Fatalf("unit %d: wrote %+v, read %+v", i, a, b)
		}
	}
	if got.Config.Seed != 9 || got.Config.DriftUm != 10 || got.NumSamples != rec.NumSamples {
		t.Fatalf("config read back as %+v", got.Config)
	}
}

func abs(x float64) float64 { return max(x, -x) }

func TestTruthNPZLayout(t *testing.T) {
	rec := genFixture(t, Config{Probe: probe.Tetrode(), Units: 3, DurationS: 1, Seed: 1})
	dir := t.TempDir()
	if err := rec.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	s, err := sorting.ReadNPZ(filepath.Join(dir, FileTruth))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.UnitIDs, []int64{0, 1, 2}) || s.SampleRateHz != rec.SampleRateHz {
		t.Fatalf("unit ids %v, rate %v", s.UnitIDs, s.SampleRateHz)
	}
	b, err := os.ReadFile(filepath.Join(dir, FileUnits))
	if err != nil {
		t.Fatal(err)
	}
	header := strings.SplitN(string(b), "\n", 2)[0]
	want := "id\tclass\tx_um\ty_um\tz_um\tpeak_channel\tpeak_uv\tsnr\trate_hz\tn_spikes"
	if !strings.HasPrefix(header, want) {
		t.Fatalf("units.tsv header %q", header)
	}
}

func TestReadDirBad(t *testing.T) {
	rec := genFixture(t, Config{Probe: probe.Tetrode(), Units: 2, DurationS: 0.5, Seed: 1})
	cases := []struct {
		name  string
		spoil func(dir string) error
	}{
		{"no meta", func(d string) error { return os.Remove(filepath.Join(d, FileMeta)) }},
		{"short samples", func(d string) error {
			return os.Truncate(filepath.Join(d, FileSamples), 100)
		}},
		{"bad meta", func(d string) error {
			return os.WriteFile(filepath.Join(d, FileMeta), []byte("{"), 0o644)
		}},
		{"bad units", func(d string) error {
			return os.WriteFile(filepath.Join(d, FileUnits), []byte("id\tclass\n"), 0o644)
		}},
		{"bad templates", func(d string) error {
			return os.WriteFile(filepath.Join(d, FileTemplates), []byte("x"), 0o644)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := rec.WriteDir(dir); err != nil {
				t.Fatal(err)
			}
			if err := tc.spoil(dir); err != nil {
				t.Fatal(err)
			}
			if _, err := ReadDir(dir); !errors.Is(err, ErrBadDir) {
				t.Fatalf("got %v, want ErrBadDir", err)
			}
		})
	}
}
