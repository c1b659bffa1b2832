package library

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
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
