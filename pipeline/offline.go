package pipeline

import (
	"fmt"
	"math"

	"github.com/spikestream/spikestream/internal/dsp"
	"github.com/spikestream/spikestream/probe"
)

// Filtered is an in-memory recording after the live preprocessing. Training, tests and
// offline evaluation use it to see exactly what the live stages see.
type Filtered struct {
	Probe        *probe.Probe
	SampleRateHz float64
	Channels     int
	Data         []float32 // interleaved by sample, uV
	NoiseUV      []float32 // per-channel noise level over the whole recording, uV
}

// NumSamples returns the number of samples per channel.
func (f *Filtered) NumSamples() int64 { return int64(len(f.Data) / f.Channels) }

// Row returns all channels at sample t; it implements RowSource.
func (f *Filtered) Row(t int64) []float32 {
	return f.Data[t*int64(f.Channels) : (t+1)*int64(f.Channels)]
}

// offlineBlockMs is the block size used to run the live stages over a whole recording; it
// equals the default frame length so that offline and live runs see the same blocks.
const offlineBlockMs = 1.0

// PreprocessRecording runs the live preprocessing over a whole int16 recording
// (interleaved, uvPerBit uV per unit) and returns the filtered signal. It allocates the
// output (4 bytes per sample).
func PreprocessRecording(cfg PreprocessConfig, p *probe.Probe, rateHz, uvPerBit float64,
	samples []int16) (*Filtered, error) {
	nch := p.NumChannels()
	if len(samples)%nch != 0 {
		return nil, fmt.Errorf("%w: %d samples is not a multiple of %d channels",
			ErrBadConfig, len(samples), nch)
	}
	pre, err := NewPreprocessor(cfg, nch, rateHz)
	if err != nil {
		return nil, err
	}
	out := make([]float32, len(samples))
	scale := float32(uvPerBit)
	for i, v := range samples {
		out[i] = float32(v) * scale
	}
	block := msToSamples(offlineBlockMs, rateHz) * nch
	for off := 0; off < len(out); off += block {
		pre.Process(out[off:min(off+block, len(out))])
	}
	f := &Filtered{Probe: p, SampleRateHz: rateHz, Channels: nch, Data: out}
	f.NoiseUV = robustNoise(f)
	return f, nil
}

// robustNoise estimates each channel's noise as median(|x|)/0.6745 over up to 10 s spread
// through the recording.
func robustNoise(f *Filtered) []float32 {
	n := f.NumSamples()
	step := max(1, n/int64(10*f.SampleRateHz))
	noise := make([]float32, f.Channels)
	col := make([]float32, 0, n/step+1)
	for ch := range f.Channels {
		col = col[:0]
		for t := int64(0); t < n; t += step {
			col = append(col, float32(math.Abs(float64(f.Data[t*int64(f.Channels)+int64(ch)]))))
		}
		if len(col) > 0 {
			noise[ch] = dsp.Median(col) / 0.6745 // col is scratch: reordering it is fine
		}
	}
	return noise
}

// FindCandidates runs the live candidate detector over a whole filtered recording, in the
// same block steps as a live stream of 1 ms frames.
func FindCandidates(cfg DetectConfig, f *Filtered) ([]Candidate, error) {
	fd, err := NewFinder(cfg, f.Probe, f.SampleRateHz)
	if err != nil {
		return nil, err
	}
	var out []Candidate
	n := f.NumSamples()
	step := int64(msToSamples(offlineBlockMs, f.SampleRateHz))
	for t := int64(0); t < n; t += step {
		out = fd.Scan(f, min(t+step, n), out)
	}
	return fd.Flush(out), nil
}

// CutSnippet cuts the snippet of candidate c from f into dst with the live cutter's window
// and neighbourhood, reusing dst's slices; noise levels come from f.NoiseUV. It returns
// false when the window runs off either end of the recording. It builds a Cutter on each
// call: for many snippets, use NewCutter and Cutter.CutFrom.
func CutSnippet(cfg SnippetConfig, f *Filtered, c Candidate, dst *Snippet) bool {
	cut, err := NewCutter(cfg, f.Probe, f.SampleRateHz)
	if err != nil {
		return false
	}
	if c.Sample-int64(cut.Pre()) < 0 || c.Sample+int64(cut.Post()) >= f.NumSamples() {
		return false
	}
	cut.CutFrom(f, c, f.NoiseUV, dst)
	return true
}
