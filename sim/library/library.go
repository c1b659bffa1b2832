// Package library builds, caches and serves a template library: many randomised
// multicompartment cells, each simulated once (one action potential), kept as
// probe-independent current sources. Recording synthesis projects a library cell onto any
// probe, at any position and rotation, with neuron.Sources.Potential.
package library

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"runtime"
	"slices"
	"sync"

	"github.com/spikestream/spikestream/sim/neuron"
)

// Version is the version of the library contents and file format; a cache file of another
// version is rebuilt. 2: stimulus artefact removed from the sources;
// 3: segment diameters stored.
const Version = 3

// ErrBadConfig is returned, wrapped with detail, for a Config that cannot be built.
var ErrBadConfig = errors.New("bad library config")

// Config determines a library completely: the same Config always gives the same cells.
// Zero fields take the defaults in brackets.
type Config struct {
	N       int      // number of cells (> 0)
	Seed    int64    // master seed; cell i uses a seed derived from Seed and i
	Classes []string // classes to draw from uniformly [neuron.Classes()]
	DtMs    float64  // time step of the stored currents [0.02, enough for 50 kHz]
	// MergeUm merges unbranched runs of segments into sources of up to this length to
	// keep files small and projection fast [40]; negative keeps every segment.
	MergeUm float64
	PreMs   float64 // window before the somatic peak [2]
	PostMs  float64 // window after the somatic peak [4]
}

func (c Config) withDefaults() (Config, error) {
	if c.N <= 0 {
		return c, fmt.Errorf("%w: N = %d", ErrBadConfig, c.N)
	}
	if len(c.Classes) == 0 {
		c.Classes = neuron.Classes()
	}
	for _, cl := range c.Classes {
		if !slices.Contains(neuron.Classes(), cl) {
			return c, fmt.Errorf("%w: %w: %q", ErrBadConfig, neuron.ErrUnknownClass, cl)
		}
	}
	c.Classes = slices.Clone(c.Classes)
	if c.DtMs == 0 {
		c.DtMs = 0.02
	}
	if c.MergeUm == 0 {
		c.MergeUm = 40
	}
	if c.PreMs == 0 {
		c.PreMs = 2
	}
	if c.PostMs == 0 {
		c.PostMs = 4
	}
	return c, nil
}

// Library is a set of simulated cells. It is immutable and safe for concurrent use.
type Library struct {
	cfg   Config
	cells []*neuron.Sources
}

// Len returns the number of cells.
func (l *Library) Len() int { return len(l.cells) }

// Cell returns cell i; like a slice index it panics unless 0 <= i < Len(). The Sources is
// shared and must not be modified.
func (l *Library) Cell(i int) *neuron.Sources { return l.cells[i] }

// Config returns the configuration the library was built with, defaults filled in.
func (l *Library) Config() Config { return l.cfg }

// Build simulates cfg.N cells on runtime.NumCPU() goroutines. It returns when all cells
// are done, at the first error, or when ctx is cancelled (with ctx's error); every
// goroutine it starts has ended by the time it returns.
func Build(ctx context.Context, cfg Config) (*Library, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("build library: %w", err)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	lib := &Library{cfg: cfg, cells: make([]*neuron.Sources, cfg.N)}
	next := make(chan int) // owned and closed by the feeder below
	var wg sync.WaitGroup
	for range min(runtime.NumCPU(), cfg.N) {
		wg.Go(func() {
			for i := range next {
				s, err := simulateCell(cfg, i)
				if err != nil {
					cancel(err)
					return
				}
				lib.cells[i] = s
			}
		})
	}
	feed(ctx, next, cfg.N)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, fmt.Errorf("build library: %w", err)
	}
	return lib, nil
}

// feed sends 0..n-1 on next until done or ctx ends, then closes next.
func feed(ctx context.Context, next chan<- int, n int) {
	defer close(next)
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			return
		}
	}
}

// simulateCell draws and simulates cell i. A drawn cell that cannot fire is replaced by
// the next draw from the same generator, so the result depends only on cfg and i.
func simulateCell(cfg Config, i int) (*neuron.Sources, error) {
	rng := rand.New(rand.NewSource(cellSeed(cfg.Seed, i)))
	opt := neuron.SimOptions{OutDtMs: cfg.DtMs, PreMs: cfg.PreMs, PostMs: cfg.PostMs}
	var lastErr error
	for range 5 {
		class := cfg.Classes[rng.Intn(len(cfg.Classes))]
		c, err := neuron.RandomCell(class, rng)
		if err != nil {
			return nil, fmt.Errorf("cell %d: %w", i, err)
		}
		s, err := c.Simulate(opt)
		if errors.Is(err, neuron.ErrNoSpike) {
			lastErr = err
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("cell %d: %w", i, err)
		}
		if cfg.MergeUm > 0 {
			s = s.Merged(cfg.MergeUm)
		}
		// Round through the stored form so a built library equals its cached copy.
		return fromDisk(toDisk(s))
	}
	return nil, fmt.Errorf("cell %d: %w", i, lastErr)
}

// cellSeed mixes the master seed with the cell index (splitmix64 finaliser) so that
// neighbouring cells get unrelated generators.
func cellSeed(seed int64, i int) int64 {
	z := uint64(seed) + uint64(i+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return int64(z ^ (z >> 31))
}
