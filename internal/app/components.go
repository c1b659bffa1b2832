package app

import (
	"fmt"
	"math"

	"github.com/spikestream/spikestream/models"
	"github.com/spikestream/spikestream/pipeline"
	"github.com/spikestream/spikestream/pipeline/assign"
	"github.com/spikestream/spikestream/probe"
)

// Method selects the components of a sorter.
type Method string

// Methods.
const (
	// Learned uses the shipped (or --model) detector and embedder and the online assigner.
	Learned Method = "learned"
	// Baseline uses amplitude thresholding, PCA features and nearest-centroid assignment:
	// the classical path that benchmarks compare against.
	Baseline Method = "baseline"
)

// ParseMethod checks a method name.
func ParseMethod(s string) (Method, error) {
	switch Method(s) {
	case Learned, Baseline:
		return Method(s), nil
	}
	return "", fmt.Errorf("unknown method %q (learned, baseline)", s)
}

// baselineRadiusPerDim scales the nearest-centroid radius with the PCA dimension.
const baselineRadiusPerDim = 3

// baselineRadiusUm restricts the nearest-centroid baseline to the units near a spike's
// estimated position, as classical sorters work per channel group; on a tetrode every unit
// is within it.
const baselineRadiusUm = 50

// learnedThresholdSD is the candidate threshold under the learned scorer: lower than the
// baseline's 5 SD so that recall rises, with the scorer restoring precision.
const learnedThresholdSD = 4

// Components are the pluggable parts of a sorter.
type Components struct {
	Method         Method
	Scorer         pipeline.Scorer // nil for the baseline
	Embedder       pipeline.Embedder
	Assigner       pipeline.Assigner
	ThresholdSD    float64 // candidate threshold that goes with Scorer
	ScoreThreshold float32 // score cut that goes with Scorer (0: the pipeline default)
}

// BuildComponents returns the components of method for a probe. modelPath, if set, names
// a checkpoint that replaces the shipped model of its kind. Unit lifecycle events go to
// sink. With deterministic set, the online assigner runs its passes inside the assignment
// stage at fixed stream times (assign.Config.Synchronous): the same recording then gives
// the same labels every time, at the cost of stalling the stage for each pass.
func BuildComponents(method Method, modelPath string, p *probe.Probe, rateHz float64,
	deterministic bool, sink pipeline.UnitSink) (*Components, error) {
	c := &Components{Method: method}
	var err error
	switch method {
	case Learned:
		err = c.learned(modelPath)
	case Baseline:
		err = c.baseline()
	default:
		err = fmt.Errorf("unknown method %q", method)
	}
	if err != nil {
		return nil, err
	}
	if method == Baseline {
		// PCA scores are in noise units; same-unit spikes scatter by about 2.5 sqrt(dim)
		// around their centroid (measured on sim), and the radius admits most of that.
		radius := baselineRadiusPerDim * math.Sqrt(float64(c.Embedder.Dim()))
		c.Assigner = assign.NewNearestCentroid(assign.BaselineConfig{RadiusEmb: radius,
			RadiusUm: baselineRadiusUm}, sink)
		return c, nil
	}
	c.Assigner, err = assign.New(assign.Config{SampleRateHz: rateHz,
		Synchronous: deterministic}, p, sink)
	if err != nil {
		return nil, fmt.Errorf("online assigner: %w", err)
	}
	return c, nil
}

func (c *Components) baseline() error {
	pca, err := models.DefaultPCA()
	if err != nil {
		return fmt.Errorf("shipped PCA basis: %w", err)
	}
	c.Embedder, c.ThresholdSD = pca, 5
	return nil
}

func (c *Components) learned(modelPath string) error {
	det, err := models.DefaultDetector()
	if err != nil {
		return fmt.Errorf("shipped detector: %w", err)
	}
	emb, err := models.DefaultEmbedder()
	if err != nil {
		return fmt.Errorf("shipped embedder: %w", err)
	}
	if modelPath != "" {
		m, err := models.Load(modelPath)
		if err != nil {
			return err
		}
		switch m := m.(type) {
		case *models.Detector:
			det = m
		case *models.Embedder:
			emb = m
		default:
			return fmt.Errorf("model %s is a %T; want a detector or an embedder", modelPath, m)
		}
	}
	c.Scorer, c.Embedder, c.ThresholdSD = det, emb, learnedThresholdSD
	if tr := det.Header().Training; tr != nil && tr.CandidateSD > 0 {
		c.ThresholdSD = tr.CandidateSD // the threshold its training candidates were cut at
	}
	c.ScoreThreshold = det.Threshold()
	return nil
}
