package pipeline

import (
	"fmt"

	"github.com/spikestream/spikestream/internal/dsp"
)

// Preprocessor is the causal front end: band-pass filter per channel, then a common
// reference (median or mean across channels at each sample) subtracted. State carries over
// between blocks; Reset forgets it after a gap. It is not safe for concurrent use.
type Preprocessor struct {
	cfg      PreprocessConfig
	channels int
	filter   *dsp.Cascade
	scratch  []float32 // one row, for the median
}

// NewPreprocessor returns a preprocessor for interleaved blocks of the given channel count
// at rateHz.
func NewPreprocessor(cfg PreprocessConfig, channels int, rateHz float64) (*Preprocessor, error) {
	if channels <= 0 {
		return nil, fmt.Errorf("%w: %d channels", ErrBadConfig, channels)
	}
	cfg, err := cfg.withDefaults(channels, rateHz)
	if err != nil {
		return nil, err
	}
	hp, err := dsp.HighPass(cfg.LowHz, rateHz)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadConfig, err)
	}
	lp, err := dsp.LowPass(cfg.HighHz, rateHz)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadConfig, err)
	}
	f, err := dsp.NewCascade(channels, hp, lp)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadConfig, err)
	}
	return &Preprocessor{cfg: cfg, channels: channels, filter: f,
		scratch: make([]float32, channels)}, nil
}

// Config returns the settings in force, defaults filled in.
func (p *Preprocessor) Config() PreprocessConfig { return p.cfg }

// Reset forgets the filter history; the next block starts cleanly (no ringing on a step).
func (p *Preprocessor) Reset() { p.filter.Reset() }

// Process filters and re-references an interleaved block of samples in uV, in place.
// len(x) must be a multiple of the channel count. It does not allocate.
func (p *Preprocessor) Process(x []float32) {
	p.Filter(x)
	p.Reference(x)
}

// Filter is the first half of Process: the band-pass, in place. Filter and Reference touch
// disjoint state, so two goroutines may run them on successive blocks, each calling only
// its own half, in block order.
func (p *Preprocessor) Filter(x []float32) { p.filter.Process(x) }

// Reference is the second half of Process: the common reference, subtracted in place.
func (p *Preprocessor) Reference(x []float32) {
	switch p.cfg.Reference {
	case "median":
		p.subtractMedian(x)
	case "mean":
		p.subtractMean(x)
	}
}

// maxRefChannels bounds the channels the median reference is taken over: the common-mode
// signal is the same on every channel, so the median of an evenly spaced subset estimates
// it as well as the full median (a spike touches only a few channels) at a fraction of the
// cost on 384-1536 channel probes.
const maxRefChannels = 64

func (p *Preprocessor) subtractMedian(x []float32) {
	n := p.channels
	stride := (n + maxRefChannels - 1) / maxRefChannels
	for off := 0; off+n <= len(x); off += n {
		row := x[off : off+n]
		sub := p.scratch[:0]
		for i := 0; i < n; i += stride {
			sub = append(sub, row[i])
		}
		m := dsp.Median(sub)
		for i := range row {
			row[i] -= m
		}
	}
}

func (p *Preprocessor) subtractMean(x []float32) {
	n := p.channels
	for off := 0; off+n <= len(x); off += n {
		row := x[off : off+n]
		var s float32
		for _, v := range row {
			s += v
		}
		m := s / float32(n)
		for i := range row {
			row[i] -= m
		}
	}
}
