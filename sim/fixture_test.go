package sim

import (
	"math"

	"github.com/spikestream/spikestream/sim/neuron"
)

// fixtureCell hand-builds a tiny cell for tests: a soma sink of widthMs (Gaussian) with a
// later, slower outward phase, balanced at every step by return currents spread over
// four dendrite segments along +y and an axon stub along -y. Currents sum to zero at
// every step, like a real closed cell. peakNA scales the soma sink.
func fixtureCell(class string, widthMs, peakNA float64) *neuron.Sources {
	const dtMs, pre, post = 0.02, 100, 200
	steps := pre + post + 1
	s := &neuron.Sources{Class: class, DtMs: dtMs, PeakStep: pre,
		SomaVmMV: make([]float32, steps)}
	addSeg := func(a, b [3]float64, parent int, kind neuron.SegKind) {
		s.Start = append(s.Start, a)
		s.End = append(s.End, b)
		s.Parent = append(s.Parent, parent)
		s.Kind = append(s.Kind, kind)
		s.CurrentsNA = append(s.CurrentsNA, make([]float32, steps))
	}
	addSeg([3]float64{0, -6, 0}, [3]float64{0, 6, 0}, -1, neuron.Soma)
	for i := range 4 {
		y := 6 + 40*float64(i)
		addSeg([3]float64{0, y, 0}, [3]float64{0, y + 40, 0}, i, neuron.Apical)
	}
	addSeg([3]float64{0, -6, 0}, [3]float64{0, -46, 0}, 0, neuron.Axon)
	for k := range steps {
		t := float64(k-pre) * dtMs
		sink := -peakNA * math.Exp(-t*t/(2*widthMs*widthMs))
		rebound := 0.25 * peakNA * math.Exp(-(t-3*widthMs)*(t-3*widthMs)/(8*widthMs*widthMs))
		soma := sink + rebound
		s.CurrentsNA[0][k] = float32(soma)
		s.SomaVmMV[k] = float32(-65 - 100*sink/peakNA)
		for i := 1; i <= 4; i++ {
			s.CurrentsNA[i][k] = float32(-soma * 0.8 / 4)
		}
		s.CurrentsNA[5][k] = float32(-soma * 0.2)
	}
	return s
}

// fixtureLibrary returns a small library of hand-built cells of two classes.
func fixtureLibrary() []*neuron.Sources {
	var lib []*neuron.Sources
	for i := range 6 {
		lib = append(lib, fixtureCell(neuron.PyramidalSmall, 0.12+0.02*float64(i%3),
			8+2*float64(i)))
	}
	for i := range 3 {
		lib = append(lib, fixtureCell(neuron.FSInterneuron, 0.07, 6+2*float64(i)))
	}
	return lib
}
