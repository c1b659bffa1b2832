package sim

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spikestream/spikestream/probe"
)

// seedDir writes a small recording once and returns its directory, for fuzz seeds.
func seedDir(f *testing.F) string {
	f.Helper()
	rec := genFixture(f, Config{Probe: probe.Tetrode(), Units: 2, DurationS: 0.2, Seed: 1})
	dir := f.TempDir()
	if err := rec.WriteDir(dir); err != nil {
		f.Fatal(err)
	}
	return dir
}

func seedFile(f *testing.F, dir, name string) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
}

func FuzzParseUnitsTSV(f *testing.F) {
	seedFile(f, seedDir(f), FileUnits)
	f.Add([]byte("id\tclass\n0\tx\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		units, err := parseUnitsTSV(b)
		if err != nil {
			return
		}
		for i, u := range units {
			if u.ID != i {
				t.Fatalf("row %d has id %d", i, u.ID)
			}
		}
	})
}

func FuzzParseMeta(f *testing.F) {
	seedFile(f, seedDir(f), FileMeta)
	f.Add([]byte(`{"format":"spikestream-sim-1","dtype":"int16","num_channels":-1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseMeta(b)
		if err != nil {
			return
		}
		if m.NumChannels <= 0 || !(m.SampleRateHz > 0) || !(m.UVPerBit > 0) {
			t.Fatalf("accepted %+v", m)
		}
	})
}

func FuzzReadTemplates(f *testing.F) {
	seedFile(f, seedDir(f), FileTemplates)
	f.Add([]byte("\x93NUMPY\x01\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), FileTemplates)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := readTemplates(path, 10)
		if err == nil && len(out) != 10 {
			t.Fatalf("accepted %d values", len(out))
		}
	})
}
