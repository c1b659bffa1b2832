package train

import (
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/spikestream/spikestream/models"
)

// DetectorSpec is the detector's input: 6 channels, 0.1 ms steps from -0.6 to +1.0 ms,
// scaled by each channel's noise. Config.GridEndMs moves the grid's end (WithGridEnd).
var DetectorSpec = models.InputSpec{Channels: 6, T0Ms: -0.6, DtMs: 0.1, Steps: 17,
	Scale: models.ScaleNoise, ValueScale: 10, OffsetUm: 50}

// FitConfig sets one gorgonia training run.
type FitConfig struct {
	Hidden    []int   // hidden layer widths
	Steps     int     // optimiser steps
	Batch     int     // examples per step
	LearnRate float64 // Adam step size
	Seed      uint64
	Epochs    int // progress reports (validation passes) over the run
	Augment   Augment
	// Input is the model's input [DetectorSpec or EmbedderSpec when Steps is 0].
	Input models.InputSpec
	// Temperature scales cosine similarities in the embedder's contrastive loss [0.1].
	Temperature float64
}

// DetectorFit is the default detector training setting.
var DetectorFit = FitConfig{Hidden: []int{32, 16}, Steps: 6000, Batch: 256, LearnRate: 2e-3,
	Seed: 1, Epochs: 8, Augment: Augment{JitterSamples: 0.5, AmpLo: 0.9, AmpHi: 1.1,
		NoiseFrac: 0.3, DropP: 0.1}}

// DetectorResult is a trained detector and its validation figures.
type DetectorResult struct {
	Net       *models.MLP
	Threshold float64            // score with the best validation F1
	Metrics   map[string]float64 // val_auc, val_precision, val_recall, val_f1, final loss
}

// TrainDetector fits the candidate scorer on train and reports validation figures on val
// to progress after each epoch. It runs on the calling goroutine.
func TrainDetector(cfg FitConfig, train, val []*Example,
	progress io.Writer) (*DetectorResult, error) {
	if len(train) < cfg.Batch || len(val) == 0 {
		return nil, fmt.Errorf("train detector: %w: %d train, %d val", ErrNoData, len(train),
			len(val))
	}
	if cfg.Input.Steps == 0 {
		cfg.Input = DetectorSpec
	}
	spec := cfg.Input
	mean, invStd := inputStats(spec, train, 4000, cfg.Seed)
	g := G.NewGraph()
	sizes := append(append([]int{spec.Size()}, cfg.Hidden...), 1)
	net := newGNet(g, sizes, cfg.Seed)
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(cfg.Batch, spec.Size()), G.WithName("x"))
	y := G.NewMatrix(g, tensor.Float32, G.WithShape(cfg.Batch, 1), G.WithName("y"))
	loss, err := bceLoss(net, x, y)
	if err != nil {
		return nil, fmt.Errorf("train detector: build graph: %w", err)
	}
	tr, err := newTrainer(g, net, loss, cfg)
	if err != nil {
		return nil, fmt.Errorf("train detector: %w", err)
	}
	defer tr.close()
	return runDetectorFit(cfg, tr, train, val, x, y, mean, invStd, progress)
}

// runDetectorFit is the optimisation loop of TrainDetector.
func runDetectorFit(cfg FitConfig, tr *trainer, train, val []*Example, x, y *G.Node,
	mean, invStd []float32, progress io.Writer) (*DetectorResult, error) {
	spec, n := cfg.Input, cfg.Input.Size()
	aug := newAugmenter(cfg.Augment, cfg.Seed+1, nil)
	xb, yb := make([]float32, cfg.Batch*n), make([]float32, cfg.Batch)
	r := rand.New(rand.NewPCG(cfg.Seed, 3))
	res := &DetectorResult{}
	start := time.Now()
	for step := 1; step <= cfg.Steps; step++ {
		for i := 0; i < cfg.Batch; i++ {
			ex := train[r.IntN(len(train))]
			aug.fill(spec, ex, xb[i*n:(i+1)*n])
			standardise(xb[i*n:(i+1)*n], mean, invStd)
			yb[i] = b2f(ex.Positive)
		}
		l, err := tr.step(map[*G.Node][]float32{x: xb, y: yb})
		if err != nil {
			return nil, fmt.Errorf("train detector: step %d: %w", step, err)
		}
		if step%max(1, cfg.Steps/cfg.Epochs) != 0 && step != cfg.Steps {
			continue
		}
		res.Net = tr.net.export(mean, invStd)
		res.Threshold, res.Metrics = validateDetector(res.Net, spec, val)
		res.Metrics["loss"] = l
		fmt.Fprintf(progress, "detector step %5d/%d loss %.4f val auc %.4f p %.3f r %.3f"+
			" f1 %.3f @%.2f (%.0fs)\n", step, cfg.Steps, l, res.Metrics["val_auc"],
			res.Metrics["val_precision"], res.Metrics["val_recall"], res.Metrics["val_f1"],
			res.Threshold, time.Since(start).Seconds())
	}
	return res, nil
}

// bceLoss adds the mean logistic loss of logits net(x) against labels y, in the stable
// form max(z,0) - z y + log(1 + exp(-|z|)). G.Must here and in infoNCE can only fire on a
// shape mismatch, which the fixed shapes built in this package rule out.
func bceLoss(net *gnet, x, y *G.Node) (*G.Node, error) {
	z, err := net.apply(x)
	if err != nil {
		return nil, err
	}
	relu := G.Must(G.Rectify(z))
	zy := G.Must(G.HadamardProd(z, y))
	soft := G.Must(G.Log1p(G.Must(G.Exp(G.Must(G.Neg(G.Must(G.Abs(z))))))))
	return G.Mean(G.Must(G.Add(G.Must(G.Sub(relu, zy)), soft)))
}

// validateDetector scores val with the exported network, whose input is spec, and returns
// the threshold of best F1 with AUC, precision, recall and F1 there.
func validateDetector(net *models.MLP, spec models.InputSpec,
	val []*Example) (float64, map[string]float64) {
	in := make([]float32, spec.Size())
	sc := models.NewScratch(net)
	scores := make([]scored, len(val))
	for i, ex := range val {
		spec.Fill(&ex.Snip, 0, in)
		scores[i] = scored{float64(sigmoid(net.Forward(in, &sc)[0])), ex.Positive}
	}
	return bestF1(scores)
}

type scored struct {
	score float64
	pos   bool
}

// bestF1 sorts s by descending score and returns the F1-optimal cut with AUC, precision,
// recall and F1 at that cut.
func bestF1(s []scored) (float64, map[string]float64) {
	sort.Slice(s, func(i, j int) bool { return s[i].score > s[j].score })
	nPos := 0
	for _, v := range s {
		nPos += int(b2f(v.pos))
	}
	m := map[string]float64{"val_auc": auc(s, nPos)}
	tp, best, cut := 0, -1.0, 0.5
	for i, v := range s {
		tp += int(b2f(v.pos))
		p, r := float64(tp)/float64(i+1), float64(tp)/float64(max(nPos, 1))
		if f := 2 * p * r / max(p+r, 1e-12); f > best && (i+1 == len(s) || s[i+1].score < v.score) {
			best, cut = f, v.score
			m["val_precision"], m["val_recall"], m["val_f1"] = p, r, f
		}
	}
	return cut, m
}

// auc returns the area under the ROC curve of scores sorted by descending score.
func auc(s []scored, nPos int) float64 {
	nNeg := len(s) - nPos
	if nPos == 0 || nNeg == 0 {
		return 0
	}
	var area, tp float64
	for _, v := range s {
		if v.pos {
			tp++
		} else {
			area += tp
		}
	}
	return area / float64(nPos) / float64(nNeg)
}
