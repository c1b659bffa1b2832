package models

import (
	"fmt"

	"github.com/spikestream/spikestream/pipeline"
)

// Detector is the learned candidate scorer, a pipeline.Scorer: an MLP over the snippet
// resampled to its InputSpec grid, with a sigmoid output. A Detector owns scratch buffers,
// so one instance serves one goroutine; Clone makes another that shares the weights.
type Detector struct {
	hdr     Header
	net     *MLP
	in      []float32
	scratch Scratch
}

// NewDetector builds a Detector from a decoded checkpoint of kind KindDetector.
func NewDetector(c *Checkpoint) (*Detector, error) {
	if c.Header.Kind != KindDetector || c.Header.Output != "sigmoid" {
		return nil, fmt.Errorf("%w: kind %q output %q is not a detector", ErrBadCheckpoint,
			c.Header.Kind, c.Header.Output)
	}
	net, err := c.mlp()
	if err != nil {
		return nil, fmt.Errorf("detector: %w", err)
	}
	if net.OutSize() != 1 {
		return nil, fmt.Errorf("%w: detector has %d outputs", ErrBadCheckpoint, net.OutSize())
	}
	d := &Detector{hdr: c.Header, net: net}
	d.alloc()
	return d, nil
}

func (d *Detector) alloc() {
	d.in = make([]float32, d.hdr.Input.Size())
	d.scratch = NewScratch(d.net)
}

// Clone returns a Detector sharing d's weights with its own scratch buffers.
func (d *Detector) Clone() *Detector {
	c := &Detector{hdr: d.hdr, net: d.net}
	c.alloc()
	return c
}

// SpanMs returns the first and last grid times the model reads, ms from the trough; it
// implements pipeline.Spanner, so the pipeline cuts and waits for no more than that.
func (d *Detector) SpanMs() (fromMs, toMs float64) { return d.hdr.Input.T0Ms, d.hdr.Input.EndMs() }

// Header returns the checkpoint header (architecture, input grid, provenance).
func (d *Detector) Header() Header { return d.hdr }

// Threshold returns the score cut suggested by training (validation F1 optimum), in [0, 1].
func (d *Detector) Threshold() float32 { return float32(d.hdr.Threshold) }

// Score returns the probability in [0, 1] that s holds a real spike. A malformed snippet,
// or one whose samples are not finite, scores 0. It does not allocate and must not be
// called concurrently on one instance.
func (d *Detector) Score(s *pipeline.Snippet) float32 {
	if !d.hdr.Input.Fill(s, 0, d.in) {
		return 0
	}
	p := sigmoid(d.net.Forward(d.in, &d.scratch)[0])
	if p != p { // NaN from non-finite samples
		return 0
	}
	return p
}

// Logit returns the pre-sigmoid score of s; a malformed snippet gives -100.
func (d *Detector) Logit(s *pipeline.Snippet) float32 {
	if !d.hdr.Input.Fill(s, 0, d.in) {
		return -100
	}
	return d.net.Forward(d.in, &d.scratch)[0]
}

var (
	_ pipeline.Scorer  = (*Detector)(nil)
	_ pipeline.Spanner = (*Detector)(nil)
)
