package assign

import (
	"math/rand/v2"
	"testing"

	"github.com/spikestream/spikestream/pipeline"
	"github.com/spikestream/spikestream/probe"
)

// npUnits returns n units spread along a Neuropixels 1.0 shank (3840 um), each with a
// random embedding centre.
func npUnits(seed uint64, n, dim int) []synthUnit {
	r := rand.New(rand.NewPCG(seed, 11))
	us := make([]synthUnit, n)
	for i := range us {
		us[i] = synthUnit{
			emb: randomCentre(r, dim, 4), xUm: 11 + 48*r.Float64(),
			yUm:   3820 * (float64(i) + r.Float64()) / float64(n),
			ampUV: 50 + 250*r.Float64(), rateHz: 2 + 10*r.Float64(),
			sdEmb: 1, sdPosUm: 6, ampCV: 0.15,
		}
	}
	return us
}

// seededOnline returns an Online on Neuropixels 1.0 with one live unit per synthetic unit,
// founded from 64 of its spikes, and a stream of further spikes from the same units.
func seededOnline(tb testing.TB, nUnits, dim int) (*Online, []synthSpike) {
	tb.Helper()
	o, err := New(Config{}, probe.Neuropixels1(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	units := npUnits(1, nUnits, dim)
	r := rand.New(rand.NewPCG(2, 2))
	o.mu.Lock()
	o.dim = dim
	for i := range units {
		pts := make([]point, 64)
		for j := range pts {
			sp := drawSpike(r, &units[i], float64(j)/10, dim)
			o.toPoint(&sp, &pts[j])
		}
		o.units = append(o.units, o.newUnit(pts))
	}
	o.index.rebuild(o.units)
	o.mu.Unlock()
	return o, genStream(3, units, 20, dim)
}

func BenchmarkAssign300Units(b *testing.B) {
	for _, dim := range []int{8, 32} {
		b.Run(map[int]string{8: "dim8", 32: "dim32"}[dim], func(b *testing.B) {
			o, spikes := seededOnline(b, 300, dim)
			sps := make([]pipeline.Spike, len(spikes))
			for i := range spikes {
				sps[i] = spikes[i].sp
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				o.Assign(&sps[i])
				if i++; i == len(sps) {
					i = 0
				}
			}
			st := o.Stats()
			b.ReportMetric(float64(st.Assigned)/float64(st.Assigned+st.Unassigned), "assigned")
		})
	}
}

func BenchmarkPass300Units(b *testing.B) {
	o, spikes := seededOnline(b, 300, 32)
	for i := range spikes {
		o.Assign(&spikes[i].sp)
	}
	b.ReportAllocs()
	for b.Loop() {
		o.ClusterNow()
	}
	st := o.Stats()
	b.ReportMetric(st.PassMaxLockUs, "max-lock-us")
	b.ReportMetric(1e3*float64(st.PassLockHoldsOver1ms)/float64(st.PassLockHolds),
		"holds>1ms/1k")
}

func BenchmarkClusterPool4096(b *testing.B) {
	const dim = 32
	units := npUnits(4, 100, dim)
	spikes := genStream(5, units, 10, dim)[:4096]
	pts := make([]point, len(spikes))
	o, err := New(Config{}, probe.Neuropixels1(), nil)
	if err != nil {
		b.Fatal(err)
	}
	for i := range spikes {
		o.toPoint(&spikes[i].sp, &pts[i])
		pts[i].seq = uint64(i + 1)
	}
	b.ReportAllocs()
	var found int
	for b.Loop() {
		o.ps.cl.lastSeq = nil // cluster every neighbourhood, as a first pass does
		found = len(o.ps.cl.run(pts, dim))
	}
	b.ReportMetric(float64(found), "clusters")
}
