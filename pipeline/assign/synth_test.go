package assign

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/spikestream/spikestream/pipeline"
	"github.com/spikestream/spikestream/stream"
)

// synthUnit is one ground-truth unit of a synthetic stream: a Gaussian cluster in embedding
// space with a position and an amplitude, all of which may drift linearly in time.
type synthUnit struct {
	emb      []float64 // embedding centre at t = 0
	embVel   []float64 // embedding drift per second (nil for none)
	xUm, yUm float64
	vyUmPerS float64 // position drift along the shank
	ampUV    float64
	rateHz   float64
	startS   float64
	stopS    float64 // 0 means the end of the stream
	sdEmb    float64 // per-dimension SD of the embedding
	sdPosUm  float64
	ampCV    float64
	// alt and altFrac make the unit bimodal: a fraction altFrac of its spikes is centred on
	// alt (plus the same drift) instead of emb.
	alt     []float64
	altFrac float64
	// altChannel is added to the peak channel of the spikes centred on alt.
	altChannel int
	// peakChannel is added to the peak channel of every spike.
	peakChannel int
}

// synthSpike is a generated spike and the index of its true unit.
type synthSpike struct {
	sp    pipeline.Spike
	truth int
}

const synthRateHz = 30000

// synthDeadS is the absolute refractory period of every synthetic unit: a neuron never
// fires twice within it, and the assigner's contamination test relies on that.
const synthDeadS = 2e-3

// genStream draws Poisson spike trains with a synthDeadS dead time for units over durS
// seconds and returns the spikes in sample order, each with its own embedding slice.
func genStream(seed uint64, units []synthUnit, durS float64, dim int) []synthSpike {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var out []synthSpike
	for ui, u := range units {
		stop := u.stopS
		if stop == 0 {
			stop = durS
		}
		next := func() float64 { return synthDeadS + r.ExpFloat64()/u.rateHz }
		for t := u.startS + next(); t < stop; t += next() {
			out = append(out, synthSpike{sp: drawSpike(r, &u, t, dim), truth: ui})
		}
	}
	slices.SortStableFunc(out, func(a, b synthSpike) int {
		return int(a.sp.Sample - b.sp.Sample)
	})
	return out
}

func drawSpike(r *rand.Rand, u *synthUnit, tS float64, dim int) pipeline.Spike {
	centre, channel := u.emb, u.peakChannel
	if u.alt != nil && r.Float64() < u.altFrac {
		centre, channel = u.alt, channel+u.altChannel
	}
	emb := make([]float32, dim)
	for k := range emb {
		v := centre[k] + r.NormFloat64()*u.sdEmb
		if u.embVel != nil {
			v += u.embVel[k] * tS
		}
		emb[k] = float32(v)
	}
	y := u.yUm + u.vyUmPerS*tS
	sp := pipeline.Spike{
		AmplitudeUV: float32(u.ampUV * math.Exp(r.NormFloat64()*u.ampCV)),
		XUm:         float32(u.xUm + r.NormFloat64()*u.sdPosUm),
		YUm:         float32(y + r.NormFloat64()*u.sdPosUm),
		Embedding:   emb,
	}
	sp.Sample = int64(tS * synthRateHz)
	sp.SampleRateHz = synthRateHz
	sp.PeakChannel = int(math.Max(0, y/25)) + channel
	return sp
}

// randomCentre returns a dim-vector with entries uniform in [-scale, scale].
func randomCentre(r *rand.Rand, dim int, scale float64) []float64 {
	c := make([]float64, dim)
	for k := range c {
		c[k] = (2*r.Float64() - 1) * scale
	}
	return c
}

// recorder collects unit events and applies them to the labels of a synthetic run: Backfill
// relabels earlier spikes, merges map absorbed ids onto survivors.
type recorder struct {
	events []stream.UnitEvent
}

func (rc *recorder) sink(ev stream.UnitEvent) { rc.events = append(rc.events, ev) }

// kinds returns the events of kind k.
func (rc *recorder) kinds(k stream.UnitEventKind) []stream.UnitEvent {
	var out []stream.UnitEvent
	for _, ev := range rc.events {
		if ev.Kind == k {
			out = append(out, ev)
		}
	}
	return out
}

// finalLabels returns each spike's label after backfill and merges.
func (rc *recorder) finalLabels(spikes []synthSpike) []uint32 {
	labels := make([]uint32, len(spikes))
	at := make(map[stream.SpikeRef]int, len(spikes))
	for i, s := range spikes {
		labels[i] = s.sp.Unit
		at[stream.SpikeRef{SampleIndex: s.sp.Sample, PeakChannel: uint16(s.sp.PeakChannel)}] = i
	}
	into := map[uint32]uint32{}
	for _, ev := range rc.events {
		for _, ref := range ev.Backfill {
			if i, ok := at[ref]; ok {
				labels[i] = ev.UnitID
			}
		}
		if ev.Kind == stream.UnitMerged {
			into[ev.UnitID] = ev.Related[0]
		}
	}
	for i, l := range labels {
		for into[l] != 0 {
			l = into[l]
		}
		labels[i] = l
	}
	return labels
}

// agreement scores each true unit against its best sorted unit, with the definition of
// SpikeInterface's comparison (matches / (n_true + n_sorted - matches)), pairing each true
// unit greedily with the sorted unit that holds most of its spikes.
func agreement(spikes []synthSpike, labels []uint32, nTrue int) []float64 {
	count := map[[2]uint32]int{}
	nSorted := map[uint32]int{}
	nTruth := make([]int, nTrue)
	for i, s := range spikes {
		if s.truth < 0 {
			continue
		}
		nTruth[s.truth]++
		if labels[i] != 0 {
			count[[2]uint32{uint32(s.truth), labels[i]}]++
			nSorted[labels[i]]++
		}
	}
	acc := make([]float64, nTrue)
	for key, m := range count {
		a := float64(m) / float64(nTruth[key[0]]+nSorted[key[1]]-m)
		acc[key[0]] = max(acc[key[0]], a)
	}
	return acc
}
