package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spikestream/spikestream/models"
	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/sim"
)

// GenerateFunc makes one simulated recording; sim.Generate in production, a small
// hand-made generator in tests.
type GenerateFunc func(ctx context.Context, cfg sim.Config) (*sim.Recording, error)

// Config sets a full training run: data generation, the three fits and the output.
type Config struct {
	Generate      GenerateFunc
	Seed          int64   // base seed: training recordings use Seed+i, validation Seed+1000+i
	Recordings    int     // training recordings [36]
	ValRecordings int     // validation recordings [3]
	DurationS     float64 // seconds per recording [20]
	MaxExamples   int     // candidates kept per recording [4000]
	OutDir        string  // where detector.ssm, embedder.ssm and pca.ssm go
	// DataDir, when set, replaces simulation in process: its sub-folders (as written by
	// `spikestream sim --count`, read with sim.ReadDir) are the recordings, the last
	// ValRecordings of them in name order for validation.
	DataDir  string
	Detector FitConfig
	Embedder FitConfig
	Progress io.Writer
}

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

func (c *Config) withDefaults() {
	if c.Recordings == 0 {
		c.Recordings = 36
	}
	if c.ValRecordings == 0 {
		c.ValRecordings = 3
	}
	if c.DurationS == 0 {
		c.DurationS = 20
	}
	if c.MaxExamples == 0 {
		c.MaxExamples = 4000
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
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

// Run simulates the training and validation data, fits the detector, the embedder and the
// PCA baseline, and writes their checkpoints to c.OutDir. Progress goes to c.Progress.
func Run(ctx context.Context, c Config) error {
	c.withDefaults()
	if c.Generate == nil && c.DataDir == "" {
		return errors.New("train: no simulator and no data folder")
	}
	start := time.Now()
	trainSets, valSets, err := c.data(ctx)
	if err != nil {
		return err
	}
	tr, va := pointers(trainSets), pointers(valSets)
	info := c.trainingInfo(trainSets)
	if err := c.fitDetector(tr, va, info); err != nil {
		return err
	}
	if err := c.fitEmbedder(tr, va, info); err != nil {
		return err
	}
	if err := c.fitPCA(tr, va, info); err != nil {
		return err
	}
	fmt.Fprintf(c.Progress, "training done in %.0fs; checkpoints in %s\n",
		time.Since(start).Seconds(), c.OutDir)
	return nil
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

// trainingInfo records the data side of the provenance.
func (c *Config) trainingInfo(sets []*RecordingSet) models.TrainingInfo {
	n := 0
	for _, s := range sets {
		n += len(s.Examples)
	}
	x := ExtractConfig{}.withDefaults()
	info := models.TrainingInfo{Source: "sim", Seed: c.Seed, Probes: ProbeNames,
		RatesHz: TrainRatesHz, NoiseUV: TrainNoiseUV, DriftUm: []float64{0, 20, 30, 40},
		Recordings: len(sets), DurationS: c.DurationS, Examples: n,
		CandidateSD: x.ThresholdSD, MatchMs: x.MatchMs, MatchUm: x.MatchUm,
		SimVariation: SimVariation}
	if c.DataDir != "" {
		info.Source = "sim dataset " + c.DataDir
		info.Probes, info.RatesHz, info.NoiseUV, info.DriftUm, info.DurationS = nil, nil,
			nil, nil, 0
		info.SimVariation = ""
	}
	return info
}

func (c *Config) fitDetector(tr, va [][]*Example, info models.TrainingInfo) error {
	start := time.Now()
	res, err := TrainDetector(c.Detector, flattenSets(tr), flattenSets(va), c.Progress)
	if err != nil {
		return err
	}
	info = c.fitInfo(info, c.Detector, "logistic (binary cross-entropy)", start, res.Metrics)
	h := models.Header{Kind: models.KindDetector, Name: "detector-mlp-v1",
		Input: DetectorSpec, Output: "sigmoid", Threshold: res.Threshold, Training: &info}
	return save(filepath.Join(c.OutDir, "detector.ssm"), models.MLPCheckpoint(h, res.Net))
}

func (c *Config) fitEmbedder(tr, va [][]*Example, info models.TrainingInfo) error {
	start := time.Now()
	res, err := TrainEmbedder(c.Embedder, tr, va, c.Progress)
	if err != nil {
		return err
	}
	info = c.fitInfo(info, c.Embedder, "symmetric InfoNCE, temperature 0.1", start, res.Metrics)
	h := models.Header{Kind: models.KindEmbedder, Name: "embedder-mlp-v1",
		Input: EmbedderSpec, Output: "l2", Training: &info}
	return save(filepath.Join(c.OutDir, "embedder.ssm"), models.MLPCheckpoint(h, res.Net))
}

func (c *Config) fitPCA(tr, va [][]*Example, info models.TrainingInfo) error {
	mean, comps, explained, err := FitPCA(flattenSets(tr), 8000, uint64(c.Seed))
	if err != nil {
		return err
	}
	h := models.Header{Name: "pca-v1", Input: PCASpec, Training: &info}
	ck := models.PCACheckpoint(h, mean, comps)
	p, err := models.NewPCA(ck)
	if err != nil {
		return fmt.Errorf("fit pca: %w", err)
	}
	purity := meanPurity(embedWith(pcaEmbed(p), PCADim, va))
	info.Metrics = map[string]float64{"explained_variance": explained, "val_nn_purity": purity}
	info.Created = time.Now().UTC().Format(time.RFC3339)
	fmt.Fprintf(c.Progress, "pca: %d components explain %.1f%% of variance, val nn-purity %.4f\n",
		PCADim, 100*explained, purity)
	return save(filepath.Join(c.OutDir, "pca.ssm"), ck)
}

// pcaEmbed embeds an example with a PCA through its public Embed.
func pcaEmbed(p *models.PCA) embedFunc {
	return func(ex *Example, dst []float32) { p.Embed(&ex.Snip, dst) }
}

func (c *Config) fitInfo(info models.TrainingInfo, f FitConfig, loss string, start time.Time,
	m map[string]float64) models.TrainingInfo {
	info.Steps, info.BatchSize, info.LearnRate, info.Loss = f.Steps, f.Batch, f.LearnRate, loss
	info.Augment = fmt.Sprintf("%+v", f.Augment)
	info.WallS = time.Since(start).Seconds()
	info.Created = time.Now().UTC().Format(time.RFC3339)
	info.Metrics = m
	return info
}

func flattenSets(sets [][]*Example) []*Example {
	var out []*Example
	for _, s := range sets {
		out = append(out, s...)
	}
	return out
}

// save writes a checkpoint file atomically (temporary file, then rename).
func save(path string, c *models.Checkpoint) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".ckpt-*")
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := models.Encode(tmp, c); err != nil {
		tmp.Close()
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	return nil
}
