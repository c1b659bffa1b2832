package report

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/spikestream/spikestream/sim"
)

// Figure size of every PNG.
const figW, figH = 6 * vg.Inch, 4 * vg.Inch

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Add(plotter.NewGrid())
	return p
}

func save(p *plot.Plot, dir, name string) error {
	if err := p.Save(figW, figH, filepath.Join(dir, name)); err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	return nil
}

// classesOf returns the sorted class names of the shapes.
func classesOf(shapes []Shape) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range shapes {
		if !seen[s.Class] {
			seen[s.Class] = true
			out = append(out, s.Class)
		}
	}
	sort.Strings(out)
	return out
}

// addClassScatter adds one scatter per class of the points xy(shape), with a legend.
func addClassScatter(p *plot.Plot, shapes []Shape, xy func(Shape) (float64, float64)) error {
	for i, cls := range classesOf(shapes) {
		var pts plotter.XYs
		for _, s := range shapes {
			if s.Class == cls {
				x, y := xy(s)
				pts = append(pts, plotter.XY{X: x, Y: y})
			}
		}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return err
		}
		sc.GlyphStyle.Color = plotutil.Color(i)
		sc.GlyphStyle.Shape = plotutil.Shape(i)
		sc.GlyphStyle.Radius = vg.Points(2.5)
		p.Add(sc)
		p.Legend.Add(cls, sc)
	}
	p.Legend.Top = true
	return nil
}

func plotWaveforms(dir string, rec *sim.Recording, shapes []Shape) error {
	p := newPlot("Mean peak-channel waveform per class (trough = -1)", "time from trough (ms)",
		"normalised amplitude")
	msPer := 1000 / rec.SampleRateHz
	for i, cls := range classesOf(shapes) {
		mean := make([]float64, rec.TemplateSamples)
		n := 0
		for _, s := range shapes {
			if s.Class != cls {
				continue
			}
			w := peakWaveform(rec, s.Unit)
			depth := -w[rec.TemplatePre]
			if depth <= 0 {
				continue
			}
			for k, v := range w {
				mean[k] += v / depth
			}
			n++
		}
		pts := make(plotter.XYs, len(mean))
		for k := range mean {
			pts[k] = plotter.XY{X: float64(k-rec.TemplatePre) * msPer, Y: mean[k] / float64(max(n, 1))}
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		l.Color = plotutil.Color(i)
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (n=%d)", cls, n), l)
	}
	p.Legend.Top = false // the lower right corner is empty: traces are back at zero
	return save(p, dir, "waveforms.png")
}

func plotWidthAsymmetry(dir string, shapes []Shape) error {
	p := newPlot("Waveform width and repolarisation peak", "trough-to-peak width (ms)",
		"peak after trough / trough depth")
	if err := addClassScatter(p, shapes, func(s Shape) (float64, float64) {
		return s.TroughPeakMs, s.PeakTroughRatio
	}); err != nil {
		return err
	}
	p.Legend.Top, p.Legend.Left = false, true
	return save(p, dir, "width_asymmetry.png")
}

// niceLogTicks labels 1-2-5 steps on a log axis.
type niceLogTicks struct{}

// Ticks returns the 1-2-5 ticks between lo and hi.
func (niceLogTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for dec := math.Pow(10, math.Floor(math.Log10(math.Max(lo, 1e-9)))); dec <= hi; dec *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if v := m * dec; v >= lo && v <= hi {
				out = append(out, plot.Tick{Value: v, Label: fmt.Sprintf("%g", v)})
			}
		}
	}
	return out
}

func plotAmplitudeDistance(dir string, shapes []Shape, noiseUV float64) error {
	p := newPlot("Trough amplitude against distance", "soma to nearest contact (um)",
		"trough depth (uV, log)")
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = niceLogTicks{}
	if err := addClassScatter(p, shapes, func(s Shape) (float64, float64) {
		return s.DistanceUm, math.Max(s.PeakUV, 1)
	}); err != nil {
		return err
	}
	noise := plotter.NewFunction(func(float64) float64 { return 5 * noiseUV })
	noise.Color = color.Gray{Y: 120}
	noise.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(noise)
	p.Legend.Add("5x noise RMS", noise)
	p.Legend.Top, p.Legend.Left = true, false
	return save(p, dir, "amplitude_distance.png")
}

func plotFootprint(dir string, pts []FootprintPoint, curve []binned) error {
	p := newPlot("Spatial footprint", "distance from peak channel (um)",
		"peak-to-peak / peak channel's")
	xy := make(plotter.XYs, len(pts))
	for i, f := range pts {
		xy[i] = plotter.XY{X: f.DistanceUm, Y: f.Relative}
	}
	sc, err := plotter.NewScatter(xy)
	if err != nil {
		return err
	}
	sc.GlyphStyle.Radius = vg.Points(1)
	sc.GlyphStyle.Color = color.NRGBA{R: 60, G: 80, B: 200, A: 90}
	p.Add(sc)
	if err := addBinnedLine(p, curve, "median per 10 um"); err != nil {
		return err
	}
	return save(p, dir, "footprint.png")
}

func addBinnedLine(p *plot.Plot, curve []binned, label string) error {
	line := make(plotter.XYs, 0, len(curve))
	for _, b := range curve {
		line = append(line, plotter.XY{X: b.x, Y: b.y})
	}
	if len(line) == 0 {
		return nil
	}
	l, err := plotter.NewLine(line)
	if err != nil {
		return err
	}
	l.Color = color.RGBA{R: 200, A: 255}
	l.Width = vg.Points(2)
	p.Add(l)
	p.Legend.Add(label, l)
	p.Legend.Top = true
	return nil
}

func plotSpectrum(dir string, sp Spectrum) error {
	p := newPlot(fmt.Sprintf("Noise spectrum (spike-free samples, %d channels)", sp.Channels),
		"frequency (Hz, log)", "PSD (uV^2/Hz, log)")
	var pts plotter.XYs
	for k, f := range sp.FreqHz {
		if f >= 10 && sp.PSD[k] > 0 {
			pts = append(pts, plotter.XY{X: f, Y: sp.PSD[k]})
		}
	}
	if len(pts) < 2 {
		p.Title.Text += ": no spike-free stretch found"
		return save(p, dir, "noise_spectrum.png")
	}
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	l.Width = vg.Points(1.5)
	p.Add(l)
	p.Legend.Add(fmt.Sprintf("slope 300-3000 Hz: %.2f", sp.Slope), l)
	p.Legend.Top = true
	return save(p, dir, "noise_spectrum.png")
}

func plotCorrelation(dir string, pts []CorrPoint, curve []binned) error {
	p := newPlot("Noise correlation between channels", "inter-contact distance (um)",
		"correlation coefficient")
	xy := make(plotter.XYs, 0, len(pts))
	for _, c := range pts {
		if !math.IsNaN(c.Corr) {
			xy = append(xy, plotter.XY{X: c.DistanceUm, Y: c.Corr})
		}
	}
	if len(xy) > 0 {
		sc, err := plotter.NewScatter(xy)
		if err != nil {
			return err
		}
		sc.GlyphStyle.Radius = vg.Points(1.2)
		sc.GlyphStyle.Color = color.NRGBA{R: 60, G: 80, B: 200, A: 110}
		p.Add(sc)
	}
	if err := addBinnedLine(p, curve, "median per 10 um"); err != nil {
		return err
	}
	return save(p, dir, "noise_correlation.png")
}

func plotHist(dir, name, title, x string, values []float64, bins int) error {
	p := newPlot(title, x, "units")
	if len(values) == 0 {
		return save(p, dir, name)
	}
	h, err := plotter.NewHist(plotter.Values(values), bins)
	if err != nil {
		return err
	}
	h.FillColor = color.RGBA{R: 90, G: 130, B: 200, A: 255}
	p.Add(h)
	return save(p, dir, name)
}

// plotDrift draws the rigid drift trace, when the recording has one.
func plotDrift(dir string, rec *sim.Recording) error {
	if len(rec.DriftTraceUm) == 0 {
		return nil
	}
	p := newPlot("Rigid drift of the cells relative to the probe", "time (s)",
		"displacement along the shank (um)")
	pts := make(plotter.XYs, len(rec.DriftTraceUm))
	for i, v := range rec.DriftTraceUm {
		pts[i] = plotter.XY{X: float64(i) * rec.DriftStepS, Y: float64(v)}
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return err
	}
	l.Width = vg.Points(1.5)
	p.Add(l)
	return save(p, dir, "drift.png")
}
