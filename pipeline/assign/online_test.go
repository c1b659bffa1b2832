package assign

import (
	"math/rand/v2"
	"testing"

	"github.com/spikestream/spikestream/probe"
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
