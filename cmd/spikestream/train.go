package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/spikestream/spikestream/internal/app"
	"github.com/spikestream/spikestream/models"
	"github.com/spikestream/spikestream/models/train"
	"github.com/spikestream/spikestream/sim"
)

func init() {
	register("train", "train the detector, embedder and PCA baseline on simulation "+
		"(--evaluate: score them on held-out simulation)", runTrain)
}

func runTrain(args []string) error {
	fs := newFlags("train", "[--out DIR] [--data DIR] | --evaluate [--models DIR] [--figure PNG]")
	out := fs.String("out", "models/weights", "folder for detector.ssm, embedder.ssm, pca.ssm")
	seed := fs.Int64("seed", 1, "base seed of the training simulations")
	recs := fs.Int("recordings", 36, "training recordings")
	val := fs.Int("val", 3, "validation recordings")
	dur := fs.Float64("duration", 20, "seconds per simulated recording")
	detSteps := fs.Int("det-steps", train.DetectorFit.Steps, "detector optimiser steps")
	embSteps := fs.Int("emb-steps", train.EmbedderFit.Steps, "embedder optimiser steps")
	postMs := fs.Float64("post-ms", train.DefaultGridEndMs, "last time the models read after "+
		"the trough, ms, in 0.1 ms steps (live spikes wait this long)")
	evaluate := fs.Bool("evaluate", false, "evaluate models instead of training")
	from := fs.String("models", "", "with --evaluate: folder of checkpoints (default: shipped)")
	perNoise := fs.Int("eval-recordings", 6, "with --evaluate: recordings per noise level")
	figure := fs.String("figure", "", "with --evaluate: write the PR figure (PNG) here")
	libSeed := fs.Int64("library-seed", app.HeldOutLibrarySeed, "with --evaluate: seed of "+
		"the cell library (default: cells held out from training; 0: the training library)")
	data := fs.String("data", "", "train on the recordings of this folder (spikestream sim --count)"+
		" instead of simulating")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *evaluate {
		return runEvaluate(ctx, *from, *perNoise, *dur, *figure, *libSeed)
	}
	det, emb := train.DetectorFit, train.EmbedderFit
	det.Steps, emb.Steps = *detSteps, *embSteps
	return train.Run(ctx, train.Config{Generate: sim.Generate, Seed: *seed, Recordings: *recs,
		ValRecordings: *val, DurationS: *dur, OutDir: *out, Detector: det, Embedder: emb,
		GridEndMs: *postMs, DataDir: *data, Progress: os.Stderr})
}

// runEvaluate loads the models (shipped, or from a folder) and prints the evaluation
// tables to stdout.
func runEvaluate(ctx context.Context, from string, perNoise int, durS float64,
	figure string, librarySeed int64) error {
	generate := func(ctx context.Context, c sim.Config) (*sim.Recording, error) {
		c.LibrarySeed = librarySeed
		return sim.Generate(ctx, c)
	}
	cfg := train.EvalConfig{Generate: generate, PerNoise: perNoise, DurationS: durS,
		Progress: os.Stderr, FigurePath: figure}
	var err error
	if from == "" {
		cfg.Detector, cfg.Embedder, cfg.PCA, err = shippedModels()
	} else {
		cfg.Detector, cfg.Embedder, cfg.PCA, err = loadModels(from)
	}
	if err != nil {
		return err
	}
	res, err := train.Evaluate(ctx, cfg)
	if err != nil {
		return err
	}
	res.WriteMarkdown(os.Stdout)
	return nil
}

func shippedModels() (*models.Detector, *models.Embedder, *models.PCA, error) {
	d, err := models.DefaultDetector()
	if err != nil {
		return nil, nil, nil, err
	}
	e, err := models.DefaultEmbedder()
	if err != nil {
		return nil, nil, nil, err
	}
	p, err := models.DefaultPCA()
	return d, e, p, err
}

func loadModels(dir string) (*models.Detector, *models.Embedder, *models.PCA, error) {
	var ms [3]models.Model
	for i, name := range []string{"detector", "embedder", "pca"} {
		m, err := models.Load(filepath.Join(dir, name+".ssm"))
		if err != nil {
			return nil, nil, nil, err
		}
		ms[i] = m
	}
	d, ok1 := ms[0].(*models.Detector)
	e, ok2 := ms[1].(*models.Embedder)
	p, ok3 := ms[2].(*models.PCA)
	if !ok1 || !ok2 || !ok3 {
		return nil, nil, nil, fmt.Errorf("%s: checkpoints of the wrong kind", dir)
	}
	return d, e, p, nil
}
