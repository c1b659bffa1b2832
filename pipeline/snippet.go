package pipeline

import (
	"github.com/spikestream/spikestream/probe"
)

// Cutter cuts snippets around candidates: the window is PreMs before to PostMs after the
// trough, each rounded up to whole samples, on the peak channel's neighbourhood
// (precomputed per channel). It is not safe for concurrent use.
type Cutter struct {
	cfg    SnippetConfig
	rateHz float64
	pre    int
	length int
	hood   [][]int     // neighbourhood of each channel, the channel itself first
	dx, dy [][]float32 // offsets of the neighbourhood channels from the centre, um
	posX   []float32   // contact positions, um
	posY   []float32
}

// NewCutter returns a cutter for the probe at rateHz.
func NewCutter(cfg SnippetConfig, p *probe.Probe, rateHz float64) (*Cutter, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	n := p.NumChannels()
	c := &Cutter{
		cfg: cfg, rateHz: rateHz,
		pre:  msToSamplesCeil(cfg.PreMs, rateHz),
		hood: make([][]int, n),
		dx:   make([][]float32, n),
		dy:   make([][]float32, n),
		posX: make([]float32, n),
		posY: make([]float32, n),
	}
	c.length = c.pre + 1 + msToSamplesCeil(cfg.PostMs, rateHz)
	for ch := range n {
		c.posX[ch], c.posY[ch] = float32(p.Contacts[ch].XUm), float32(p.Contacts[ch].YUm)
	}
	for ch := range n {
		c.hood[ch] = p.Neighbours(ch, cfg.RadiusUm, cfg.MaxChannels)
		for _, nb := range c.hood[ch] {
			c.dx[ch] = append(c.dx[ch], c.posX[nb]-c.posX[ch])
			c.dy[ch] = append(c.dy[ch], c.posY[nb]-c.posY[ch])
		}
	}
	return c, nil
}

// Config returns the settings in force, defaults filled in.
func (c *Cutter) Config() SnippetConfig { return c.cfg }

// Pre returns the samples kept before the trough; Len the samples per channel.
func (c *Cutter) Pre() int { return c.pre }

// Len returns the number of samples per channel in a snippet.
func (c *Cutter) Len() int { return c.length }

// Post returns the samples needed after the trough before a snippet can be cut.
func (c *Cutter) Post() int { return c.length - c.pre - 1 }

// Prepare fills dst's geometry for candidate cand (channels, offsets, noise levels, timing),
// reusing dst's slices, and returns the first sample of the window. noiseUV is the
// per-channel noise level. It allocates only when dst's slices are too small.
func (c *Cutter) Prepare(cand Candidate, noiseUV []float32, dst *Snippet) int64 {
	hood := c.hood[cand.Channel]
	dst.Sample = cand.Sample
	dst.PeakChannel = cand.Channel
	dst.Channels = append(dst.Channels[:0], hood...)
	dst.DxUm = append(dst.DxUm[:0], c.dx[cand.Channel]...)
	dst.DyUm = append(dst.DyUm[:0], c.dy[cand.Channel]...)
	dst.NoiseUV = dst.NoiseUV[:0]
	for _, ch := range hood {
		dst.NoiseUV = append(dst.NoiseUV, noiseUV[ch])
	}
	dst.Pre, dst.Len, dst.SampleRateHz = c.pre, c.length, c.rateHz
	if cap(dst.Data) < len(hood)*c.length {
		dst.Data = make([]float32, len(hood)*c.length)
	}
	dst.Data = dst.Data[:len(hood)*c.length]
	return cand.Sample - int64(c.pre)
}

// CutFrom fills dst for candidate cand from any RowSource holding the window.
func (c *Cutter) CutFrom(src RowSource, cand Candidate, noiseUV []float32, dst *Snippet) {
	from := c.Prepare(cand, noiseUV, dst)
	n := c.length
	for k := 0; k < n; k++ {
		row := src.Row(from + int64(k))
		for i, ch := range dst.Channels {
			dst.Data[i*n+k] = row[ch]
		}
	}
}

// Locate estimates a spike's source position: the centre of mass of the neighbourhood's
// contact positions weighted by each channel's trough depth (only depths above a quarter of
// the peak's count). It returns probe coordinates in um.
func (c *Cutter) Locate(s *Snippet) (xUm, yUm float32) {
	peak := troughDepth(s, 0)
	if peak <= 0 {
		return c.posX[s.PeakChannel], c.posY[s.PeakChannel]
	}
	var sw, sx, sy float32
	for i := range s.Channels {
		w := troughDepth(s, i) - 0.25*peak
		if w <= 0 {
			continue
		}
		sw += w
		sx += w * s.DxUm[i]
		sy += w * s.DyUm[i]
	}
	x0, y0 := c.posX[s.PeakChannel], c.posY[s.PeakChannel]
	return x0 + sx/sw, y0 + sy/sw
}

// troughDepth returns the depth (positive uV) of channel i's minimum within +-0.25 ms of
// the trough.
func troughDepth(s *Snippet, i int) float32 {
	w := max(1, int(0.25e-3*s.SampleRateHz))
	lo, hi := max(0, s.Pre-w), min(s.Len-1, s.Pre+w)
	m := float32(0)
	for t := lo; t <= hi; t++ {
		m = min(m, s.Data[i*s.Len+t])
	}
	return -m
}
