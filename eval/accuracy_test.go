package eval

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/sim"
	"github.com/spikestream/spikestream/sorting"
)

// fakeGenerate returns a recording with spikes only (no samples): cfg.Units units firing
// at ~5 Hz for cfg.DurationS seconds, SNR 2, 4, 6, ... by unit.
func fakeGenerate(_ context.Context, cfg sim.Config) (*sim.Recording, error) {
	r := rand.New(rand.NewPCG(uint64(cfg.Seed), 1))
	rate := 30000.0
	n := int(cfg.DurationS * rate)
	rec := &sim.Recording{Config: cfg, Probe: probe.Tetrode(), SampleRateHz: rate,
		NumSamples: n}
	var times []int64
	var units []int64
	for u := range cfg.Units {
		rec.Units = append(rec.Units, sim.UnitInfo{ID: u, SNR: float64(2 + 2*u), RateHz: 5})
		for range int(5 * cfg.DurationS) {
			times = append(times, int64(r.IntN(n)))
			units = append(units, int64(u))
		}
	}
	s, err := sorting.New(rate, times, units)
	if err != nil {
		return nil, err
	}
	for i, t := range s.Times {
		rec.Truth = append(rec.Truth, sim.TruthSpike{Sample: t, Unit: int(s.Labels[i])})
	}
	return rec, nil
}

// jitterSorter returns the truth with +-3 samples of jitter, dropping each spike with
// probability drop, relabelled to 100+unit; label 0 collects a few unassigned spikes.
func jitterSorter(drop float64) SortFunc {
	return func(_ context.Context, rec *sim.Recording) (*sorting.Sorting, error) {
		r := rand.New(rand.NewPCG(5, 6))
		var times, labels []int64
		for _, sp := range rec.Truth {
			if r.Float64() < drop {
				times = append(times, sp.Sample)
				labels = append(labels, 0)
				continue
			}
			times = append(times, max(0, sp.Sample+int64(r.IntN(7))-3))
			labels = append(labels, int64(100+sp.Unit))
		}
		return sorting.New(rec.SampleRateHz, times, labels)
	}
}

// switchingSorter labels unit 0 as 100 in the first half and 200 in the second half.
func switchingSorter(_ context.Context, rec *sim.Recording) (*sorting.Sorting, error) {
	var times, labels []int64
	for _, sp := range rec.Truth {
		id := int64(100 + sp.Unit)
		if sp.Unit == 0 && int(sp.Sample) > rec.NumSamples/2 {
			id = 200
		}
		times = append(times, sp.Sample)
		labels = append(labels, id)
	}
	return sorting.New(rec.SampleRateHz, times, labels)
}

func TestRunAccuracy(t *testing.T) {
	cases := []AccuracyCase{
		{Name: "short", Config: sim.Config{Units: 4, DurationS: 30, NoiseUV: 10, Seed: 1},
			Generate: fakeGenerate},
		{Name: "drift", Config: sim.Config{Units: 4, DurationS: 240, NoiseUV: 8, DriftUm: 20,
			Seed: 2}, Generate: fakeGenerate},
	}
	failing := func(context.Context, *sim.Recording) (*sorting.Sorting, error) {
		return nil, errors.New("model missing")
	}
	sorters := []NamedSorter{{"learned", jitterSorter(0.1)}, {"switching", switchingSorter},
		{"broken", failing}}
	var out bytes.Buffer
	rows, err := RunAccuracy(context.Background(), cases, sorters, &out)
	if err == nil || !strings.Contains(err.Error(), "model missing") {
		t.Errorf("err %v, want the broken sorter's failures", err)
	}
	if len(rows) != 6 {
		t.Fatalf("%d rows, want 6", len(rows))
	}

	learned := rows[0].Summary
	// 10% of spikes go to label 0 (dropped): accuracy 0.9 for every unit; SNR 6 is the
	// only unit >= 5... units have SNR 2, 4, 6, 8.
	if learned.NumMatched != 4 || learned.MeanAccuracy < 0.85 || learned.MeanAccuracy > 0.95 ||
		learned.NumHighSNR != 2 || learned.NumWellDetected != 4 {
		t.Errorf("learned on short: %+v", learned)
	}
	if rows[0].Stability != nil {
		t.Error("30 s recording got a stability score")
	}
	sw := rows[4] // drift case, switching sorter
	if sw.Stability == nil || sw.Stability.NumTracked != 4 || sw.Stability.NumStable != 3 ||
		sw.Stability.Units[0].Stable || sw.Stability.Units[0].Changes != 2 {
		t.Errorf("switching stability: %+v", sw.Stability)
	}
	if rows[3].Stability.NumStable != 4 {
		t.Errorf("learned stability on drift: %+v", rows[3].Stability)
	}
	if rows[5].Err == nil {
		t.Error("broken sorter row has no error")
	}

	text := out.String()
	for _, want := range []string{"acc_hi_snr", "learned", "error: sort: model missing",
		"3/4", "mean of 2"} {
		if !strings.Contains(text, want) {
			t.Errorf("table lacks %q:\n%s", want, text)
		}
	}
}

func TestRunAccuracyStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	gen := func(ctx context.Context, cfg sim.Config) (*sim.Recording, error) {
		return nil, ctx.Err()
	}
	_, err := RunAccuracy(ctx, []AccuracyCase{{Name: "x", Generate: gen}},
		[]NamedSorter{{"s", switchingSorter}}, &bytes.Buffer{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
}

func TestIDStabilityRejects(t *testing.T) {
	s := mustSorting(t, []int64{1}, []int64{1})
	neg := mustSorting(t, []int64{1}, []int64{-4})
	for _, c := range []struct {
		name   string
		sorted *sorting.Sorting
		win    float64
	}{{"zero window", s, 0}, {"negative ids", neg, 60}, {"nil sorted", nil, 60}} {
		if _, err := IDStability(s, c.sorted, c.win, Options{}); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
}

func TestIDStabilityWindows(t *testing.T) {
	// Rate 30 kHz, 1 s windows. True unit 1 fires 10 times per window for 4 windows; the
	// sorting calls it 7 in windows 0-1, loses it in window 2 and calls it 8 in window 3.
	// True unit 2 is found as 9 only in window 1.
	var tt, tl, st, sl []int64
	for w := range int64(4) {
		for k := range int64(10) {
			t0 := w*30000 + 1000 + k*2000
			tt, tl = append(tt, t0), append(tl, 1)
			switch w {
			case 0, 1:
				st, sl = append(st, t0+2), append(sl, 7)
			case 3:
				st, sl = append(st, t0), append(sl, 8)
			}
			if w == 1 {
				tt, tl = append(tt, t0+500), append(tl, 2)
				st, sl = append(st, t0+500), append(sl, 9)
			}
		}
	}
	stab, err := IDStability(mustSorting(t, tt, tl), mustSorting(t, st, sl), 1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	u1, u2 := stab.Units[0], stab.Units[1]
	if stab.NumWindows != 4 || !slices.Equal(u1.IDs, []int64{7, 7, -1, 8}) ||
		u1.FirstID != 7 || u1.Changes != 1 || u1.Stable {
		t.Errorf("unit 1: %+v (windows %d)", u1, stab.NumWindows)
	}
	if !slices.Equal(u2.IDs, []int64{-1, 9, -1, -1}) || u2.Stable || stab.NumTracked != 1 ||
		stab.NumStable != 0 || stab.StableFrac != 0 {
		t.Errorf("unit 2: %+v, tracked %d stable %d", u2, stab.NumTracked, stab.NumStable)
	}
}
