package train

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// plotPR draws detector (solid) and amplitude-threshold (dashed) precision-recall curves
// for every noise level on one set of axes and saves a PNG.
func plotPR(rows []DetectRow, path string) error {
	p := plot.New()
	p.Title.Text = "Candidate scoring on held-out simulation"
	p.X.Label.Text = "recall (of all truth spikes)"
	p.Y.Label.Text = "precision"
	p.Y.Min, p.Y.Max = 0, 1.01
	cols := []color.RGBA{{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}}
	for i, r := range rows {
		for j, name := range []string{"detector", "threshold"} {
			l, err := plotter.NewLine(prPoints(r.curves[j]))
			if err != nil {
				return fmt.Errorf("plot pr: %w", err)
			}
			l.Color, l.Width = cols[i%len(cols)], vg.Points(1.5)
			if j == 1 {
				l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
			}
			p.Add(l)
			p.Legend.Add(fmt.Sprintf("%s, noise %.0f uV", name, r.NoiseUV), l)
		}
	}
	p.Legend.Left, p.Legend.Top = true, false
	p.Legend.YOffs = vg.Points(10)
	p.Add(plotter.NewGrid())
	if err := p.Save(7*vg.Inch, 5*vg.Inch, path); err != nil {
		return fmt.Errorf("plot pr: %w", err)
	}
	return nil
}

// prPoints thins a curve to at most ~400 points.
func prPoints(c curve) plotter.XYs {
	step := max(1, len(c.score)/400)
	var pts plotter.XYs
	for k := 0; k < len(c.score); k += step {
		pts = append(pts, plotter.XY{X: c.recall[k], Y: c.prec[k]})
	}
	return pts
}
