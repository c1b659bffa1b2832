package models

import (
	"fmt"

	"github.com/spikestream/spikestream/pipeline"
)

// Embedder is the learned waveform embedder, a pipeline.Embedder: an MLP over the snippet
// resampled to its InputSpec grid (scaled by the trough depth, with log depth as an input),
// whose output is L2-normalised, so embeddings lie on the unit sphere and squared distance
// is 2 - 2 cos. An Embedder owns scratch buffers, so one instance serves one goroutine;
// Clone makes another that shares the weights.
type Embedder struct {
	hdr     Header
	net     *MLP
	in      []float32
	scratch Scratch
}

// NewEmbedder builds an Embedder from a decoded checkpoint of kind KindEmbedder.
func NewEmbedder(c *Checkpoint) (*Embedder, error) {
	if c.Header.Kind != KindEmbedder || c.Header.Output != "l2" {
		return nil, fmt.Errorf("%w: kind %q output %q is not an embedder", ErrBadCheckpoint,
			c.Header.Kind, c.Header.Output)
	}
	net, err := c.mlp()
	if err != nil {
		return nil, fmt.Errorf("embedder: %w", err)
	}
	e := &Embedder{hdr: c.Header, net: net}
	e.alloc()
	return e, nil
}

func (e *Embedder) alloc() {
	e.in = make([]float32, e.hdr.Input.Size())
	e.scratch = NewScratch(e.net)
}

// Clone returns an Embedder sharing e's weights with its own scratch buffers.
func (e *Embedder) Clone() *Embedder {
	c := &Embedder{hdr: e.hdr, net: e.net}
	c.alloc()
	return c
}

// SpanMs returns the first and last grid times the model reads, ms from the trough; it
// implements pipeline.Spanner, so the pipeline cuts and waits for no more than that.
func (e *Embedder) SpanMs() (fromMs, toMs float64) { return e.hdr.Input.T0Ms, e.hdr.Input.EndMs() }

// Header returns the checkpoint header (architecture, input grid, provenance).
func (e *Embedder) Header() Header { return e.hdr }

// Dim returns the embedding length.
func (e *Embedder) Dim() int { return e.net.OutSize() }

// Embed writes the unit-length embedding of s to dst[:Dim()]. A malformed snippet, or one
// whose samples are not finite, gives zeros. It is deterministic, does not allocate, and
// must not be called concurrently on one instance.
func (e *Embedder) Embed(s *pipeline.Snippet, dst []float32) {
	dst = dst[:e.Dim()]
	if !e.hdr.Input.Fill(s, 0, e.in) {
		clear(dst)
		return
	}
	EmbedInput(e.net, e.in, &e.scratch, dst)
}

// Net returns the embedder's network (shared, read-only), for training and tests.
func (e *Embedder) Net() *MLP { return e.net }

// EmbedInput runs net on a filled input vector and writes the L2-normalised output to dst;
// a non-finite result becomes zeros. It does not allocate.
func EmbedInput(net *MLP, in []float32, s *Scratch, dst []float32) {
	copy(dst, net.Forward(in, s))
	l2Normalise(dst)
	if !allFinite(dst) {
		clear(dst)
	}
}

var (
	_ pipeline.Embedder = (*Embedder)(nil)
	_ pipeline.Spanner  = (*Embedder)(nil)
)
