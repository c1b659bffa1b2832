// Package dsp holds the causal filters of the preprocessing stage: second-order sections
// designed by the bilinear transform and run over interleaved multichannel blocks. It is pure
// maths: no logging, no goroutines.
package dsp

import (
	"errors"
	"fmt"
	"math"
)

// ErrBadDesign is returned for filter parameters that cannot be realised.
var ErrBadDesign = errors.New("bad filter design")

// Biquad is one second-order section, normalised so that a0 = 1:
// y[n] = B0 x[n] + B1 x[n-1] + B2 x[n-2] - A1 y[n-1] - A2 y[n-2].
type Biquad struct {
	B0, B1, B2, A1, A2 float32
}

// butterworthQ is the pole quality factor of a second-order Butterworth section.
const butterworthQ = 0.7071067811865476

// HighPass returns a second-order Butterworth high-pass section with its corner at cornerHz.
func HighPass(cornerHz, rateHz float64) (Biquad, error) {
	w, err := prewarp(cornerHz, rateHz)
	if err != nil {
		return Biquad{}, err
	}
	cosW, alpha := math.Cos(w), math.Sin(w)/(2*butterworthQ)
	a0 := 1 + alpha
	return Biquad{
		B0: float32((1 + cosW) / 2 / a0),
		B1: float32(-(1 + cosW) / a0),
		B2: float32((1 + cosW) / 2 / a0),
		A1: float32(-2 * cosW / a0),
		A2: float32((1 - alpha) / a0),
	}, nil
}

// LowPass returns a second-order Butterworth low-pass section with its corner at cornerHz.
func LowPass(cornerHz, rateHz float64) (Biquad, error) {
	w, err := prewarp(cornerHz, rateHz)
	if err != nil {
		return Biquad{}, err
	}
	cosW, alpha := math.Cos(w), math.Sin(w)/(2*butterworthQ)
	a0 := 1 + alpha
	return Biquad{
		B0: float32((1 - cosW) / 2 / a0),
		B1: float32((1 - cosW) / a0),
		B2: float32((1 - cosW) / 2 / a0),
		A1: float32(-2 * cosW / a0),
		A2: float32((1 - alpha) / a0),
	}, nil
}

func prewarp(cornerHz, rateHz float64) (float64, error) {
	if !(rateHz > 0) || !(cornerHz > 0) || cornerHz >= rateHz/2 {
		return 0, fmt.Errorf("%w: corner %g Hz at %g Hz sampling", ErrBadDesign, cornerHz, rateHz)
	}
	return 2 * math.Pi * cornerHz / rateHz, nil
}

// DCGain returns the section's gain at 0 Hz.
func (b Biquad) DCGain() float64 {
	return float64(b.B0+b.B1+b.B2) / float64(1+b.A1+b.A2)
}

// Gain returns the magnitude of the section's response at freqHz.
func (b Biquad) Gain(freqHz, rateHz float64) float64 {
	w := 2 * math.Pi * freqHz / rateHz
	z1 := complex(math.Cos(-w), math.Sin(-w))
	z2 := z1 * z1
	num := complex(float64(b.B0), 0) + complex(float64(b.B1), 0)*z1 + complex(float64(b.B2), 0)*z2
	den := 1 + complex(float64(b.A1), 0)*z1 + complex(float64(b.A2), 0)*z2
	return cmplxAbs(num / den)
}

func cmplxAbs(c complex128) float64 { return math.Hypot(real(c), imag(c)) }
