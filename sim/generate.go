package sim

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/spikestream/spikestream/sim/library"
	"github.com/spikestream/spikestream/sim/neuron"
)

// Coincidences: pairs of units whose peak channels are within coincideUm share
// coincideShare of the first unit's spikes within ±coincideLagMs, so that sorters meet
// overlapping spikes of neighbours more often than chance.
const (
	coincideUm    = 60
	coincideShare = 0.03
	coincideLagMs = 0.8
	// LibrarySeed is the seed of the default template library, fixed so that every
	// recording draws from the same cached library whatever its own seed.
	LibrarySeed = 20250101
)

// Generate synthesises one recording. It checks cfg completely before any work (errors
// wrap ErrBadConfig), loads or builds the cell library (cached on disk under
// cfg.LibraryDir and in memory for the life of the process), and renders the recording on
// all CPUs. The result depends only on cfg: the same Config gives the same samples. It
// returns ctx's error if ctx ends first. The Recording is new and owned by the caller.
func Generate(ctx context.Context, cfg Config) (*Recording, error) {
	return GenerateInto(ctx, cfg, nil)
}

// GenerateInto is Generate writing the samples into buf when its capacity is large
// enough (the Recording's Samples then alias buf), and into a new slice otherwise. Reusing
// one buffer across many recordings saves the page faults of a fresh allocation, which
// cost more than the synthesis itself for long, wide recordings.
func GenerateInto(ctx context.Context, cfg Config, buf []int16) (*Recording, error) {
	cfg = withDefaults(cfg)
	if err := validate(cfg); err != nil {
		return nil, err
	}
	lib, err := loadLibrary(ctx, cfg.LibraryDir, cfg.LibrarySize, cfg.LibrarySeed)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	return generate(ctx, cfg, lib, buf)
}

// libraryCache keeps loaded libraries for the life of the process, keyed by directory and
// size; libraries are immutable, so sharing them is safe.
var libraryCache struct {
	sync.Mutex
	m map[string][]*neuron.Sources
}

// loadLibrary returns the cells of the library of the given size, from memory, the disk
// cache or a fresh build.
func loadLibrary(ctx context.Context, dir string, size int, seed int64) ([]*neuron.Sources,
	error) {
	key := fmt.Sprintf("%s|%d|%d", dir, size, seed)
	libraryCache.Lock()
	defer libraryCache.Unlock()
	if cells, ok := libraryCache.m[key]; ok {
		return cells, nil
	}
	lib, err := library.LoadOrBuild(ctx, dir, library.Config{N: size, Seed: seed})
	if err != nil {
		return nil, fmt.Errorf("cell library: %w", err)
	}
	cells := make([]*neuron.Sources, lib.Len())
	for i := range cells {
		cells[i] = lib.Cell(i)
	}
	if libraryCache.m == nil {
		libraryCache.m = map[string][]*neuron.Sources{}
	}
	libraryCache.m[key] = cells
	return cells, nil
}

// generate renders a recording of a validated, defaulted cfg from the given cells.
func generate(ctx context.Context, cfg Config, lib []*neuron.Sources,
	buf []int16) (*Recording, error) {
	pl, err := plan(ctx, cfg, lib)
	if err != nil {
		return nil, err
	}
	samples, clipped, err := pl.s.synthesize(ctx, pl.units, pl.events, pl.noise, buf)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	return pl.s.recording(pl.units, pl.truth, samples, clipped), nil
}

// planned is everything a recording's samples are rendered from: its units, their spike
// events, the truth and the noise block.
type planned struct {
	s      *simState
	units  []unitModel
	events []event
	truth  []TruthSpike
	noise  *noiseBlock
}

// plan builds the units, spike trains and noise of a validated, defaulted cfg from the
// given cells, short of rendering the samples.
func plan(ctx context.Context, cfg Config, lib []*neuron.Sources) (*planned, error) {
	if len(lib) == 0 {
		return nil, fmt.Errorf("generate: %w: empty cell library", ErrBadConfig)
	}
	if err := checkClassMix(cfg.ClassMix, lib); err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	s := &simState{cfg: cfg, lib: lib, contacts: contacts3D(cfg.Probe),
		nSamples: int(math.Round(cfg.DurationS * cfg.SampleRateHz))}
	s.pre, s.ts = templateGeometry(cfg.SampleRateHz)
	s.drift = driftTrace(newRand(cfg.Seed, tagDrift, 0), cfg.DurationS, cfg.DriftUm,
		cfg.DriftJumps, cfg.DriftJumpUm)
	units, err := s.buildUnits(ctx)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	trains := s.trains(units)
	noise, err := s.buildNoise(ctx)
	if err != nil {
		return nil, fmt.Errorf("generate: %w", err)
	}
	evs, truth := s.makeEvents(units, trains)
	return &planned{s: s, units: units, events: evs, truth: truth, noise: noise}, nil
}

// checkClassMix reports an error when a class mix gives no weight to any library class.
func checkClassMix(mix map[string]float64, lib []*neuron.Sources) error {
	if mix == nil {
		return nil
	}
	for _, c := range lib {
		if mix[c.Class] > 0 {
			return nil
		}
	}
	have := map[string]bool{}
	var names []string
	for _, c := range lib {
		if !have[c.Class] {
			have[c.Class] = true
			names = append(names, c.Class)
		}
	}
	return fmt.Errorf("%w: class mix weighs none of the library classes %v", ErrBadConfig,
		names)
}

// trains draws every unit's spike train and then the forced coincidences between
// neighbouring units.
func (s *simState) trains(units []unitModel) [][]spike {
	trains := make([][]spike, len(units))
	for u := range units {
		r := newRand(s.cfg.Seed, tagTrain|1<<8, uint64(u))
		trains[u] = units[u].fire.train(r, s.cfg.DurationS)
		modulate(newRand(s.cfg.Seed, tagTrain|2<<8, uint64(u)), trains[u])
	}
	r := newRand(s.cfg.Seed, tagCoincide, 0)
	for a := range units {
		for b := a + 1; b < len(units); b++ {
			pa, pb := units[a].info.PeakChannel, units[b].info.PeakChannel
			if s.cfg.Probe.DistanceUm(pa, pb) > coincideUm {
				continue
			}
			addCoincident(r, trains[a], &trains[b], coincideShare, coincideLagMs,
				units[b].fire.refractoryMs, s.cfg.DurationS)
		}
	}
	return trains
}

// Slow amplitude modulation of every unit (cell health, micro-movements not captured by
// drift): a sinusoid of depth up to maxModDepth and period modMinS-modMaxS.
const (
	maxModDepth = 0.12
	modMinS     = 60
	modMaxS     = 600
)

// modulate scales the amplitudes of a train by the unit's slow modulation.
func modulate(r *rand.Rand, train []spike) {
	depth := maxModDepth * r.Float64()
	periodS := modMinS * math.Pow(modMaxS/modMinS, r.Float64())
	phase := 2 * math.Pi * r.Float64()
	for i := range train {
		train[i].amp *= float32(1 + depth*math.Sin(2*math.Pi*train[i].tS/periodS+phase))
	}
}

// recording assembles the result.
func (s *simState) recording(units []unitModel, truth []TruthSpike, samples []int16,
	clipped int64) *Recording {
	chans := s.cfg.Probe.NumChannels()
	rec := &Recording{Config: s.cfg, Probe: s.cfg.Probe, SampleRateHz: s.cfg.SampleRateHz,
		UVPerBit: s.cfg.UVPerBit, Samples: samples, NumSamples: s.nSamples, Truth: truth,
		Units: make([]UnitInfo, len(units)), TemplateSamples: s.ts, TemplatePre: s.pre,
		Templates:      make([]float32, len(units)*s.ts*chans),
		ClippedSamples: clipped, DriftTraceUm: s.drift}
	if s.drift != nil {
		rec.DriftStepS = driftStepS
	}
	for _, t := range truth {
		units[t.Unit].info.NumSpikes++
	}
	for u, m := range units {
		rec.Units[u] = m.info
		rec.Units[u].RateHz = float64(m.info.NumSpikes) / s.cfg.DurationS
		dense := rec.Templates[u*s.ts*chans : (u+1)*s.ts*chans]
		nc := len(m.ref.channels)
		for k := range s.ts {
			for i, c := range m.ref.channels {
				dense[k*chans+int(c)] = m.ref.data[k*nc+i]
			}
		}
	}
	return rec
}
