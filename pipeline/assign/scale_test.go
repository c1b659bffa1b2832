package assign

import (
	"math/rand/v2"
	"testing"

	"github.com/spikestream/spikestream/probe"
)

// withNoise adds background spikes (truth -1) at rateHz: uniform positions over the probe's
// extent, amplitudes near threshold and embeddings spread over the whole feature range.
func withNoise(seed uint64, spikes []synthSpike, p *probe.Probe, rateHz, durS float64,
	dim int) []synthSpike {
	r := rand.New(rand.NewPCG(seed, 99))
	minX, maxX, minY, maxY := p.Extent()
	var noise []synthSpike
	for t := r.ExpFloat64() / rateHz; t < durS; t += r.ExpFloat64() / rateHz {
		u := synthUnit{emb: randomCentre(r, dim, 6), xUm: minX + (maxX-minX)*r.Float64(),
			yUm: minY + (maxY-minY)*r.Float64(), ampUV: 40, sdEmb: 0, ampCV: 0.2}
		noise = append(noise, synthSpike{sp: drawSpike(r, &u, t, dim), truth: -1})
	}
	return mergeBySample(spikes, noise)
}

// mergeBySample merges two sample-ordered spike lists.
func mergeBySample(a, b []synthSpike) []synthSpike {
	out := make([]synthSpike, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if a[0].sp.Sample <= b[0].sp.Sample {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return append(append(out, a...), b...)
}

// TestNeuropixelsScale sorts 300 units with background noise on Neuropixels 1.0 and compares
// with the nearest-centroid baseline on the same spikes.
func TestNeuropixelsScale(t *testing.T) {
	if testing.Short() {
		t.Skip("30 s of 300 units")
	}
	const dim, durS = 16, 30.0
	p := probe.Neuropixels1()
	units := npUnits(41, 300, dim)
	spikes := withNoise(43, genStream(42, units, durS, dim), p, 200, durS, dim)

	o, rc := runSync(t, Config{}, p, spikes)
	acc := agreement(spikes, rc.finalLabels(spikes), len(units))
	good, mean := summarise(acc)
	st := o.Stats()
	t.Logf("online: %d of %d units >= 0.8, mean accuracy %.3f; stats %+v",
		good, len(units), mean, st)

	base := make([]synthSpike, len(spikes))
	copy(base, spikes)
	brc := &recorder{}
	nc := NewNearestCentroid(BaselineConfig{RadiusEmb: 6}, brc.sink)
	for i := range base {
		nc.Assign(&base[i].sp)
	}
	bacc := agreement(base, brc.finalLabels(base), len(units))
	bgood, bmean := summarise(bacc)
	t.Logf("baseline: %d of %d units >= 0.8, mean accuracy %.3f, %d units",
		bgood, len(units), bmean, nc.Units())

	if good < 270 || mean < 0.9 {
		t.Errorf("online: %d units well sorted, mean %.3f; want >= 270 and >= 0.9", good, mean)
	}
}

// summarise returns how many accuracies reach 0.8 and their mean.
func summarise(acc []float64) (int, float64) {
	good, sum := 0, 0.0
	for _, a := range acc {
		sum += a
		if a >= 0.8 {
			good++
		}
	}
	return good, sum / float64(len(acc))
}
