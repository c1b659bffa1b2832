package sim

import (
	"fmt"
	"math"

	"github.com/spikestream/spikestream/sim/neuron"
)

// Template window around the trough, ms, and the cosine tapers at its ends, ms. Every
// template is tapered to zero at both ends so that adding it never leaves a step.
const (
	templatePreMs    = 1.0
	templatePostMs   = 2.0
	templateTaperIn  = 0.25
	templateTaperOut = 0.5
	// troughContacts is how many contacts nearest the soma are projected at the library's
	// native time step to find the trough time.
	troughContacts = 8
)

// templateGeometry returns the template length and trough index at sample rate fsHz.
func templateGeometry(fsHz float64) (pre, total int) {
	pre = int(math.Round(templatePreMs * fsHz / 1000))
	post := int(math.Round(templatePostMs * fsHz / 1000))
	return pre, pre + post + 1
}

// sparseTemplate is a waveform on a subset of channels, samples x len(channels),
// sample-major (the layout of the interleaved output), in uV.
type sparseTemplate struct {
	channels []int32
	data     []float32
}

// placement is a library cell put into probe space.
type placement struct {
	src    *neuron.Sources
	somaUm [3]float64 // probe coordinates; z is the distance from the probe plane
	rot    neuron.Rotation
}

// troughTime projects the cell at its native time step onto the nContacts nearest the soma,
// after the amplifier low-pass, and returns the time of the deepest trough (ms from the
// window start, refined between steps with a parabola) and its depth in uV (positive for a
// negative trough).
func troughTime(pl placement, contacts [][3]float64, fsHz float64, nContacts int) (tMs,
	depthUV float64, err error) {
	near := nearestContacts(contacts, pl.somaUm, nContacts)
	pts := make([][3]float64, len(near))
	rows := make([][]float32, len(near))
	for i, c := range near {
		pts[i] = contacts[c]
		rows[i] = make([]float32, pl.src.NumSteps())
	}
	if err := pl.src.Potential(pts, pl.somaUm, pl.rot, 0, rows); err != nil {
		return 0, 0, fmt.Errorf("trough time: %w", err)
	}
	best, bestK, bestRow := math.Inf(1), 0, 0
	for i, row := range rows {
		lowPass(row, pl.src.DtMs, amplifierCornerHz(fsHz))
		for k, v := range row {
			if float64(v) < best {
				best, bestK, bestRow = float64(v), k, i
			}
		}
	}
	return (float64(bestK) + parabolaOffset(rows[bestRow], bestK)) * pl.src.DtMs, -best, nil
}

// parabolaOffset returns the offset in (-0.5, 0.5) of the vertex of the parabola through
// x[k-1], x[k], x[k+1] (0 at the ends).
func parabolaOffset(x []float32, k int) float64 {
	if k <= 0 || k >= len(x)-1 {
		return 0
	}
	a, b, c := float64(x[k-1]), float64(x[k]), float64(x[k+1])
	den := a - 2*b + c
	if den == 0 {
		return 0
	}
	return clamp(0.5*(a-c)/den, -0.5, 0.5)
}

// lowPass runs a causal one-pole low-pass with corner cornerHz over x sampled every dtMs.
func lowPass(x []float32, dtMs, cornerHz float64) {
	a := float32(math.Exp(-2 * math.Pi * cornerHz * dtMs / 1000))
	var s float32
	for i, v := range x {
		s = a*s + (1-a)*v
		x[i] = s
	}
}

// nearestContacts returns the indices of the n contacts nearest p, nearest first.
func nearestContacts(contacts [][3]float64, p [3]float64, n int) []int {
	idx := make([]int, 0, n+1)
	d := func(c int) float64 { return dist3(contacts[c], p) }
	for c := range contacts {
		i := len(idx)
		for i > 0 && d(idx[i-1]) > d(c) {
			i--
		}
		if i < n {
			idx = append(idx, 0)
			copy(idx[i+1:], idx[i:])
			idx[i] = c
			idx = idx[:min(len(idx), n)]
		}
	}
	return idx
}

func dist3(a, b [3]float64) float64 {
	return math.Sqrt((a[0]-b[0])*(a[0]-b[0]) + (a[1]-b[1])*(a[1]-b[1]) +
		(a[2]-b[2])*(a[2]-b[2]))
}

// resampledSources returns a copy of src whose currents are low-passed like the
// amplifier, resampled at phases times fsHz and tapered, so that Potential on it yields
// templates directly (cut into phases by splitPhases). The fine grid has pre*phases +
// phases/2 samples before the trough (at tTroughMs of src's window) and
// (total+1)*phases in all, where pre and total are templateGeometry(fsHz). Linear
// filtering and resampling commute with the (linear) projection.
func resampledSources(src *neuron.Sources, tTroughMs, fsHz float64,
	phases int) *neuron.Sources {
	out := *src
	out.CurrentsNA = resampleRows(src.CurrentsNA, src.DtMs, tTroughMs, fsHz, phases)
	pre, total := templateGeometry(fsHz)
	out.DtMs = 1000 / (fsHz * float64(phases))
	out.PeakStep = pre*phases + phases/2
	out.SomaVmMV = make([]float32, total*phases+2*(phases/2))
	return &out
}

// resampleRows low-passes each row (sampled every dtMs) like the amplifier and resamples
// it on the fine template grid of resampledSources, tapered. It allocates the result.
func resampleRows(rows [][]float32, dtMs, tTroughMs, fsHz float64,
	phases int) [][]float32 {
	pre, total := templateGeometry(fsHz)
	pre, total = pre*phases+phases/2, total*phases+2*(phases/2)
	fineHz := fsHz * float64(phases)
	fineDtMs := 1000 / fineHz
	taper := templateTaper(fineHz, total)
	out := make([][]float32, len(rows))
	var buf []float32
	for i, r := range rows {
		buf = append(buf[:0], r...)
		lowPass(buf, dtMs, amplifierCornerHz(fsHz))
		row := make([]float32, total)
		for n := range row {
			tMs := tTroughMs + float64(n-pre)*fineDtMs
			row[n] = cubicAt(buf, tMs/dtMs) * taper[n]
		}
		out[i] = row
	}
	return out
}

// templateTaper returns the window that tapers templates to zero at both ends.
func templateTaper(fsHz float64, total int) []float32 {
	w := make([]float32, total)
	in := max(1, templateTaperIn*fsHz/1000)
	out := max(1, templateTaperOut*fsHz/1000)
	for n := range w {
		x := 1.0
		if f := float64(n) / in; f < 1 {
			x = 0.5 - 0.5*math.Cos(math.Pi*f)
		}
		if f := float64(total-1-n) / out; f < 1 {
			x *= 0.5 - 0.5*math.Cos(math.Pi*f)
		}
		w[n] = float32(x)
	}
	return w
}

// cubicAt interpolates x at fractional index pos with a Catmull-Rom cubic; outside the
// array the signal is taken as zero.
func cubicAt(x []float32, pos float64) float32 {
	i := int(math.Floor(pos))
	f := float32(pos - float64(i))
	at := func(k int) float32 {
		if k < 0 || k >= len(x) {
			return 0
		}
		return x[k]
	}
	p0, p1, p2, p3 := at(i-1), at(i), at(i+1), at(i+2)
	return p1 + 0.5*f*(p2-p0+f*(2*p0-5*p1+4*p2-p3+f*(3*(p1-p2)+p3-p0)))
}

// project returns the template of the placed (resampled) cell on the given channels,
// sample-major.
func project(rs *neuron.Sources, pl placement, contacts [][3]float64,
	channels []int32) (sparseTemplate, error) {
	pts := make([][3]float64, len(channels))
	rows := make([][]float32, len(channels))
	for i, c := range channels {
		pts[i] = contacts[c]
		rows[i] = make([]float32, rs.NumSteps())
	}
	if err := rs.Potential(pts, pl.somaUm, pl.rot, 0, rows); err != nil {
		return sparseTemplate{}, fmt.Errorf("project template: %w", err)
	}
	t := sparseTemplate{channels: channels, data: make([]float32, len(channels)*rs.NumSteps())}
	for i, row := range rows {
		for n, v := range row {
			t.data[n*len(channels)+i] = v
		}
	}
	return t, nil
}

// channelsNear returns the channels whose contacts lie within radiusUm (in the probe
// plane) of the segment from (x, y0) to (x, y1).
func channelsNear(contacts [][3]float64, x, y0, y1, radiusUm float64) []int32 {
	lo, hi := math.Min(y0, y1), math.Max(y0, y1)
	var out []int32
	for c, p := range contacts {
		dy := 0.0
		if p[1] < lo {
			dy = lo - p[1]
		} else if p[1] > hi {
			dy = p[1] - hi
		}
		if math.Hypot(p[0]-x, dy) <= radiusUm {
			out = append(out, int32(c))
		}
	}
	return out
}

// peakOf returns the channel (probe index) and depth (uV, positive for a negative trough)
// of the deepest point of a template.
func peakOf(t sparseTemplate) (channel int, depthUV float64) {
	n := len(t.channels)
	best, bestI := float32(math.Inf(1)), 0
	for k, v := range t.data {
		if v < best {
			best, bestI = v, k%n
		}
	}
	if n == 0 {
		return -1, 0
	}
	return int(t.channels[bestI]), -float64(best)
}
