package dsp

import "fmt"

// Cascade runs a chain of biquads over interleaved multichannel blocks, keeping per-channel
// state between calls so that consecutive blocks filter as one signal. It uses transposed
// direct form II. A Cascade is not safe for concurrent use.
type Cascade struct {
	sections []Biquad
	channels int
	z        []float32 // [section][channel][2] state, flattened
	primed   bool
}

// NewCascade returns a cascade of the given sections for interleaved data of channels
// channels. It allocates its state once.
func NewCascade(channels int, sections ...Biquad) (*Cascade, error) {
	if channels <= 0 || len(sections) == 0 {
		return nil, fmt.Errorf("%w: %d channels, %d sections", ErrBadDesign, channels, len(sections))
	}
	return &Cascade{
		sections: append([]Biquad(nil), sections...),
		channels: channels,
		z:        make([]float32, len(sections)*channels*2),
	}, nil
}

// Reset forgets the filter history. The next block is filtered as if its first sample had
// been held constant forever, so a step at the start (DC offset, or a gap) does not ring.
func (c *Cascade) Reset() { c.primed = false }

// Process filters x in place: x is interleaved by sample with the cascade's channel count,
// and len(x) must be a multiple of it. It does not allocate.
func (c *Cascade) Process(x []float32) {
	nch := c.channels
	if len(x) < nch {
		return
	}
	if !c.primed {
		c.prime(x[:nch])
		c.primed = true
	}
	if len(c.sections) == 2 {
		c.runPair(x)
		return
	}
	for s, sec := range c.sections {
		z := c.z[s*nch*2 : (s+1)*nch*2]
		runSection(sec, z, x, nch)
	}
}

// runPair runs a two-section cascade channel by channel with the state in registers: for
// the common band-pass (high-pass + low-pass) it is about twice as fast as running the
// sections one after the other over the whole block.
func (c *Cascade) runPair(x []float32) {
	nch := c.channels
	s0, s1 := c.sections[0], c.sections[1]
	za, zb := c.z[:2*nch], c.z[2*nch:4*nch]
	for ch := 0; ch < nch; ch++ {
		a1, a2 := za[2*ch], za[2*ch+1]
		b1, b2 := zb[2*ch], zb[2*ch+1]
		for i := ch; i < len(x); i += nch {
			v := x[i]
			y := s0.B0*v + a1
			a1 = s0.B1*v - s0.A1*y + a2
			a2 = s0.B2*v - s0.A2*y
			w := s1.B0*y + b1
			b1 = s1.B1*y - s1.A1*w + b2
			b2 = s1.B2*y - s1.A2*w
			x[i] = w
		}
		za[2*ch], za[2*ch+1] = a1, a2
		zb[2*ch], zb[2*ch+1] = b1, b2
	}
}

// runSection filters every channel of x through one section with state z ([channel][2]).
func runSection(sec Biquad, z, x []float32, nch int) {
	b0, b1, b2, a1, a2 := sec.B0, sec.B1, sec.B2, sec.A1, sec.A2
	for off := 0; off+nch <= len(x); off += nch {
		row := x[off : off+nch]
		zz := z[:2*nch]
		for ch, v := range row {
			z1, z2 := zz[2*ch], zz[2*ch+1]
			y := b0*v + z1
			zz[2*ch] = b1*v - a1*y + z2
			zz[2*ch+1] = b2*v - a2*y
			row[ch] = y
		}
	}
}

// prime sets every section's state to its steady state for a constant input equal to
// first, the first sample of each channel.
func (c *Cascade) prime(first []float32) {
	nch := c.channels
	in := make([]float64, nch)
	for ch, v := range first {
		in[ch] = float64(v)
	}
	for s, sec := range c.sections {
		g := sec.DCGain()
		z := c.z[s*nch*2 : (s+1)*nch*2]
		for ch := range in {
			x0 := in[ch]
			y0 := g * x0
			z[2*ch] = float32(y0 - float64(sec.B0)*x0)
			z[2*ch+1] = float32(float64(sec.B2)*x0 - float64(sec.A2)*y0)
			in[ch] = y0
		}
	}
}
