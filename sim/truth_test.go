package sim

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/spikestream/spikestream/probe"
)

// meanWaveform averages channel ch of rec around the given truth samples, lags
// [-half, half].
func meanWaveform(rec *Recording, samples []int64, ch, half int) []float64 {
	c := rec.NumChannels()
	out := make([]float64, 2*half+1)
	n := 0
	for _, s := range samples {
		if s < int64(half) || s+int64(half) >= int64(rec.NumSamples) {
			continue
		}
		for k := -half; k <= half; k++ {
			out[k+half] += float64(rec.Samples[(int(s)+k)*c+ch]) * rec.UVPerBit
		}
		n++
	}
	for i := range out {
		out[i] /= float64(max(n, 1))
	}
	return out
}

func unitSamples(rec *Recording, u int) []int64 {
	var out []int64
	for _, t := range rec.Truth {
		if t.Unit == u {
			out = append(out, t.Sample)
		}
	}
	return out
}

func argmin(x []float64) int {
	best := 0
	for i, v := range x {
		if v < x[best] {
			best = i
		}
	}
	return best
}

func TestTruthAlignment(t *testing.T) {
	for _, rateHz := range []float64{20000, 25000, 30000} {
		rec := genFixture(t, Config{Probe: probe.Poly32(), Units: 5, DurationS: 20,
			SampleRateHz: rateHz, NoiseUV: 2, Seed: 11})
		for _, u := range rec.Units {
			// The trough of the template sits at TemplatePre on the peak channel.
			chans := rec.NumChannels()
			tpl := make([]float64, rec.TemplateSamples)
			for k := range tpl {
				tpl[k] = float64(rec.Templates[(u.ID*rec.TemplateSamples+k)*chans+u.PeakChannel])
			}
			if got := argmin(tpl); got != rec.TemplatePre {
				t.Errorf("%v Hz unit %d: template trough at %d, want %d", rateHz, u.ID, got,
					rec.TemplatePre)
			}
			// The recording's mean waveform at the truth samples has its trough at lag 0
			// and about the template's depth.
			w := meanWaveform(rec, unitSamples(rec, u.ID), u.PeakChannel, 5)
			if got := argmin(w) - 5; got != 0 {
				t.Errorf("%v Hz unit %d: mean trough at lag %d, want 0", rateHz, u.ID, got)
			}
			if depth := -w[5]; math.Abs(depth-u.PeakUV) > 0.25*u.PeakUV {
				t.Errorf("%v Hz unit %d: mean trough %.1f uV, template %.1f uV", rateHz,
					u.ID, depth, u.PeakUV)
			}
		}
	}
}

func TestUnitsRealistic(t *testing.T) {
	rec := genFixture(t, Config{Probe: probe.Neuropixels1(), Units: 40, DurationS: 1,
		Seed: 5})
	inRange := 0
	for _, u := range rec.Units {
		if u.PeakUV >= 40 && u.PeakUV <= 300 {
			inRange++
		}
		if math.Abs(u.SNR-u.PeakUV/rec.Config.NoiseUV) > 1e-9 {
			t.Errorf("unit %d: SNR %v is not PeakUV/NoiseUV", u.ID, u.SNR)
		}
		if u.ZUm < unitMinZUm || u.ZUm > unitMaxZUm {
			t.Errorf("unit %d: %v um from the probe plane", u.ID, u.ZUm)
		}
		c := rec.Probe.Contacts[u.PeakChannel]
		if d := math.Hypot(c.XUm-u.XUm, c.YUm-u.YUm); d > 80 {
			t.Errorf("unit %d: peak channel %d is %.0f um from the soma", u.ID,
				u.PeakChannel, d)
		}
	}
	if inRange < len(rec.Units)*3/4 {
		t.Errorf("%d of %d units have a 40-300 uV trough", inRange, len(rec.Units))
	}
}

func TestFiringRates(t *testing.T) {
	r := newRand(1, tagTrain, 0)
	for i := range 40 {
		class := "pyramidal-small"
		if i%3 == 0 {
			class = "fs-interneuron"
		}
		f := drawFiring(r, class)
		const durS = 2000.0
		train := f.train(r, durS)
		got := float64(len(train)) / durS
		if math.Abs(got-f.rateHz) > 0.1*f.rateHz+0.05 {
			t.Errorf("%s: rate %.2f Hz, want %.2f", class, got, f.rateHz)
		}
		for k := 1; k < len(train); k++ {
			if isi := (train[k].tS - train[k-1].tS) * 1000; isi < f.refractoryMs-1e-9 {
				t.Fatalf("%s: ISI %.2f ms below refractory %.2f ms", class, isi,
					f.refractoryMs)
			}
		}
	}
}

func TestBurstAmplitudeDecays(t *testing.T) {
	f := firing{rateHz: 5, shape: 1.5, refractoryMs: 2, burstProb: 1, burstMax: 4,
		burstIsiMs: [2]float64{3, 5}, burstDecay: 0.7}
	train := f.train(rand.New(rand.NewPCG(1, 2)), 100)
	drops, pairs := 0, 0
	for k := 1; k < len(train); k++ {
		if train[k].tS-train[k-1].tS < 0.006 {
			pairs++
			if train[k].amp < train[k-1].amp {
				drops++
			}
		}
	}
	if pairs == 0 || drops < pairs*9/10 {
		t.Fatalf("amplitude fell in %d of %d within-burst pairs", drops, pairs)
	}
}

func TestCoincidentSpikes(t *testing.T) {
	rec := genFixture(t, Config{Probe: probe.Tetrode(), Units: 4, DurationS: 60, Seed: 3})
	lagS := int64(math.Ceil(coincideLagMs * rec.SampleRateHz / 1000))
	close := 0
	for i := 1; i < len(rec.Truth); i++ {
		a, b := rec.Truth[i-1], rec.Truth[i]
		if a.Unit != b.Unit && b.Sample-a.Sample <= lagS {
			close++
		}
	}
	if close < 10 {
		t.Fatalf("only %d near-coincident spike pairs of different units", close)
	}
}

func TestDriftMovesPeakChannel(t *testing.T) {
	rec := genFixture(t, Config{Probe: probe.Poly32(), Units: 1, DurationS: 30, Seed: 4,
		NoiseUV: 2, DriftUm: 100, SampleRateHz: 25000})
	s := unitSamples(rec, 0)
	if len(s) < 20 {
		t.Fatalf("only %d spikes", len(s))
	}
	peakY := func(samples []int64) float64 {
		best, bestCh := 0.0, 0
		for ch := range rec.NumChannels() {
			w := meanWaveform(rec, samples, ch, 0)
			if w[0] < best {
				best, bestCh = w[0], ch
			}
		}
		return rec.Probe.Contacts[bestCh].YUm
	}
	tenth := len(s) / 10
	moved := peakY(s[len(s)-tenth:]) - peakY(s[:tenth])
	if math.Abs(moved-90) > 30 {
		t.Fatalf("peak channel moved %.0f um, want about 90 (drift 100 um)", moved)
	}
	if y := rec.UnitYUmAt(0, rec.DurationS()); math.Abs(y-rec.Units[0].YUm-100) > 1 {
		t.Fatalf("UnitYUmAt at the end is %.1f um from the start, want 100", y-rec.Units[0].YUm)
	}
}

func TestSamplePhase(t *testing.T) {
	const fs = 30000.0
	cases := []struct {
		samples float64 // trough time in samples
		n       int64
		phase   int
	}{
		{100, 100, 2}, {100.24, 100, 3}, {100.26, 100, 3}, {100.38, 101, 0},
		{99.76, 100, 1}, {99.6, 100, 0}, {-0.3, 0, 1}, {0, 0, 2},
	}
	for _, c := range cases {
		n, p := samplePhase(c.samples/fs, fs, 4)
		if n != c.n || p != c.phase {
			t.Errorf("%v samples: got (%d, %d), want (%d, %d)", c.samples, n, p, c.n, c.phase)
		}
	}
}

func TestPhaseTemplatesShiftTrough(t *testing.T) {
	cfg := withDefaults(Config{Probe: probe.Tetrode(), Units: 1, DurationS: 1, Seed: 2})
	s := &simState{cfg: cfg, lib: fixtureLibrary(), contacts: contacts3D(cfg.Probe)}
	s.pre, s.ts = templateGeometry(cfg.SampleRateHz)
	units, err := s.buildUnits(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m := units[0]
	ch := -1
	for i, c := range m.ref.channels {
		if int(c) == m.info.PeakChannel {
			ch = i
		}
	}
	nc := len(m.ref.channels)
	at := func(tpl sparseTemplate, k int) float32 { return tpl.data[k*nc+ch] }
	// Early phases put the trough before sample pre: the sample before pre is deeper
	// relative to the one after; late phases the other way round.
	early, late := m.grid[0][0], m.grid[templatePhases-1][0]
	if !(at(early, s.pre-1) < at(early, s.pre+1)) || !(at(late, s.pre+1) < at(late, s.pre-1)) {
		t.Fatalf("phase templates do not move the trough: early %v %v, late %v %v",
			at(early, s.pre-1), at(early, s.pre+1), at(late, s.pre-1), at(late, s.pre+1))
	}
	if got := at(m.grid[templatePhases/2][0], s.pre); got != at(m.ref, s.pre) {
		t.Fatalf("centred phase %v differs from the reference %v", got, at(m.ref, s.pre))
	}
}
