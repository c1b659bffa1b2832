package sim

import (
	"context"
	"math"
	"testing"

	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/sim/library"
	"github.com/spikestream/spikestream/sim/neuron"
)

// TestLowRankAccuracy compares templates projected through the low-rank factorisation
// with exact ones, for real library cells at several distances.
func TestLowRankAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates library cells")
	}
	lib, err := library.Build(context.Background(), library.Config{N: 4, Seed: 3,
		Classes: []string{neuron.PyramidalLarge, neuron.PyramidalSmall, neuron.FSInterneuron}})
	if err != nil {
		t.Fatal(err)
	}
	p := probe.Neuropixels1()
	contacts := contacts3D(p)
	const fs = 30000.0
	for i := range lib.Len() {
		src := lib.Cell(i)
		pl := placement{src: src, somaUm: [3]float64{35, 1000, 25}, rot: neuron.Identity()}
		tMs, _, err := troughTime(pl, contacts, fs, troughContacts)
		if err != nil {
			t.Fatal(err)
		}
		chans := channelsNear(contacts, 35, 1000, 1000, unitRadiusUm)
		pts := make([][3]float64, len(chans))
		for j, c := range chans {
			pts[j] = contacts[c]
		}
		exact, err := project(resampledSources(src, tMs, fs, templatePhases), pl, contacts,
			chans)
		if err != nil {
			t.Fatal(err)
		}
		approx, err := lowRankOf(src).project(pts, pl, tMs, fs, templatePhases)
		if err != nil {
			t.Fatal(err)
		}
		_, peak := peakOf(exact)
		worst := 0.0
		nc := len(chans)
		for j := range approx {
			for k, v := range approx[j] {
				worst = math.Max(worst, math.Abs(float64(v-exact.data[k*nc+j])))
			}
		}
		if worst > 0.005*peak {
			t.Errorf("cell %d (%s, %d segments): low-rank error %.3f uV of a %.1f uV trough",
				i, src.Class, src.NumSegments(), worst, peak)
		}
		t.Logf("cell %d (%s, %d segments): error %.4f uV of %.1f uV", i, src.Class,
			src.NumSegments(), worst, peak)
	}
}

func BenchmarkFactorise(b *testing.B) {
	lib, err := library.Build(context.Background(), library.Config{N: 1, Seed: 3,
		Classes: []string{neuron.PyramidalLarge}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		factorise(lib.Cell(0))
	}
}
