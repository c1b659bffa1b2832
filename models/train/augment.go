package train

import (
	"math"
	"math/rand/v2"

	"github.com/spikestream/spikestream/models"
	"github.com/spikestream/spikestream/pipeline"
)

// Augment sets the random perturbations applied to a training snippet before it is
// resampled. Zero values switch a perturbation off.
type Augment struct {
	JitterSamples float64 // grid shift, uniform in +-JitterSamples native samples
	AmpLo, AmpHi  float64 // amplitude scale, uniform in [AmpLo, AmpHi] (both 0: off)
	NoiseFrac     float64 // added white noise SD, uniform in [0, NoiseFrac] x channel noise
	OverlapP      float64 // probability of adding another example's spike
	OverlapMs     float64 // that spike's offset, uniform in +-OverlapMs
	DropP         float64 // probability of blanking one non-peak channel (masked out)
}

// augmenter applies Augment with its own random source and scratch snippet; it is not
// safe for concurrent use.
type augmenter struct {
	cfg  Augment
	r    *rand.Rand
	pool []*Example // source of overlapping spikes
	buf  pipeline.Snippet
}

func newAugmenter(cfg Augment, seed uint64, pool []*Example) *augmenter {
	return &augmenter{cfg: cfg, r: rand.New(rand.NewPCG(seed, 99)), pool: pool}
}

// fill writes the model input of a perturbed copy of ex to dst. With a zero Augment it
// equals spec.Fill(&ex.Snip, 0, dst).
func (a *augmenter) fill(spec models.InputSpec, ex *Example, dst []float32) {
	s := a.copyOf(&ex.Snip)
	c := a.cfg
	if c.AmpHi > 0 {
		scale(s.Data, float32(c.AmpLo+(c.AmpHi-c.AmpLo)*a.r.Float64()))
	}
	if c.NoiseFrac > 0 {
		a.addNoise(s, c.NoiseFrac*a.r.Float64())
	}
	if c.OverlapP > 0 && len(a.pool) > 0 && a.r.Float64() < c.OverlapP {
		a.addOverlap(s)
	}
	shiftMs := 0.0
	if c.JitterSamples > 0 {
		shiftMs = (2*a.r.Float64() - 1) * c.JitterSamples * 1000 / s.SampleRateHz
	}
	spec.Fill(s, shiftMs, dst)
	if c.DropP > 0 && len(s.Channels) > 1 && a.r.Float64() < c.DropP {
		dropChannel(spec, 1+a.r.IntN(min(len(s.Channels), spec.Channels)-1), dst)
	}
}

// copyOf copies s into the augmenter's scratch snippet.
func (a *augmenter) copyOf(s *pipeline.Snippet) *pipeline.Snippet {
	b := &a.buf
	data, ch, dx, dy, nz := b.Data, b.Channels, b.DxUm, b.DyUm, b.NoiseUV
	*b = *s
	b.Data = append(data[:0], s.Data...)
	b.Channels = append(ch[:0], s.Channels...)
	b.DxUm = append(dx[:0], s.DxUm...)
	b.DyUm = append(dy[:0], s.DyUm...)
	b.NoiseUV = append(nz[:0], s.NoiseUV...)
	return b
}

func scale(v []float32, g float32) {
	for i := range v {
		v[i] *= g
	}
}

// addNoise adds white Gaussian noise of frac x each channel's noise level.
func (a *augmenter) addNoise(s *pipeline.Snippet, frac float64) {
	for k := range s.Channels {
		sd := frac * float64(s.NoiseUV[k])
		row := s.Data[k*s.Len : (k+1)*s.Len]
		for i := range row {
			row[i] += float32(a.r.NormFloat64() * sd)
		}
	}
}

// addOverlap adds a random pool example's waveform, scaled and shifted, channel by channel.
func (a *augmenter) addOverlap(s *pipeline.Snippet) {
	o := &a.pool[a.r.IntN(len(a.pool))].Snip
	g := float32(0.3 + 0.6*a.r.Float64())
	shift := int(math.Round((2*a.r.Float64() - 1) * a.cfg.OverlapMs * s.SampleRateHz / 1000))
	n := min(len(s.Channels), len(o.Channels))
	for k := 0; k < n; k++ {
		dst := s.Data[k*s.Len : (k+1)*s.Len]
		src := o.Data[k*o.Len : (k+1)*o.Len]
		for i := range dst {
			if j := i - shift - s.Pre + o.Pre; j >= 0 && j < len(src) {
				dst[i] += g * src[j]
			}
		}
	}
}

// dropChannel blanks model channel k of a filled input: waveform, offsets and mask.
func dropChannel(spec models.InputSpec, k int, dst []float32) {
	clear(dst[k*spec.Steps : (k+1)*spec.Steps])
	g := spec.WaveSize() + 3*k
	clear(dst[g : g+3])
}
