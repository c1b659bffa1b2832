// Package report measures a simulated recording and writes figures (PNG, gonum/plot) and a
// summary table (report.md) that show whether the simulation looks like real data:
// waveform widths and asymmetry per cell class, amplitude against distance, spatial
// footprint, the noise spectrum and its correlation across channels, and the firing-rate
// and SNR distributions. Nothing here logs; Write allocates freely.
package report

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/spikestream/spikestream/sim"
)

// Window of data the noise measures use, s.
const (
	spectrumS    = 20
	correlationS = 3
	footprintUm  = 200
)

// Write measures rec and writes the figures and report.md into dir (created if missing).
func Write(dir string, rec *sim.Recording) error {
	if rec == nil || rec.Probe == nil || rec.NumSamples == 0 {
		return fmt.Errorf("report: empty recording")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	m := measure(rec)
	steps := []func() error{
		func() error { return plotWaveforms(dir, rec, m.shapes) },
		func() error { return plotWidthAsymmetry(dir, m.shapes) },
		func() error { return plotAmplitudeDistance(dir, m.shapes, rec.Config.NoiseUV) },
		func() error { return plotFootprint(dir, m.footprint, m.footCurve) },
		func() error { return plotSpectrum(dir, m.spectrum) },
		func() error { return plotCorrelation(dir, m.corr, m.corrCurve) },
		func() error {
			return plotHist(dir, "rates.png", "Firing rates", "log10 rate (Hz)",
				m.logRates, 20)
		},
		func() error { return plotHist(dir, "snr.png", "Unit SNR", "SNR", m.snrs, 20) },
		func() error { return plotDrift(dir, rec) },
		func() error { return writeMarkdown(filepath.Join(dir, "report.md"), rec, m) },
	}
	for _, step := range steps {
		if err := guarded(step); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	return nil
}

// guarded runs step and turns a panic inside gonum/plot (which panics on some degenerate
// data, such as empty log axes) into an error.
func guarded(step func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("plotting: %v", r)
		}
	}()
	return step()
}

// measures holds everything the figures and the table show.
type measures struct {
	shapes         []Shape
	footprint      []FootprintPoint
	footCurve      []binned
	spectrum       Spectrum
	corr           []CorrPoint
	corrCurve      []binned
	logRates, snrs []float64
}

func measure(rec *sim.Recording) measures {
	m := measures{shapes: Shapes(rec), footprint: Footprint(rec, footprintUm),
		spectrum: NoiseSpectrum(rec, spectrumS), corr: NoiseCorrelation(rec, correlationS)}
	fx := make([]float64, len(m.footprint))
	fy := make([]float64, len(m.footprint))
	for i, f := range m.footprint {
		fx[i], fy[i] = f.DistanceUm, f.Relative
	}
	m.footCurve = binMedian(fx, fy, 10)
	cx := make([]float64, 0, len(m.corr))
	cy := make([]float64, 0, len(m.corr))
	for _, c := range m.corr {
		if !math.IsNaN(c.Corr) {
			cx, cy = append(cx, c.DistanceUm), append(cy, c.Corr)
		}
	}
	m.corrCurve = binMedian(cx, cy, 10)
	for _, u := range rec.Units {
		if u.RateHz > 0 {
			m.logRates = append(m.logRates, math.Log10(u.RateHz))
		}
		m.snrs = append(m.snrs, u.SNR)
	}
	return m
}

// binned is the median y of the points with x in [x-w/2, x+w/2).
type binned struct{ x, y float64 }

func binMedian(x, y []float64, width float64) []binned {
	groups := map[int][]float64{}
	for i := range x {
		k := int(math.Floor(x[i]/width + 0.5))
		groups[k] = append(groups[k], y[i])
	}
	keys := make([]int, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	out := make([]binned, 0, len(keys))
	for _, k := range keys {
		out = append(out, binned{float64(k) * width, median(groups[k])})
	}
	return out
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func meanSD(v []float64) (float64, float64) {
	if len(v) == 0 {
		return math.NaN(), math.NaN()
	}
	var s, s2 float64
	for _, x := range v {
		s += x
		s2 += x * x
	}
	n := float64(len(v))
	mean := s / n
	return mean, math.Sqrt(math.Max(s2/n-mean*mean, 0))
}

// curveAt returns the binned median of the bin nearest to x, and that bin's distance.
func curveAt(c []binned, x float64) (float64, float64) {
	best := -1
	for i, b := range c {
		if best < 0 || math.Abs(b.x-x) < math.Abs(c[best].x-x) {
			best = i
		}
	}
	if best < 0 {
		return math.NaN(), math.NaN()
	}
	return c[best].y, c[best].x
}

// decayUm returns the first distance at which the curve falls below level.
func decayUm(c []binned, level float64) float64 {
	for _, b := range c {
		if b.y < level {
			return b.x
		}
	}
	return math.NaN()
}

func writeMarkdown(path string, rec *sim.Recording, m measures) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	werr := markdown(f, rec, m)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	return werr
}

func markdown(w io.Writer, rec *sim.Recording, m measures) error {
	c := rec.Config
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("# Simulated recording report\n\n")
	p("Probe %s (%d channels), %.1f s at %.0f Hz, %d units, %d truth spikes, seed %d, ",
		rec.Probe.Name, rec.NumChannels(), rec.DurationS(), rec.SampleRateHz,
		len(rec.Units), len(rec.Truth), c.Seed)
	p("noise %.1f uV requested, drift %.0f um, %d jumps, %d clipped samples.\n\n",
		c.NoiseUV, c.DriftUm, c.DriftJumps, rec.ClippedSamples)
	p("## Waveforms per class (peak channel)\n\n")
	p("| class | units | trough uV (mean) | trough-to-peak ms | half-width ms | ")
	p("peak/trough | asymmetry | rate Hz (median) |\n|---|---|---|---|---|---|---|---|\n")
	for _, cls := range classesOf(m.shapes) {
		var peak, tp, hw, asym, ratio, rate []float64
		for _, s := range m.shapes {
			if s.Class == cls {
				peak = append(peak, s.PeakUV)
				tp, hw = append(tp, s.TroughPeakMs), append(hw, s.HalfWidthMs)
				asym, ratio = append(asym, s.Asymmetry), append(ratio, s.PeakTroughRatio)
				rate = append(rate, rec.Units[s.Unit].RateHz)
			}
		}
		pm, _ := meanSD(peak)
		tm, ts := meanSD(tp)
		hm, hs := meanSD(hw)
		am, as := meanSD(asym)
		rm, rs := meanSD(ratio)
		p("| %s | %d | %.0f | %.2f ± %.2f | %.2f ± %.2f | %.2f ± %.2f | %.2f ± %.2f | %.1f |\n",
			cls, len(peak), pm, tm, ts, hm, hs, rm, rs, am, as, median(rate))
	}
	return markdownRest(p, rec, m)
}

func markdownRest(p func(string, ...any), rec *sim.Recording, m measures) error {
	inRange, snrIn := 0, 0
	for _, u := range rec.Units {
		if u.PeakUV >= 40 && u.PeakUV <= 300 {
			inRange++
		}
		if u.SNR >= 4 && u.SNR <= 30 {
			snrIn++
		}
	}
	n := max(len(rec.Units), 1)
	p("\n## Summary\n\n| measure | value |\n|---|---|\n")
	p("| units with 40-300 uV trough | %d of %d (%.0f %%) |\n", inRange, len(rec.Units),
		100*float64(inRange)/float64(n))
	p("| units with SNR 4-30 | %d of %d (%.0f %%) |\n", snrIn, len(rec.Units),
		100*float64(snrIn)/float64(n))
	p("| median SNR | %.1f |\n", median(m.snrs))
	p("| median firing rate | %.2f Hz |\n", math.Pow(10, median(m.logRates)))
	p("| footprint: distance where ptp falls below 50 %% / 10 %% | %.0f / %.0f um |\n",
		decayUm(m.footCurve, 0.5), decayUm(m.footCurve, 0.1))
	p("| noise RMS (spike-free samples) | %.2f uV (requested %.1f) |\n", m.spectrum.RMSUV,
		rec.Config.NoiseUV)
	p("| noise PSD slope 300-3000 Hz (log-log) | %.2f |\n", m.spectrum.Slope)
	for _, d := range []float64{20, 40, 100} {
		v, at := curveAt(m.corrCurve, d)
		p("| noise correlation at %.0f um (median of the 10 um bin) | %.2f |\n", at, v)
	}
	p("\nFigures: waveforms.png, width_asymmetry.png, amplitude_distance.png, footprint.png, ")
	p("noise_spectrum.png, noise_correlation.png, rates.png, snr.png")
	if len(rec.DriftTraceUm) > 0 {
		p(", drift.png")
	}
	p(".\n")
	return nil
}
