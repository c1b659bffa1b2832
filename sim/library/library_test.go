package library

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestBuildDeterministicAndCached(t *testing.T) {
	cfg := Config{N: 4, Seed: 11}
	dir := t.TempDir()
	ctx := context.Background()
	a, err := LoadOrBuild(ctx, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if a.Len() != 4 {
		t.Fatalf("Len = %d, want 4", a.Len())
	}
	name, _ := CacheKey(cfg)
	st, err := os.Stat(filepath.Join(dir, name))
	if err != nil {
		t.Fatalf("cache file not written: %v", err)
	}
	t.Logf("4 cells: %d bytes on disk", st.Size())
	start := time.Now()
	b, err := LoadOrBuild(ctx, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cache load %v", time.Since(start))
	for i := range a.Len() {
		if !reflect.DeepEqual(a.Cell(i), b.Cell(i)) {
			t.Fatalf("cell %d differs after a round trip through the cache", i)
		}
	}
	c, err := Build(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Cell(3), c.Cell(3)) {
		t.Fatal("rebuilding the same config gave a different cell")
	}
}

func TestBuildCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Build(ctx, Config{N: 50, Seed: 1})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestBadConfig(t *testing.T) {
	for _, cfg := range []Config{{N: 0}, {N: 2, Classes: []string{"purkinje"}}} {
		if _, err := Build(context.Background(), cfg); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%+v: err = %v, want ErrBadConfig", cfg, err)
		}
	}
}

func TestReadRejectsGarbage(t *testing.T) {
	for _, data := range []string{"", "not a library", "\x00\x01\x02"} {
		if _, err := Read(strings.NewReader(data)); !errors.Is(err, ErrBadFile) {
			t.Errorf("%q: err = %v, want ErrBadFile", data, err)
		}
	}
}

func TestQuantiseRoundTrip(t *testing.T) {
	x := []float32{0, 1.5, -3.25, 1e-4, 2.75, -0.001}
	scale, q := quantise(x)
	y := dequantise(scale, q)
	for i := range x {
		if math.Abs(float64(x[i]-y[i])) > 0.5*float64(scale)+1e-9 {
			t.Errorf("sample %d: %g became %g (step %g)", i, x[i], y[i], scale)
		}
	}
}

// BenchmarkBuild measures building a small library on all CPUs; multiply ns/op by
// N/8 to estimate larger libraries (the work is per cell and independent).
func BenchmarkBuild(b *testing.B) {
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		if _, err := Build(context.Background(), Config{N: 8, Seed: 5}); err != nil {
			b.Fatal(err)
		}
	}
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/1e3/float64(b.N)/8, "cpu-ms/cell")
	}
}

// TestCellsStayClosed checks that merging and 16-bit storage keep each library cell a
// closed current system (currents sum to about zero at every step) with a real spike.
func TestCellsStayClosed(t *testing.T) {
	lib, err := Build(context.Background(), Config{N: 6, Seed: 21})
	if err != nil {
		t.Fatal(err)
	}
	for i := range lib.Len() {
		s := lib.Cell(i)
		var worst, peak float64
		for k := range s.NumSteps() {
			var sum float64
			for _, cur := range s.CurrentsNA {
				sum += float64(cur[k])
				peak = max(peak, math.Abs(float64(cur[k])))
			}
			worst = max(worst, math.Abs(sum))
		}
		if worst > 1e-3*peak {
			t.Errorf("cell %d (%s): currents sum to %.3g nA, peak %.3g nA", i, s.Class,
				worst, peak)
		}
		if v := s.SomaVmMV[s.PeakStep]; v < 0 || s.DtMs != 0.02 {
			t.Errorf("cell %d: somatic peak %.1f mV, dt %g ms", i, v, s.DtMs)
		}
	}
}

func FuzzRead(f *testing.F) {
	cfg := Config{N: 1, Seed: 2, Classes: []string{"rs-interneuron"}}
	lib, err := Build(context.Background(), cfg)
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	if err := lib.Write(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lib, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		for i := range lib.Len() {
			if err := checkSources(lib.Cell(i)); err != nil {
				t.Fatalf("Read accepted a malformed cell: %v", err)
			}
		}
	})
}

// BenchmarkRead measures decoding a cached library; multiply by N/8 for larger ones.
func BenchmarkRead(b *testing.B) {
	lib, err := Build(context.Background(), Config{N: 8, Seed: 5})
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := lib.Write(&buf); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
}
