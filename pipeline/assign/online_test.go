package assign

import (
	"math/rand/v2"
	"testing"

	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/stream"
)

// staticUnits returns n well-separated units spread along a poly32 shank.
func staticUnits(seed uint64, n, dim int) []synthUnit {
	r := rand.New(rand.NewPCG(seed, 7))
	us := make([]synthUnit, n)
	for i := range us {
		us[i] = synthUnit{
			emb: randomCentre(r, dim, 6), xUm: 18 * float64(i%3), yUm: 20 + 230*r.Float64(),
			ampUV: 60 + 200*r.Float64(), rateHz: 4 + 8*r.Float64(),
			sdEmb: 1, sdPosUm: 6, ampCV: 0.15,
		}
	}
	return us
}

// runSync feeds spikes to a synchronous Online with cfg and returns it with its events.
func runSync(t testing.TB, cfg Config, p *probe.Probe, spikes []synthSpike) (*Online, *recorder) {
	t.Helper()
	rc := &recorder{}
	cfg.Synchronous = true
	o, err := New(cfg, p, rc.sink)
	if err != nil {
		t.Fatal(err)
	}
	for i := range spikes {
		o.Assign(&spikes[i].sp)
	}
	o.ClusterNow()
	return o, rc
}

func TestStaticAccuracy(t *testing.T) {
	for _, dim := range []int{8, 32} {
		units := staticUnits(1, 10, dim)
		spikes := genStream(2, units, 60, dim)
		o, rc := runSync(t, Config{}, probe.Poly32(), spikes)
		acc := agreement(spikes, rc.finalLabels(spikes), len(units))
		st := o.Stats()
		t.Logf("dim %d: accuracy %.3f, stats %+v", dim, acc, st)
		for i, a := range acc {
			if a < 0.9 {
				t.Errorf("dim %d unit %d: accuracy %.3f, want >= 0.9", dim, i, a)
			}
		}
		if st.UnitsLive != len(units) {
			t.Errorf("dim %d: %d live units, want %d", dim, st.UnitsLive, len(units))
		}
	}
}

func TestUpdatesAreRateLimited(t *testing.T) {
	const dim, durS = 8, 60.0
	units := staticUnits(51, 3, dim)
	spikes := genStream(52, units, durS, dim)
	cfg := Config{UpdateEveryS: 10}
	_, rc := runSync(t, cfg, probe.Poly32(), spikes)
	perUnit := map[uint32][]int64{}
	for _, ev := range rc.kinds(stream.UnitUpdated) {
		perUnit[ev.UnitID] = append(perUnit[ev.UnitID], ev.SampleIndex)
		if ev.NumSpikes == 0 || ev.AmplitudeUV <= 0 {
			t.Errorf("update %+v lacks a summary", ev)
		}
	}
	if len(perUnit) != len(units) {
		t.Fatalf("updates for %d units, want %d", len(perUnit), len(units))
	}
	for id, at := range perUnit {
		if len(at) > int(durS/cfg.UpdateEveryS)+1 {
			t.Errorf("unit %d: %d updates in %v s", id, len(at), durS)
		}
		for i := 1; i < len(at); i++ {
			if gapS := float64(at[i]-at[i-1]) / synthRateHz; gapS < cfg.UpdateEveryS {
				t.Errorf("unit %d: updates %.1f s apart, want >= %v s", id, gapS,
					cfg.UpdateEveryS)
			}
		}
	}
}
