// Package models holds spikestream's learned models and their baseline: a candidate scorer
// (Detector, a pipeline.Scorer), a waveform embedder (Embedder, a pipeline.Embedder) and a
// PCA embedder (PCA, the baseline). All three read a snippet through the same resampling to
// a fixed grid in physical time (InputSpec), so one model serves any probe and any sample
// rate. Inference is a hand-written float32 forward pass with scratch buffers owned by the
// model instance: it does not allocate, and an instance must be used from one goroutine at
// a time (Clone gives another). Weights are stored in the checkpoint format of checkpoint.go
// (documented in docs/models.md); shipped weights are embedded from models/weights/.
//
// Training lives in models/train, which alone imports gorgonia.
package models
