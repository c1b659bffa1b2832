package report

import (
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/sim"
)

// fakeRecording builds a tetrode recording of white noise (noiseUV RMS) with two units
// whose peak-channel templates are a Gaussian trough (sigma sigmaMs) followed by a
// Gaussian positive peak peakAfterMs later at ratio times the trough depth; channel c
// carries the template scaled by 1/(1+c). Each unit has spikes every 100 ms (not added to
// the samples: the noise measures must ignore them anyway).
func fakeRecording(noiseUV, sigmaMs, peakAfterMs, ratio float64) *sim.Recording {
	const fs, dur = 30000.0, 4.0
	p := probe.Tetrode()
	n := int(fs * dur)
	rec := &sim.Recording{Probe: p, SampleRateHz: fs, UVPerBit: 0.1, NumSamples: n,
		Config: sim.Config{NoiseUV: noiseUV, Probe: p}, TemplateSamples: 90, TemplatePre: 30}
	r := rand.New(rand.NewPCG(1, 2))
	rec.Samples = make([]int16, n*4)
	for i := range rec.Samples {
		rec.Samples[i] = int16(math.Round(noiseUV * r.NormFloat64() / rec.UVPerBit))
	}
	for u := range 2 {
		class := []string{"fs-interneuron", "pyramidal-small"}[u]
		rec.Units = append(rec.Units, sim.UnitInfo{ID: u, Class: class, PeakChannel: 0,
			PeakUV: 100, SNR: 100 / noiseUV, RateHz: 10, ZUm: 20})
		for k := range 90 {
			tMs := float64(k-30) / fs * 1000
			v := -100*math.Exp(-tMs*tMs/(2*sigmaMs*sigmaMs)) +
				ratio*100*math.Exp(-(tMs-peakAfterMs)*(tMs-peakAfterMs)/(2*0.1*0.1))
			for c := range 4 {
				rec.Templates = append(rec.Templates, float32(v/float64(1+c)))
			}
		}
		for s := int64(1000 + 37*u); s < int64(n); s += 3000 {
			rec.Truth = append(rec.Truth, sim.TruthSpike{Sample: s, Unit: u})
		}
	}
	return rec
}

func TestShapes(t *testing.T) {
	rec := fakeRecording(10, 0.1, 0.5, 0.3)
	for _, s := range Shapes(rec) {
		if math.Abs(s.TroughPeakMs-0.5) > 0.04 {
			t.Errorf("trough to peak %.3f ms, want 0.5", s.TroughPeakMs)
		}
		if want := 2.355 * 0.1; math.Abs(s.HalfWidthMs-want) > 0.03 {
			t.Errorf("half width %.3f ms, want %.3f", s.HalfWidthMs, want)
		}
		if math.Abs(s.PeakTroughRatio-0.3) > 0.03 {
			t.Errorf("peak/trough %.3f, want 0.3", s.PeakTroughRatio)
		}
		if math.Abs(s.DistanceUm-20) > 1e-9 {
			t.Errorf("distance %.2f um, want 20", s.DistanceUm)
		}
	}
	// Channel c carries 1/(1+c) of the peak channel's waveform; channel 3 is the far
	// corner of the tetrode.
	fp := Footprint(rec, 100)
	if len(fp) != 8 {
		t.Fatalf("%d footprint points, want 8", len(fp))
	}
	for _, f := range fp {
		if f.DistanceUm > 30 && math.Abs(f.Relative-0.25) > 1e-3 {
			t.Errorf("channel at %.1f um: relative %.3f, want 0.25", f.DistanceUm, f.Relative)
		}
	}
}

func TestNoiseSpectrumWhite(t *testing.T) {
	rec := fakeRecording(10, 0.1, 0.5, 0.3)
	sp := NoiseSpectrum(rec, 10)
	if math.Abs(sp.RMSUV-10) > 0.3 {
		t.Errorf("rms %.2f uV, want 10", sp.RMSUV)
	}
	if math.Abs(sp.Slope) > 0.1 {
		t.Errorf("white noise slope %.3f, want 0", sp.Slope)
	}
	// Parseval: the PSD integrates to the variance.
	var total float64
	for k := 1; k < len(sp.PSD); k++ {
		total += sp.PSD[k] * (sp.FreqHz[1] - sp.FreqHz[0])
	}
	if math.Abs(math.Sqrt(total)-10) > 0.5 {
		t.Errorf("PSD integrates to %.2f uV RMS, want 10", math.Sqrt(total))
	}
}

func TestNoiseCorrelationIndependent(t *testing.T) {
	rec := fakeRecording(10, 0.1, 0.5, 0.3)
	for _, c := range NoiseCorrelation(rec, 3) {
		if math.Abs(c.Corr) > 0.03 {
			t.Errorf("independent channels at %.0f um correlate %.3f", c.DistanceUm, c.Corr)
		}
	}
}

func TestLogSlope(t *testing.T) {
	x := []float64{100, 300, 1000, 3000, 10000}
	y := make([]float64, len(x))
	for i := range x {
		y[i] = 5 * math.Pow(x[i], -1.3)
	}
	if got := logSlope(x, y, 100, 10000); math.Abs(got+1.3) > 1e-9 {
		t.Fatalf("slope %v, want -1.3", got)
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir, fakeRecording(10, 0.1, 0.5, 0.3)); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"waveforms.png", "width_asymmetry.png",
		"amplitude_distance.png", "footprint.png", "noise_spectrum.png",
		"noise_correlation.png", "rates.png", "snr.png"} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() < 100 {
			t.Fatalf("%s: %v", name, err)
		}
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| fs-interneuron | 1 |", "noise RMS", "0.50 ± 0.00"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	if err := Write(dir, &sim.Recording{}); err == nil {
		t.Fatal("empty recording accepted")
	}
}
