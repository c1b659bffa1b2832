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
	Detector FitConfig // [DetectorFit when Steps is 0]
	Embedder FitConfig // [EmbedderFit when Steps is 0]
	// GridEndMs is the last grid time of all three models' inputs, ms after the trough
	// [DefaultGridEndMs]. It replaces the end of the Input grids in Detector and Embedder.
	GridEndMs float64
	Progress  io.Writer
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
	if c.Detector.Steps == 0 {
		c.Detector = DetectorFit
	}
	if c.Embedder.Steps == 0 {
		c.Embedder = EmbedderFit
	}
	if c.GridEndMs == 0 {
		c.GridEndMs = DefaultGridEndMs
	}
}

// inputs sets the detector's and embedder's input grids to end at c.GridEndMs and returns
// the PCA's.
func (c *Config) inputs() (pca models.InputSpec, err error) {
	det, emb := c.Detector.Input, c.Embedder.Input
	if det.Steps == 0 {
		det = DetectorSpec
	}
	if emb.Steps == 0 {
		emb = EmbedderSpec
	}
	if c.Detector.Input, err = WithGridEnd(det, c.GridEndMs); err != nil {
		return pca, fmt.Errorf("train: detector input: %w", err)
	}
	if c.Embedder.Input, err = WithGridEnd(emb, c.GridEndMs); err != nil {
		return pca, fmt.Errorf("train: embedder input: %w", err)
	}
	if pca, err = WithGridEnd(PCASpec, c.GridEndMs); err != nil {
		return pca, fmt.Errorf("train: pca input: %w", err)
	}
	return pca, nil
}

// Run simulates the training and validation data, fits the detector, the embedder and the
// PCA baseline, and writes their checkpoints to c.OutDir. Progress goes to c.Progress.
func Run(ctx context.Context, c Config) error {
	c.withDefaults()
	if c.Generate == nil && c.DataDir == "" {
		return errors.New("train: no simulator and no data folder")
	}
	pcaSpec, err := c.inputs()
	if err != nil {
		return err
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
	if err := c.fitPCA(pcaSpec, tr, va, info); err != nil {
		return err
	}
	fmt.Fprintf(c.Progress, "training done in %.0fs; checkpoints in %s\n",
		time.Since(start).Seconds(), c.OutDir)
	return nil
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
		Input: c.Detector.Input, Output: "sigmoid", Threshold: res.Threshold, Training: &info}
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
		Input: c.Embedder.Input, Output: "l2", Training: &info}
	return save(filepath.Join(c.OutDir, "embedder.ssm"), models.MLPCheckpoint(h, res.Net))
}

func (c *Config) fitPCA(spec models.InputSpec, tr, va [][]*Example,
	info models.TrainingInfo) error {
	mean, comps, explained, err := FitPCA(flattenSets(tr), spec, 8000, uint64(c.Seed))
	if err != nil {
		return err
	}
	h := models.Header{Name: "pca-v1", Input: spec, Training: &info}
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
