package library

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// TestBuild1000 builds and caches the 1,000-cell library and checks the 10-minute target.
// It takes tens of seconds, so it runs only with SPIKESTREAM_BIG=1:
//
//	SPIKESTREAM_BIG=1 go test -run Build1000 -v ./sim/library/
func TestBuild1000(t *testing.T) {
	if os.Getenv("SPIKESTREAM_BIG") != "1" || testing.Short() {
		t.Skip("set SPIKESTREAM_BIG=1 to build the 1,000-cell library")
	}
	dir := t.TempDir()
	cfg := Config{N: 1000, Seed: 1}
	start, cpu0 := time.Now(), processCPU()
	lib, err := LoadOrBuild(context.Background(), dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	elapsed, cpu := time.Since(start), processCPU()-cpu0
	name, _ := CacheKey(cfg)
	st, err := os.Stat(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	sources, classes := 0, map[string]int{}
	for i := range lib.Len() {
		sources += lib.Cell(i).NumSegments()
		classes[lib.Cell(i).Class]++
	}
	t.Logf("1000 cells in %v wall, %v CPU on %d CPUs (build + save), %.1f MB on disk, "+
		"%.0f sources per cell, %v", elapsed.Round(time.Millisecond),
		cpu.Round(time.Millisecond), runtime.NumCPU(), float64(st.Size())/1e6,
		float64(sources)/1000, classes)
	start = time.Now()
	if _, err := Load(filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
	t.Logf("load from cache: %v", time.Since(start).Round(time.Millisecond))
	if elapsed > 10*time.Minute {
		t.Errorf("building 1000 cells took %v, target 10 minutes", elapsed)
	}
}
