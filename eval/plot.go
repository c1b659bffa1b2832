package eval

import (
	"cmp"
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// ErrNothingToPlot is returned when a figure would be empty (no units, or no known SNR).
var ErrNothingToPlot = errors.New("nothing to plot")

// maxTickLabels is the most unit-id labels an agreement axis gets.
const maxTickLabels = 30

// PlotAccuracySNR saves a scatter plot of each true unit's accuracy against its SNR to path
// (the extension picks the format: .png, .svg, .pdf), with dashed lines at the
// well-detected accuracy and the SNR floor. Units of unknown SNR are left out; if none is
// known it returns ErrNothingToPlot.
func PlotAccuracySNR(path string, r *Result) error {
	var pts plotter.XYs
	maxSNR := 0.0
	for _, u := range r.Units {
		if !math.IsNaN(u.SNR) {
			pts = append(pts, plotter.XY{X: u.SNR, Y: u.Accuracy})
			maxSNR = max(maxSNR, u.SNR)
		}
	}
	if len(pts) == 0 {
		return fmt.Errorf("accuracy vs SNR: %w: no unit has a known SNR", ErrNothingToPlot)
	}

	p := plot.New()
	p.Title.Text = fmt.Sprintf("accuracy vs SNR: %d of %d well detected, mean %s",
		r.Summary.NumWellDetected, r.Summary.NumTrue, fmtFloat(r.Summary.MeanAccuracy, 2))
	p.X.Label.Text = "SNR (peak template amplitude / noise)"
	p.Y.Label.Text = "accuracy tp / (tp + fn + fp)"
	p.X.Min, p.X.Max = 0, maxSNR*1.05+1
	p.Y.Min, p.Y.Max = 0, 1.02
	p.Add(plotter.NewGrid())

	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return fmt.Errorf("accuracy vs SNR: %w", err)
	}
	sc.GlyphStyle.Radius = vg.Points(2.5)
	sc.GlyphStyle.Color = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	p.Add(sc)
	if err := addGuides(p, r.Options.WellDetected, r.Options.MinSNR, p.X.Max); err != nil {
		return fmt.Errorf("accuracy vs SNR: %w", err)
	}
	if err := p.Save(6*vg.Inch, 4.5*vg.Inch, path); err != nil {
		return fmt.Errorf("accuracy vs SNR: %w", err)
	}
	return nil
}

// addGuides draws a dashed horizontal line at accuracy acc and a vertical one at snr.
func addGuides(p *plot.Plot, acc, snr, xMax float64) error {
	h, err := plotter.NewLine(plotter.XYs{{X: 0, Y: acc}, {X: xMax, Y: acc}})
	if err != nil {
		return err
	}
	v, err := plotter.NewLine(plotter.XYs{{X: snr, Y: 0}, {X: snr, Y: 1.02}})
	if err != nil {
		return err
	}
	for _, l := range []*plotter.Line{h, v} {
		l.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		l.LineStyle.Color = color.Gray{Y: 110}
		p.Add(l)
	}
	return nil
}

// agreementGrid is the agreement matrix laid out for plotting: columns are sorted units,
// rows true units, both reordered, row 0 drawn at the top.
type agreementGrid struct {
	r          *Result
	rows, cols []int // matrix indices in display order
}

func (g agreementGrid) Dims() (c, r int) { return len(g.cols), len(g.rows) }
func (g agreementGrid) X(c int) float64  { return float64(c) }
func (g agreementGrid) Y(r int) float64  { return float64(r) }
func (g agreementGrid) Z(c, r int) float64 {
	return g.r.AgreementAt(g.rows[len(g.rows)-1-r], g.cols[c])
}

// displayOrder orders true units by SNR (highest first; unknown last, then by id) and sorted
// units so that each true unit's paired sorted unit sits on the diagonal, followed by the
// unpaired sorted units grouped by their best-matching true unit.
func displayOrder(r *Result) (rows, cols []int) {
	rows = make([]int, len(r.TrueIDs))
	for i := range rows {
		rows[i] = i
	}
	snr := func(i int) float64 {
		if s := r.Units[i].SNR; !math.IsNaN(s) {
			return s
		}
		return math.Inf(-1)
	}
	slices.SortStableFunc(rows, func(a, b int) int { return cmp.Compare(snr(b), snr(a)) })

	rank := make([]int, len(r.SortedIDs)) // display rank of each sorted unit's anchor row
	placed := make([]bool, len(r.SortedIDs))
	for pos, i := range rows {
		if u := r.Units[i]; u.Matched {
			j, _ := slices.BinarySearch(r.SortedIDs, u.SortedID)
			cols = append(cols, j)
			placed[j] = true
		}
		for j := range r.SortedIDs {
			if r.AgreementAt(i, j) > r.AgreementAt(rows[rank[j]], j) {
				rank[j] = pos
			}
		}
	}
	var rest []int
	for j, ok := range placed {
		if !ok {
			rest = append(rest, j)
		}
	}
	slices.SortStableFunc(rest, func(a, b int) int { return cmp.Compare(rank[a], rank[b]) })
	return rows, append(cols, rest...)
}

// idTicks labels grid positions with unit ids, thinning to at most maxTickLabels labels.
type idTicks struct {
	ids     []int64
	reverse bool // label position p with ids[len-1-p]
}

func (t idTicks) Ticks(lo, hi float64) []plot.Tick {
	step := max(1, (len(t.ids)+maxTickLabels-1)/maxTickLabels)
	var ticks []plot.Tick
	for p := range t.ids {
		k := p
		if t.reverse {
			k = len(t.ids) - 1 - p
		}
		label := ""
		if k%step == 0 {
			label = strconv.FormatInt(t.ids[k], 10)
		}
		ticks = append(ticks, plot.Tick{Value: float64(p), Label: label})
	}
	return ticks
}

// PlotAgreement saves the agreement matrix between true units (rows, highest SNR at the
// top) and sorted units (columns, paired units on the diagonal) as a heat map, 0 dark to
// 1 bright, to path. It returns ErrNothingToPlot when either side has no units.
func PlotAgreement(path string, r *Result) error {
	if len(r.TrueIDs) == 0 || len(r.SortedIDs) == 0 {
		return fmt.Errorf("agreement matrix: %w: %d true and %d sorted units",
			ErrNothingToPlot, len(r.TrueIDs), len(r.SortedIDs))
	}
	rows, cols := displayOrder(r)
	cmap := moreland.ExtendedBlackBody()
	cmap.SetMin(0)
	cmap.SetMax(1)
	hm := plotter.NewHeatMap(agreementGrid{r: r, rows: rows, cols: cols}, cmap.Palette(256))
	hm.Min, hm.Max = 0, 1

	p := plot.New()
	p.Title.Text = fmt.Sprintf("agreement: %d true x %d sorted units, %d paired",
		len(rows), len(cols), r.Summary.NumMatched)
	p.X.Label.Text = "sorted unit id"
	p.Y.Label.Text = "true unit id (by SNR)"
	p.Add(hm)
	p.X.Min, p.X.Max = -0.5, float64(len(cols))-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(len(rows))-0.5
	p.X.Tick.Marker = idTicks{ids: pick(r.SortedIDs, cols)}
	p.Y.Tick.Marker = idTicks{ids: pick(r.TrueIDs, rows), reverse: true}

	side := vg.Length(max(5, min(12, 0.04*float64(max(len(rows), len(cols)))+4))) * vg.Inch
	if err := saveWithColorBar(path, p, cmap, side*1.25, side); err != nil {
		return fmt.Errorf("agreement matrix: %w", err)
	}
	return nil
}

// colorBarFrac is the share of the figure width given to the colour bar.
const colorBarFrac = 0.15

// saveWithColorBar saves p with a vertical colour bar of cmap on its right, as a PNG when
// path ends in .png and, for other formats, p alone.
func saveWithColorBar(path string, p *plot.Plot, cmap palette.ColorMap, w, h vg.Length) error {
	if !strings.EqualFold(filepath.Ext(path), ".png") {
		return p.Save(w, h, path)
	}
	cb := plot.New()
	cb.HideX()
	cb.Y.Label.Text = "agreement"
	cb.Add(&plotter.ColorBar{ColorMap: cmap, Vertical: true})

	img := vgimg.New(w, h)
	dc := draw.New(img)
	split := w * (1 - colorBarFrac)
	p.Draw(draw.Crop(dc, 0, split-w, 0, 0))
	cb.Draw(draw.Crop(dc, split, 0, vg.Inch/2, -vg.Inch/3))

	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, werr := vgimg.PngCanvas{Canvas: img}.WriteTo(f)
	return errors.Join(werr, f.Close())
}

// pick returns ids[order[0]], ids[order[1]], ...
func pick(ids []int64, order []int) []int64 {
	out := make([]int64, len(order))
	for i, k := range order {
		out[i] = ids[k]
	}
	return out
}
