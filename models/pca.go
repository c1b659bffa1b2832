package models

import (
	"fmt"

	"github.com/spikestream/spikestream/pipeline"
)

// PCA is the baseline embedder, a pipeline.Embedder: it projects the noise-scaled
// waveform block of the input vector (InputSpec.WaveSize values: Channels x Steps grid
// samples, no geometry) onto principal components fitted on simulated snippets. Features
// are not normalised, so amplitude differences stay visible. A PCA owns a scratch buffer:
// one instance per goroutine; Clone makes another.
type PCA struct {
	hdr   Header
	mean  []float32 // WaveSize
	comps []float32 // Dim x WaveSize, row-major, unit-length rows
	dim   int
	in    []float32
}

// NewPCA builds a PCA from a decoded checkpoint of kind KindPCA, with tensors "mean"
// (WaveSize) and "components" (Dim x WaveSize).
func NewPCA(c *Checkpoint) (*PCA, error) {
	h := c.Header
	if h.Kind != KindPCA {
		return nil, fmt.Errorf("%w: kind %q is not pca", ErrBadCheckpoint, h.Kind)
	}
	if err := h.Input.Validate(); err != nil {
		return nil, fmt.Errorf("pca: %w: %v", ErrBadCheckpoint, err)
	}
	n := h.Input.WaveSize()
	mean, err := c.tensor("mean", n)
	if err != nil {
		return nil, fmt.Errorf("pca: %w", err)
	}
	comps, ok := c.Tensors["components"]
	if !ok || len(comps) == 0 || len(comps)%n != 0 || !allFinite(comps) || !allFinite(mean) {
		return nil, fmt.Errorf("pca: %w: components missing or malformed", ErrBadCheckpoint)
	}
	p := &PCA{hdr: h, mean: mean, comps: comps, dim: len(comps) / n}
	p.in = make([]float32, h.Input.Size())
	return p, nil
}

// PCACheckpoint builds the checkpoint of a PCA basis: mean (WaveSize) and components
// (dim x WaveSize, row-major).
func PCACheckpoint(h Header, mean, comps []float32) *Checkpoint {
	h.Kind, h.Output = KindPCA, "linear"
	n := len(mean)
	h.Tensors = []TensorInfo{{"mean", []int{n}}, {"components", []int{len(comps) / n, n}}}
	return &Checkpoint{Header: h, Tensors: map[string][]float32{"mean": mean,
		"components": comps}}
}

// Clone returns a PCA sharing p's basis with its own scratch buffer.
func (p *PCA) Clone() *PCA {
	c := *p
	c.in = make([]float32, len(p.in))
	return &c
}

// SpanMs returns the first and last grid times the model reads, ms from the trough; it
// implements pipeline.Spanner, so the pipeline cuts and waits for no more than that.
func (p *PCA) SpanMs() (fromMs, toMs float64) { return p.hdr.Input.T0Ms, p.hdr.Input.EndMs() }

// Header returns the checkpoint header.
func (p *PCA) Header() Header { return p.hdr }

// Dim returns the number of principal components.
func (p *PCA) Dim() int { return p.dim }

// Embed writes the Dim() principal-component scores of s to dst. A malformed snippet, or
// one whose samples are not finite, gives zeros. It does not allocate and must not be
// called concurrently on one instance.
func (p *PCA) Embed(s *pipeline.Snippet, dst []float32) {
	dst = dst[:p.dim]
	if !p.hdr.Input.Fill(s, 0, p.in) {
		clear(dst)
		return
	}
	p.Project(p.in, dst)
	if !allFinite(dst) {
		clear(dst)
	}
}

// Project writes the component scores of a filled input vector x to dst. It centres x's
// waveform block in place.
func (p *PCA) Project(x, dst []float32) {
	n := len(p.mean)
	x = x[:n]
	for i := range x {
		x[i] -= p.mean[i]
	}
	for k := range dst[:p.dim] {
		dst[k] = dot(p.comps[k*n:(k+1)*n], x)
	}
}

var (
	_ pipeline.Embedder = (*PCA)(nil)
	_ pipeline.Spanner  = (*PCA)(nil)
)
