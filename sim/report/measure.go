package report

import (
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/dsp/fourier"

	"github.com/spikestream/spikestream/sim"
)

// Shape holds waveform features of one unit's template on its peak channel.
type Shape struct {
	Unit         int
	Class        string
	TroughPeakMs float64 // trough to the following maximum, ms
	HalfWidthMs  float64 // width of the trough at half its depth, ms
	Asymmetry    float64 // (after - before) / (after + before) of the positive peaks
	// PeakTroughRatio is the positive peak after the trough over the trough depth.
	PeakTroughRatio float64
	PeakUV          float64
	DistanceUm      float64 // soma to nearest contact, um
}

// peakWaveform returns unit u's template on its peak channel, uV.
func peakWaveform(rec *sim.Recording, u int) []float64 {
	chans, ts := rec.NumChannels(), rec.TemplateSamples
	ch := rec.Units[u].PeakChannel
	w := make([]float64, ts)
	for k := range w {
		w[k] = float64(rec.Templates[(u*ts+k)*chans+ch])
	}
	return w
}

// Shapes measures every unit's template.
func Shapes(rec *sim.Recording) []Shape {
	out := make([]Shape, len(rec.Units))
	msPerSample := 1000 / rec.SampleRateHz
	for u, info := range rec.Units {
		w := peakWaveform(rec, u)
		tr := rec.TemplatePre
		after := tr + argmax(w[tr:])
		before := argmax(w[:tr+1])
		pa, pb := math.Max(w[after], 0), math.Max(w[before], 0)
		asym := 0.0
		if pa+pb > 0 {
			asym = (pa - pb) / (pa + pb)
		}
		out[u] = Shape{Unit: u, Class: info.Class, PeakUV: info.PeakUV,
			TroughPeakMs: float64(after-tr) * msPerSample,
			HalfWidthMs:  halfWidth(w, tr) * msPerSample, Asymmetry: asym,
			PeakTroughRatio: pa / math.Max(-w[tr], 1e-9),
			DistanceUm:      nearestContactUm(rec, info)}
	}
	return out
}

func argmax(x []float64) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// halfWidth returns the width in samples (linearly interpolated) of the trough at tr
// where w stays below half the trough value.
func halfWidth(w []float64, tr int) float64 {
	half := w[tr] / 2
	if half >= 0 {
		return 0
	}
	cross := func(i, j int) float64 { return float64(i) + (half-w[i])/(w[j]-w[i])*float64(j-i) }
	left, right := 0.0, float64(len(w)-1)
	for i := tr; i > 0; i-- {
		if w[i-1] >= half {
			left = cross(i-1, i)
			break
		}
	}
	for i := tr; i < len(w)-1; i++ {
		if w[i+1] >= half {
			right = cross(i, i+1)
			break
		}
	}
	return right - left
}

func nearestContactUm(rec *sim.Recording, u sim.UnitInfo) float64 {
	best := math.Inf(1)
	for _, c := range rec.Probe.Contacts {
		d := math.Sqrt((c.XUm-u.XUm)*(c.XUm-u.XUm) + (c.YUm-u.YUm)*(c.YUm-u.YUm) + u.ZUm*u.ZUm)
		best = math.Min(best, d)
	}
	return best
}

// FootprintPoint is one channel of one unit: the distance of the channel from the unit's
// peak channel and the channel's peak-to-peak amplitude relative to the peak channel's.
type FootprintPoint struct{ DistanceUm, Relative float64 }

// Footprint returns every (unit, channel) pair within maxUm of the unit's peak channel.
func Footprint(rec *sim.Recording, maxUm float64) []FootprintPoint {
	chans, ts := rec.NumChannels(), rec.TemplateSamples
	var out []FootprintPoint
	for u, info := range rec.Units {
		ptp := make([]float64, chans)
		for c := range chans {
			lo, hi := math.Inf(1), math.Inf(-1)
			for k := range ts {
				v := float64(rec.Templates[(u*ts+k)*chans+c])
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
			ptp[c] = hi - lo
		}
		ref := ptp[info.PeakChannel]
		if ref <= 0 {
			continue
		}
		for c := range chans {
			if d := rec.Probe.DistanceUm(info.PeakChannel, c); d <= maxUm {
				out = append(out, FootprintPoint{d, ptp[c] / ref})
			}
		}
	}
	return out
}

// noiseMask marks, per channel, the samples under the template of every spike of a unit
// whose template on that channel exceeds minUV peak to peak.
func noiseMask(rec *sim.Recording, channels []int, nSamples int, minUV float64) [][]bool {
	chans, ts := rec.NumChannels(), rec.TemplateSamples
	mask := make([][]bool, len(channels))
	for i, ch := range channels {
		mask[i] = make([]bool, nSamples)
		near := make([]bool, len(rec.Units))
		for u := range rec.Units {
			lo, hi := 0.0, 0.0
			for k := range ts {
				v := float64(rec.Templates[(u*ts+k)*chans+ch])
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
			near[u] = hi-lo >= minUV
		}
		for _, t := range rec.Truth {
			first := int(t.Sample) - rec.TemplatePre
			if !near[t.Unit] || first >= nSamples {
				continue
			}
			for s := max(0, first); s < min(nSamples, first+ts); s++ {
				mask[i][s] = true
			}
		}
	}
	return mask
}

// channelTrace returns channel ch of the first n samples in uV.
func channelTrace(rec *sim.Recording, ch, n int) []float64 {
	chans := rec.NumChannels()
	out := make([]float64, n)
	for s := range out {
		out[s] = float64(rec.Samples[s*chans+ch]) * rec.UVPerBit
	}
	return out
}

// Spectrum is a power spectral density averaged over channels.
type Spectrum struct {
	FreqHz   []float64
	PSD      []float64 // uV^2/Hz
	RMSUV    float64   // RMS of the spike-free samples used
	Slope    float64   // log-log slope of the PSD between 300 and 3000 Hz
	Channels int
}

// NoiseSpectrum estimates the PSD of the spike-free parts of up to 16 channels (Welch,
// Hann windows of 512 samples, half overlap) over at most maxS seconds. Spikes of units
// smaller than the noise RMS on a channel count as noise there.
func NoiseSpectrum(rec *sim.Recording, maxS float64) Spectrum {
	const win = 512
	n := min(rec.NumSamples, int(maxS*rec.SampleRateHz))
	channels := spread(rec.NumChannels(), 16)
	mask := noiseMask(rec, channels, n, rec.Config.NoiseUV)
	w := newWelch(win, rec.SampleRateHz)
	var s2 float64
	var s2n int
	for i, ch := range channels {
		x := channelTrace(rec, ch, n)
		for s, v := range x {
			if !mask[i][s] {
				s2, s2n = s2+v*v, s2n+1
			}
		}
		w.add(x, mask[i])
	}
	sp := Spectrum{FreqHz: make([]float64, len(w.psd)), PSD: w.psd, Channels: len(channels)}
	for k := range w.psd {
		sp.FreqHz[k] = float64(k) * rec.SampleRateHz / win
		w.psd[k] /= float64(max(w.segs, 1))
	}
	sp.RMSUV = math.Sqrt(s2 / float64(max(s2n, 1)))
	sp.Slope = logSlope(sp.FreqHz, sp.PSD, 300, 3000)
	return sp
}

// welch accumulates one-sided periodograms of Hann-windowed segments.
type welch struct {
	fft        *fourier.FFT
	hann, seg  []float64
	psd        []float64 // summed over segments, uV^2/Hz
	wpow, fsHz float64
	segs       int
}

func newWelch(win int, fsHz float64) *welch {
	w := &welch{fft: fourier.NewFFT(win), hann: make([]float64, win),
		seg: make([]float64, win), psd: make([]float64, win/2+1), fsHz: fsHz}
	for i := range w.hann {
		w.hann[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(win))
		w.wpow += w.hann[i] * w.hann[i]
	}
	return w
}

// add accumulates every half-overlapping segment of x that holds no masked sample.
func (w *welch) add(x []float64, mask []bool) {
	win := len(w.seg)
	for start := 0; start+win <= len(x); start += win / 2 {
		if slices.Contains(mask[start:start+win], true) {
			continue
		}
		mean := 0.0
		for _, v := range x[start : start+win] {
			mean += v / float64(win)
		}
		for k := range w.seg {
			w.seg[k] = (x[start+k] - mean) * w.hann[k]
		}
		for k, c := range w.fft.Coefficients(nil, w.seg) {
			p := real(c)*real(c) + imag(c)*imag(c)
			if k > 0 && k < win/2 {
				p *= 2
			}
			w.psd[k] += p / (w.wpow * w.fsHz)
		}
		w.segs++
	}
}

// spread returns n channel indices spread evenly over 0..total-1.
func spread(total, n int) []int {
	n = min(n, total)
	out := make([]int, n)
	for i := range out {
		out[i] = i * total / n
	}
	return out
}

// logSlope fits log(y) = a + b log(x) over lo <= x <= hi and returns b.
func logSlope(x, y []float64, lo, hi float64) float64 {
	var sx, sy, sxx, sxy, n float64
	for i := range x {
		if x[i] < lo || x[i] > hi || y[i] <= 0 {
			continue
		}
		lx, ly := math.Log(x[i]), math.Log(y[i])
		sx, sy, sxx, sxy, n = sx+lx, sy+ly, sxx+lx*lx, sxy+lx*ly, n+1
	}
	if n < 2 {
		return math.NaN()
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}

// CorrPoint is the noise correlation of a pair of channels at a distance.
type CorrPoint struct{ DistanceUm, Corr float64 }

// NoiseCorrelation returns the correlation of the spike-free samples of pairs among up to
// 48 channels (the first ones, so that short distances are present), over at most maxS
// seconds.
func NoiseCorrelation(rec *sim.Recording, maxS float64) []CorrPoint {
	n := min(rec.NumSamples, int(maxS*rec.SampleRateHz))
	channels := make([]int, min(48, rec.NumChannels()))
	for i := range channels {
		channels[i] = i
	}
	mask := noiseMask(rec, channels, n, rec.Config.NoiseUV)
	traces := make([][]float64, len(channels))
	for i, ch := range channels {
		traces[i] = channelTrace(rec, ch, n)
	}
	var out []CorrPoint
	for i := range channels {
		for j := i + 1; j < len(channels); j++ {
			d := rec.Probe.DistanceUm(channels[i], channels[j])
			if math.IsInf(d, 0) {
				continue
			}
			out = append(out, CorrPoint{d, pearson(traces[i], traces[j], mask[i], mask[j])})
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].DistanceUm < out[b].DistanceUm })
	return out
}

func pearson(a, b []float64, ma, mb []bool) float64 {
	var sa, sb, saa, sbb, sab, n float64
	for i := range a {
		if ma[i] || mb[i] {
			continue
		}
		sa, sb, n = sa+a[i], sb+b[i], n+1
		saa, sbb, sab = saa+a[i]*a[i], sbb+b[i]*b[i], sab+a[i]*b[i]
	}
	if n < 2 {
		return math.NaN()
	}
	cov := sab/n - sa/n*sb/n
	return cov / math.Sqrt((saa/n-sa/n*sa/n)*(sbb/n-sb/n*sb/n))
}
