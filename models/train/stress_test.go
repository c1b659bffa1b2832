package train

import (
	"context"
	"os"
	"testing"

	"github.com/spikestream/spikestream/models"
	"github.com/spikestream/spikestream/sim"
)

// TestDetectorStress scores the shipped detector on held-out simulations made with
// settings training never used, at 10 uV noise, and requires it to find more spikes than
// the 5 SD threshold at the threshold's false-positive rate. It runs the real simulator
// (about 20 s, more on a cold template cache), so it is opt-in: SPIKESTREAM_SIM_TESTS=1.
func TestDetectorStress(t *testing.T) {
	if os.Getenv("SPIKESTREAM_SIM_TESTS") == "" || testing.Short() {
		t.Skip("set SPIKESTREAM_SIM_TESTS=1 to run against the simulator")
	}
	d, err := models.DefaultDetector()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		mod  func(*sim.Config)
	}{
		{"background x5", func(c *sim.Config) { c.BackgroundCells *= 5 }},
		{"no background", func(c *sim.Config) { c.BackgroundCells = -1 }},
		{"non-rigid drift", func(c *sim.Config) { c.DriftUm, c.DriftNonRigid = 40, 0.8 }},
		{"interneurons only", func(c *sim.Config) {
			c.ClassMix = map[string]float64{"fs-interneuron": 1}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sets := stressSets(t, tc.mod)
			r := evalDetect(d, sets, 10)
			t.Logf("threshold %.3f/%.3f/%.2f, detector at equal FP/s %.3f/%.3f, live %.3f/%.3f/%.2f",
				r.BaseRecall, r.BasePrec, r.BaseFPPerS, r.DetRecall, r.DetPrec,
				r.LiveRecall, r.LivePrec, r.LiveFPPerS)
			if r.DetRecall <= r.BaseRecall {
				t.Fatalf("detector recall %.3f not above threshold recall %.3f at %.2f FP/s",
					r.DetRecall, r.BaseRecall, r.BaseFPPerS)
			}
		})
	}
}

// stressSets simulates six held-out recordings (two per probe) at 10 uV with mod applied.
func stressSets(t *testing.T, mod func(*sim.Config)) []*RecordingSet {
	t.Helper()
	var sets []*RecordingSet
	for i := 0; i < 6; i++ {
		sc, err := simConfig(i, int64(2_000_000+i), 10, 20)
		if err != nil {
			t.Fatal(err)
		}
		mod(&sc)
		rec, err := sim.Generate(context.Background(), sc)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := Extract(rec, ExtractConfig{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		sets = append(sets, rs)
	}
	return sets
}
