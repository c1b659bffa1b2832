package library

import (
	"errors"
	"fmt"
	"math"

	"github.com/spikestream/spikestream/sim/neuron"
)

// diskCell is the stored form of a neuron.Sources. Currents are quantised to 16 bits per
// sample with one scale per segment (relative error below 2e-5 of the segment's largest
// current) and stored as successive differences, which deflate compresses well because
// the currents are smooth. Geometry is stored in float32 (sub-nm precision at cell scale).
type diskCell struct {
	Class      string
	Start, End [][3]float32
	Parent     []int32
	Kind       []neuron.SegKind
	DiamUm     []float32 // empty when the Sources had none
	ScaleNA    []float32 // nA per quantisation step, per segment
	Deltas     [][]int16 // [segment][step] differences of the quantised current
	DtMs       float64
	PeakStep   int
	SomaVmMV   []float32
	StimNA     float64
	StimStep   int
}

func toDisk(s *neuron.Sources) diskCell {
	n := s.NumSegments()
	d := diskCell{Class: s.Class, DtMs: s.DtMs, PeakStep: s.PeakStep, SomaVmMV: s.SomaVmMV,
		StimNA: s.StimNA, StimStep: s.StimStep,
		Start: make([][3]float32, n), End: make([][3]float32, n), Parent: make([]int32, n),
		Kind: s.Kind, ScaleNA: make([]float32, n), Deltas: make([][]int16, n)}
	for i := range n {
		d.Start[i], d.End[i] = to32(s.Start[i]), to32(s.End[i])
		d.Parent[i] = int32(s.Parent[i])
		if s.DiamUm != nil {
			d.DiamUm = append(d.DiamUm, float32(s.DiamUm[i]))
		}
		d.ScaleNA[i], d.Deltas[i] = quantise(s.CurrentsNA[i])
	}
	return d
}

// quantise returns the scale and the differences of round(x/scale).
func quantise(x []float32) (float32, []int16) {
	var peak float64
	for _, v := range x {
		peak = max(peak, math.Abs(float64(v)))
	}
	scale := float32(peak / 32767)
	if scale == 0 {
		scale = 1
	}
	out := make([]int16, len(x))
	var prev int16
	for t, v := range x {
		q := int16(math.Round(float64(v / scale)))
		out[t] = q - prev // wraps modulo 2^16; dequantise wraps back
		prev = q
	}
	return scale, out
}

func dequantise(scale float32, deltas []int16) []float32 {
	out := make([]float32, len(deltas))
	var q int16
	for t, d := range deltas {
		q += d
		out[t] = float32(q) * scale
	}
	return out
}

func fromDisk(d diskCell) (*neuron.Sources, error) {
	n := len(d.Start)
	if len(d.End) != n || len(d.Parent) != n || len(d.Kind) != n || len(d.ScaleNA) != n ||
		len(d.Deltas) != n || (len(d.DiamUm) != 0 && len(d.DiamUm) != n) {
		return nil, errors.New("segment arrays differ in length")
	}
	s := &neuron.Sources{Class: d.Class, DtMs: d.DtMs, PeakStep: d.PeakStep,
		SomaVmMV: d.SomaVmMV, StimNA: d.StimNA, StimStep: d.StimStep, Kind: d.Kind,
		Start: make([][3]float64, n), End: make([][3]float64, n), Parent: make([]int, n),
		CurrentsNA: make([][]float32, n)}
	for i := range n {
		if !finite32(d.ScaleNA[i]) {
			return nil, fmt.Errorf("segment %d: scale %g", i, d.ScaleNA[i])
		}
		s.Start[i], s.End[i] = to64(d.Start[i]), to64(d.End[i])
		s.Parent[i] = int(d.Parent[i])
		if len(d.DiamUm) == n {
			s.DiamUm = append(s.DiamUm, float64(d.DiamUm[i]))
		}
		s.CurrentsNA[i] = dequantise(d.ScaleNA[i], d.Deltas[i])
	}
	return s, nil
}

func finite32(v float32) bool {
	f := float64(v)
	return !math.IsNaN(f) && !math.IsInf(f, 0)
}

func to32(p [3]float64) [3]float32 {
	return [3]float32{float32(p[0]), float32(p[1]), float32(p[2])}
}

func to64(p [3]float32) [3]float64 {
	return [3]float64{float64(p[0]), float64(p[1]), float64(p[2])}
}
