package train

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/sim"
)

// synthRecording builds a small recording by hand for tests: Gaussian-trough units with
// distance-decaying amplitude and Poisson firing over white noise. It stands in for
// sim.Generate so that these tests do not depend on the simulator.
func synthRecording(p *probe.Probe, rateHz, noiseUV, durS float64, units int,
	seed uint64) *sim.Recording {
	r := rand.New(rand.NewPCG(seed, 1))
	nch, ns := p.NumChannels(), int(durS*rateHz)
	sig := make([]float64, ns*nch)
	rec := &sim.Recording{Probe: p, SampleRateHz: rateHz, UVPerBit: 0.195, NumSamples: ns,
		Config: sim.Config{NoiseUV: noiseUV, Seed: int64(seed)}}
	minX, maxX, minY, maxY := p.Extent()
	for u := 0; u < units; u++ {
		x, y := minX+r.Float64()*(maxX-minX), minY+r.Float64()*(maxY-minY)
		amp, widthMs := 60+200*r.Float64(), 0.1+0.15*r.Float64()
		peak := nearest(p, x, y)
		rec.Units = append(rec.Units, sim.UnitInfo{ID: u, XUm: x, YUm: y, ZUm: 20,
			PeakChannel: peak, PeakUV: amp, SNR: amp / noiseUV, RateHz: 8})
		for t := 0.002 + r.ExpFloat64()/8; t < durS-0.003; t += 0.003 + r.ExpFloat64()/8 {
			s := int64(t * rateHz)
			rec.Truth = append(rec.Truth, sim.TruthSpike{Sample: s, Unit: u})
			addSpike(sig, p, rateHz, s, x, y, amp, widthMs)
		}
	}
	sort.Slice(rec.Truth, func(i, j int) bool { return rec.Truth[i].Sample < rec.Truth[j].Sample })
	addTemplates(rec)
	rec.Samples = make([]int16, len(sig))
	for i, v := range sig {
		rec.Samples[i] = int16(math.Round((v + r.NormFloat64()*noiseUV) / rec.UVPerBit))
	}
	return rec
}

func nearest(p *probe.Probe, x, y float64) int {
	best, bd := 0, math.Inf(1)
	for i, c := range p.Contacts {
		if d := math.Hypot(c.XUm-x, c.YUm-y); d < bd {
			best, bd = i, d
		}
	}
	return best
}

// addSpike adds one spike: a trough of width widthMs and a slower rebound, scaled on each
// channel by exp(-distance / 40 um).
func addSpike(sig []float64, p *probe.Probe, rateHz float64, s int64, x, y, amp, widthMs float64) {
	nch := p.NumChannels()
	half := int(1.5e-3 * rateHz)
	for ch, c := range p.Contacts {
		d := math.Hypot(math.Hypot(c.XUm-x, c.YUm-y), 20)
		a := amp * math.Exp(-(d-20)/40)
		for k := -half; k <= half; k++ {
			i := int(s) + k
			if i < 0 || i*nch+ch >= len(sig) {
				continue
			}
			tMs := float64(k) / rateHz * 1000
			w := -math.Exp(-tMs*tMs/(2*widthMs*widthMs)) +
				0.3*math.Exp(-(tMs-0.5)*(tMs-0.5)/(2*0.09))
			sig[i*nch+ch] += a * w
		}
	}
}

// addTemplates fills rec.Templates with each unit's noiseless spike, read back from a
// rendering of one spike per unit.
func addTemplates(rec *sim.Recording) {
	p, nch := rec.Probe, rec.Probe.NumChannels()
	half := int(1.5e-3 * rec.SampleRateHz)
	rec.TemplateSamples, rec.TemplatePre = 2*half+1, half
	for _, u := range rec.Units {
		buf := make([]float64, rec.TemplateSamples*nch)
		addSpike(buf, p, rec.SampleRateHz, int64(half), u.XUm, u.YUm, u.PeakUV, 0.2)
		for _, v := range buf {
			rec.Templates = append(rec.Templates, float32(v))
		}
	}
}
