package train

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/sim"
)

// TrainNoiseUV are the noise levels of training recordings; evaluation uses EvalNoiseUV,
// which none of these equals.
var TrainNoiseUV = []float64{5, 7.5, 8.5, 12, 13.5, 17}

// TrainRatesHz are the sample rates of training and evaluation recordings.
var TrainRatesHz = []float64{20000, 25000, 30000}

// ProbeNames are the probes training draws from, in turn.
var ProbeNames = []string{"tetrode", "poly32", "np1-64"}

// TrainProbe returns a training probe by name: the built-ins, plus "np1-64", the first 64
// sites (640 um) of a Neuropixels 1.0 bank, which keeps simulation cheap while keeping the
// local geometry that snippets see.
func TrainProbe(name string) (*probe.Probe, error) {
	if name != "np1-64" {
		return probe.Builtin(name)
	}
	p := probe.Neuropixels1()
	p.Name, p.Contacts = "np1-64", p.Contacts[:64]
	return p, nil
}

// unitsFor returns the number of simulated cells for a probe.
func unitsFor(name string) int {
	switch name {
	case "tetrode":
		return 5
	case "poly32":
		return 10
	}
	return 14
}

// simConfig returns the i-th recording's simulation settings with the given seed: probes
// cycle through ProbeNames and rates through TrainRatesHz, shifted by one every cycle so
// that every probe meets every rate; odd recordings drift by 20-40 um, one in four also
// jumps once; the number of far background cells cycles through 1, 2.5 and 0.4 times the
// simulator's default every nine recordings, so that the same noise level comes with more
// or fewer small far spikes.
func simConfig(i int, seed int64, noiseUV, durS float64) (sim.Config, error) {
	name := ProbeNames[i%len(ProbeNames)]
	p, err := TrainProbe(name)
	if err != nil {
		return sim.Config{}, err
	}
	c := sim.Config{Probe: p, Units: unitsFor(name), DurationS: durS,
		SampleRateHz: TrainRatesHz[(i+i/len(ProbeNames))%len(TrainRatesHz)], NoiseUV: noiseUV,
		Seed: seed}
	if i%2 == 1 {
		c.DriftUm = 20 + float64(i%3)*10
	}
	if i%4 == 3 {
		c.DriftJumps = 1
	}
	_, _, minY, maxY := p.Extent()
	def := max(20, int((maxY-minY)/15))
	c.BackgroundCells = []int{def, def * 5 / 2, max(1, def*2/5)}[(i/9)%3]
	return c, nil
}

// SimVariation describes simConfig's variation for checkpoint provenance.
const SimVariation = "probes cycle tetrode/poly32/np1-64; rates 20/25/30 kHz; odd recordings " +
	"drift 20-40 um, every 4th jumps once; background cells x1, x2.5, x0.4 of the sim " +
	"default in blocks of 9"

// Collect simulates n recordings (seeds seed0+i, noise levels cycling through noises) and
// extracts their labelled candidates. Unit ids are made unique across the result.
func Collect(ctx context.Context, c Config, n int, seed0 int64, noises []float64,
	unitBase int) ([]*RecordingSet, error) {
	var sets []*RecordingSet
	for i := 0; i < n; i++ {
		start := time.Now()
		sc, err := simConfig(i, seed0+int64(i), noises[i%len(noises)], c.DurationS)
		if err != nil {
			return nil, err
		}
		rec, err := c.Generate(ctx, sc)
		if err != nil {
			return nil, fmt.Errorf("simulate recording %d: %w", i, err)
		}
		rs, err := Extract(rec, ExtractConfig{MaxExamples: c.MaxExamples,
			SampleSeed: uint64(seed0) + uint64(i)}, unitBase)
		if errors.Is(err, ErrNoData) {
			fmt.Fprintf(c.Progress, "recording %d: no candidates, skipped\n", i)
			continue
		} else if err != nil {
			return nil, fmt.Errorf("recording %d: %w", i, err)
		}
		rs.Name = fmt.Sprintf("%s@%.0fHz noise %.1fuV drift %.0fum seed %d", sc.Probe.Name,
			sc.SampleRateHz, sc.NoiseUV, sc.DriftUm, sc.Seed)
		unitBase += len(rec.Units)
		sets = append(sets, rs)
		fmt.Fprintf(c.Progress, "recording %d/%d %s: %d candidates, %.0f%% positive, "+
			"lag %.2f ms (%.1fs)\n", i+1, n, rs.Name, len(rs.Examples), 100*posFrac(rs),
			rs.LagMs, time.Since(start).Seconds())
	}
	if len(sets) == 0 {
		return nil, fmt.Errorf("collect: %w", ErrNoData)
	}
	return sets, nil
}

func posFrac(rs *RecordingSet) float64 {
	n := 0
	for _, ex := range rs.Examples {
		n += int(b2f(ex.Positive))
	}
	return float64(n) / float64(max(1, len(rs.Examples)))
}

// pointers returns each set's examples as pointers.
func pointers(sets []*RecordingSet) [][]*Example {
	out := make([][]*Example, len(sets))
	for i, rs := range sets {
		for j := range rs.Examples {
			out[i] = append(out[i], &rs.Examples[j])
		}
	}
	return out
}

// data simulates or reads the training and validation recordings.
func (c *Config) data(ctx context.Context) (trainSets, valSets []*RecordingSet, err error) {
	if c.DataDir != "" {
		return c.readData()
	}
	if trainSets, err = Collect(ctx, *c, c.Recordings, c.Seed, TrainNoiseUV, 0); err != nil {
		return nil, nil, fmt.Errorf("train data: %w", err)
	}
	valSets, err = Collect(ctx, *c, c.ValRecordings, c.Seed+1000, TrainNoiseUV, 1<<20)
	if err != nil {
		return nil, nil, fmt.Errorf("validation data: %w", err)
	}
	return trainSets, valSets, nil
}

// readData extracts every recording folder under c.DataDir and splits off validation.
func (c *Config) readData() (trainSets, valSets []*RecordingSet, err error) {
	ents, err := os.ReadDir(c.DataDir)
	if err != nil {
		return nil, nil, fmt.Errorf("train data: %w", err)
	}
	var sets []*RecordingSet
	unitBase := 0
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		rs, n, err := c.readOne(filepath.Join(c.DataDir, e.Name()), unitBase)
		if err != nil {
			return nil, nil, err
		}
		sets, unitBase = append(sets, rs), unitBase+n
	}
	if len(sets) <= c.ValRecordings {
		return nil, nil, fmt.Errorf("train data: %w: %d recordings in %s", ErrNoData,
			len(sets), c.DataDir)
	}
	k := len(sets) - c.ValRecordings
	return sets[:k], sets[k:], nil
}

// readOne reads and extracts one recording folder; it returns the recording's unit count.
func (c *Config) readOne(dir string, unitBase int) (*RecordingSet, int, error) {
	rec, err := sim.ReadDir(dir)
	if err != nil {
		return nil, 0, fmt.Errorf("train data: %w", err)
	}
	rs, err := Extract(rec, ExtractConfig{MaxExamples: c.MaxExamples,
		SampleSeed: uint64(c.Seed) + uint64(unitBase)}, unitBase)
	if err != nil {
		return nil, 0, fmt.Errorf("train data %s: %w", dir, err)
	}
	rs.Name = filepath.Base(dir)
	fmt.Fprintf(c.Progress, "%s: %d candidates, %.0f%% positive\n", dir, len(rs.Examples),
		100*posFrac(rs))
	return rs, len(rec.Units), nil
}
