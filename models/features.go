package models

import (
	"errors"
	"fmt"
	"math"

	"github.com/spikestream/spikestream/pipeline"
)

// Scale names for InputSpec.Scale.
const (
	// ScaleNoise divides each channel by its own noise level (detector inputs).
	ScaleNoise = "noise"
	// ScalePeak divides every channel by the trough depth on the peak channel and appends
	// the log of that depth in noise units (embedder and PCA inputs).
	ScalePeak = "peak"
)

// minNoiseUV floors noise levels so that a dead channel cannot blow inputs up.
const minNoiseUV = 0.5

// InputSpec fixes how a snippet becomes a model input vector. The vector holds, for each
// of Channels neighbourhood channels (peak first, nearest first; missing channels are zero),
// Steps values of the signal linearly interpolated at T0Ms + j*DtMs ms from the trough and
// scaled as Scale says, then for each channel its offset from the peak channel
// (DxUm/OffsetUm, DyUm/OffsetUm) and a presence mask (1 or 0), then for ScalePeak one more
// value: log(trough depth / peak-channel noise).
type InputSpec struct {
	Channels   int     `json:"channels"`    // neighbourhood channels used
	T0Ms       float64 `json:"t0_ms"`       // first grid time relative to the trough, ms
	DtMs       float64 `json:"dt_ms"`       // grid step, ms
	Steps      int     `json:"steps"`       // grid points per channel
	Scale      string  `json:"scale"`       // ScaleNoise or ScalePeak
	ValueScale float64 `json:"value_scale"` // scaled signal is further divided by this
	OffsetUm   float64 `json:"offset_um"`   // channel offsets are divided by this, um
}

// ErrBadSpec is returned when an InputSpec cannot describe a model input.
var ErrBadSpec = errors.New("bad input spec")

// Validate reports whether the spec is usable.
func (in InputSpec) Validate() error {
	switch {
	case in.Channels < 1 || in.Channels > 64:
		return fmt.Errorf("%w: channels %d not in 1..64", ErrBadSpec, in.Channels)
	case in.Steps < 2 || in.Steps > 512:
		return fmt.Errorf("%w: steps %d not in 2..512", ErrBadSpec, in.Steps)
	case !(in.DtMs > 0) || in.DtMs > 1:
		return fmt.Errorf("%w: dt %g ms not in (0, 1]", ErrBadSpec, in.DtMs)
	case math.Abs(in.T0Ms) > 5 || math.Abs(in.EndMs()) > 5:
		return fmt.Errorf("%w: grid %g..%g ms beyond +-5 ms", ErrBadSpec, in.T0Ms, in.EndMs())
	case in.Scale != ScaleNoise && in.Scale != ScalePeak:
		return fmt.Errorf("%w: scale %q", ErrBadSpec, in.Scale)
	case !(in.ValueScale > 0) || !(in.OffsetUm > 0):
		return fmt.Errorf("%w: value scale and offset scale must be positive", ErrBadSpec)
	}
	return nil
}

// EndMs returns the last grid time, ms relative to the trough.
func (in InputSpec) EndMs() float64 { return in.T0Ms + float64(in.Steps-1)*in.DtMs }

// Size returns the length of the input vector.
func (in InputSpec) Size() int {
	n := in.Channels*in.Steps + 3*in.Channels
	if in.Scale == ScalePeak {
		n++
	}
	return n
}

// WaveSize returns the length of the waveform block at the start of the input vector.
func (in InputSpec) WaveSize() int { return in.Channels * in.Steps }

// Fill writes the input vector of s into dst (len Size()), with the grid shifted by shiftMs
// (0 at inference; training uses it for sub-sample jitter). It returns false, leaving dst
// undefined, when s is malformed (no channels, slices shorter than stated, no sample rate).
// It does not allocate.
func (in InputSpec) Fill(s *pipeline.Snippet, shiftMs float64, dst []float32) bool {
	nCh := len(s.Channels)
	if !snippetOK(s) || len(dst) < in.Size() {
		return false
	}
	div := in.channelDivisor(s)
	perMs := s.SampleRateHz / 1000
	for k := 0; k < in.Channels; k++ {
		row := dst[k*in.Steps : (k+1)*in.Steps]
		if k >= nCh {
			clear(row)
			continue
		}
		d := div
		if in.Scale == ScaleNoise {
			d = max(s.NoiseUV[k], minNoiseUV) * float32(in.ValueScale)
		}
		in.resample(s.Data[k*s.Len:(k+1)*s.Len], float64(s.Pre), perMs, shiftMs, 1/d, row)
	}
	in.fillGeometry(s, dst[in.WaveSize():])
	if in.Scale == ScalePeak {
		dst[in.Size()-1] = float32(math.Log(float64(in.depthUV(s) / max(s.NoiseUV[0], minNoiseUV))))
	}
	return true
}

// snippetOK checks the slice lengths that Fill relies on.
func snippetOK(s *pipeline.Snippet) bool {
	n := len(s.Channels)
	return n > 0 && s.Len > 1 && s.Pre >= 0 && s.Pre < s.Len && len(s.Data) >= n*s.Len &&
		len(s.NoiseUV) >= n && len(s.DxUm) >= n && len(s.DyUm) >= n && s.SampleRateHz > 0
}

// depthUV returns the trough depth on the peak channel, floored at the channel noise.
func (in InputSpec) depthUV(s *pipeline.Snippet) float32 {
	return max(-s.Data[s.Pre], s.NoiseUV[0], minNoiseUV)
}

// channelDivisor returns the common divisor for ScalePeak.
func (in InputSpec) channelDivisor(s *pipeline.Snippet) float32 {
	return in.depthUV(s) * float32(in.ValueScale)
}

// resample writes len(row) linearly interpolated, scaled samples of x. Grid points outside
// the snippet take the nearest edge sample.
func (in InputSpec) resample(x []float32, pre, perMs, shiftMs float64, gain float32,
	row []float32) {
	last := len(x) - 1
	for j := range row {
		p := pre + (in.T0Ms+float64(j)*in.DtMs+shiftMs)*perMs
		i := int(math.Floor(p))
		switch {
		case i < 0:
			row[j] = x[0] * gain
		case i >= last:
			row[j] = x[last] * gain
		default:
			f := float32(p - float64(i))
			row[j] = (x[i] + f*(x[i+1]-x[i])) * gain
		}
	}
}

// fillGeometry writes offsets and masks for each model channel.
func (in InputSpec) fillGeometry(s *pipeline.Snippet, dst []float32) {
	inv := float32(1 / in.OffsetUm)
	for k := 0; k < in.Channels; k++ {
		g := dst[3*k : 3*k+3]
		if k >= len(s.Channels) {
			g[0], g[1], g[2] = 0, 0, 0
			continue
		}
		g[0], g[1], g[2] = s.DxUm[k]*inv, s.DyUm[k]*inv, 1
	}
}
