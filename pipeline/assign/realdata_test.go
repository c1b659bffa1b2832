//go:build realdata

package assign_test

// This file measures the online assigner on simulated recordings through the live
// preprocessing, detection, cutting, localisation and embedding (the shipped models). It
// needs the sim, pipeline and models packages to build and the cell library cache, so it
// runs only with -tags realdata:
//
//	go test -tags realdata -run RealData -v ./pipeline/assign/

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/spikestream/spikestream/models"
	"github.com/spikestream/spikestream/pipeline"
	"github.com/spikestream/spikestream/pipeline/assign"
	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/sim"
	"github.com/spikestream/spikestream/stream"
)

// labelled is a detected spike and the index of the true unit within 0.4 ms (-1 if none).
type labelled struct {
	sp    pipeline.Spike
	truth int
}

func envOr(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil {
		return v
	}
	return def
}

func TestRealData(t *testing.T) {
	p, err := probe.Resolve(os.Getenv("PROBE"))
	if err != nil {
		p = probe.Poly32()
	}
	cfg := sim.Config{Probe: p, Units: int(envOr("UNITS", 10)), DurationS: envOr("DUR", 120),
		Seed: int64(envOr("SEED", 3)), DriftUm: envOr("DRIFT", 0)}
	rec, err := sim.Generate(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	spikes := detect(t, rec, os.Getenv("EMB") == "pca")
	t.Logf("%d detected spikes, %d truth spikes", len(spikes), len(rec.Truth))

	var events []stream.UnitEvent
	acfg := assign.Config{Synchronous: true, SampleRateHz: rec.SampleRateHz,
		GateSD: envOr("GATESD", 0), MinSpikes: int(envOr("MINSPIKES", 0)),
		SplitDPrime: envOr("SPLITDP", 0), MergeDPrime: envOr("MERGEDP", 0),
		SpikeTimeHistory: int(envOr("HIST", 0)), RefractoryMs: envOr("REFMS", 0)}
	o, err := assign.New(acfg, p,
		func(ev stream.UnitEvent) { events = append(events, ev) })
	if err != nil {
		t.Fatal(err)
	}
	for i := range spikes {
		o.Assign(&spikes[i].sp)
	}
	o.ClusterNow()
	if os.Getenv("EVENTS") != "" {
		for _, ev := range events {
			if ev.Kind != stream.UnitUpdated {
				t.Logf("event %v unit %d related %v at %.1f s: ch %d %.0f uV (%.0f, %.0f) um, "+
					"%d spikes, %d backfilled", ev.Kind, ev.UnitID, ev.Related,
					float64(ev.SampleIndex)/rec.SampleRateHz, ev.PeakChannel, ev.AmplitudeUV,
					ev.XUm, ev.YUm, ev.NumSpikes, len(ev.Backfill))
			}
		}
	}
	labels := relabel(spikes, events)
	mean := report(t, rec, spikes, labels)
	if os.Getenv("PROBE") == "" && os.Getenv("UNITS") == "" && mean < 0.6 {
		t.Errorf("default case: mean agreement %.3f over detected spikes, want >= 0.6", mean)
	}
	t.Logf("stats %+v", o.Stats())
	if os.Getenv("EMB") == "pca" {
		baseline(t, rec, spikes)
	}
}

// baseline labels the same spikes with the nearest-centroid baseline at its default radius
// and reports the same figures.
func baseline(t *testing.T, rec *sim.Recording, spikes []labelled) {
	var events []stream.UnitEvent
	nc := assign.NewNearestCentroid(assign.BaselineConfig{},
		func(ev stream.UnitEvent) { events = append(events, ev) })
	for i := range spikes {
		nc.Assign(&spikes[i].sp)
	}
	t.Logf("baseline: %d units", nc.Units())
	report(t, rec, spikes, relabel(spikes, events))
}

// detect runs the live front end over rec and returns the candidates, embedded and located,
// with their true unit.
func detect(t *testing.T, rec *sim.Recording, pca bool) []labelled {
	f, err := pipeline.PreprocessRecording(pipeline.PreprocessConfig{}, rec.Probe,
		rec.SampleRateHz, rec.UVPerBit, rec.Samples)
	if err != nil {
		t.Fatal(err)
	}
	dcfg, det := pipeline.DetectConfig{}, (*models.Detector)(nil)
	if !pca { // as the live learned path: its candidate threshold and score cut
		if det, err = models.DefaultDetector(); err != nil {
			t.Fatal(err)
		}
		dcfg.ThresholdSD = 4
		if tr := det.Header().Training; tr != nil && tr.CandidateSD > 0 {
			dcfg.ThresholdSD = tr.CandidateSD
		}
	}
	cands, err := pipeline.FindCandidates(dcfg, f)
	if err != nil {
		t.Fatal(err)
	}
	cut, err := pipeline.NewCutter(pipeline.SnippetConfig{}, rec.Probe, rec.SampleRateHz)
	if err != nil {
		t.Fatal(err)
	}
	var emb pipeline.Embedder
	if pca {
		emb, err = models.DefaultPCA()
	} else {
		emb, err = models.DefaultEmbedder()
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []labelled
	for _, c := range cands {
		var s pipeline.Snippet
		if !pipeline.CutSnippet(cut.Config(), f, c, &s) {
			continue
		}
		if det != nil && det.Score(&s) < det.Threshold() {
			continue
		}
		sp := pipeline.Spike{Snippet: s, AmplitudeUV: c.AmplitudeUV,
			Embedding: make([]float32, emb.Dim())}
		sp.XUm, sp.YUm = cut.Locate(&sp.Snippet)
		emb.Embed(&sp.Snippet, sp.Embedding)
		out = append(out, labelled{sp: sp, truth: truthOf(rec, c.Sample)})
	}
	return out
}

// truthOf returns the unit of the truth spike nearest to sample within 0.4 ms, or -1.
func truthOf(rec *sim.Recording, sample int64) int {
	tol := int64(0.4e-3 * rec.SampleRateHz)
	i, _ := slices.BinarySearchFunc(rec.Truth, sample-tol,
		func(ts sim.TruthSpike, s int64) int { return int(ts.Sample - s) })
	best, bestD := -1, tol+1
	for ; i < len(rec.Truth) && rec.Truth[i].Sample <= sample+tol; i++ {
		if d := max(rec.Truth[i].Sample-sample, sample-rec.Truth[i].Sample); d < bestD {
			best, bestD = rec.Truth[i].Unit, d
		}
	}
	return best
}

// relabel applies Backfill and merges to the labels given at once.
func relabel(spikes []labelled, events []stream.UnitEvent) []uint32 {
	labels := make([]uint32, len(spikes))
	at := map[stream.SpikeRef]int{}
	for i, s := range spikes {
		labels[i] = s.sp.Unit
		at[stream.SpikeRef{SampleIndex: s.sp.Sample, PeakChannel: uint16(s.sp.PeakChannel)}] = i
	}
	into := map[uint32]uint32{}
	for _, ev := range events {
		for _, r := range ev.Backfill {
			if i, ok := at[r]; ok {
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

// report logs, per true unit, its detected spikes, the share left unassigned, its best
// sorted unit and the agreement among detected spikes, and returns the mean agreement.
func report(t *testing.T, rec *sim.Recording, spikes []labelled, labels []uint32) float64 {
	count := map[[2]int]int{}
	nSorted := map[uint32]int{}
	nDet := make([]int, len(rec.Units))
	unassigned := make([]int, len(rec.Units))
	late := make([]int, len(rec.Units)) // unassigned after the unit's first labelled spike
	firstLabelled := make([]int64, len(rec.Units))
	for i := range firstLabelled {
		firstLabelled[i] = -1
	}
	for i, s := range spikes {
		if s.truth >= 0 && s.sp.Unit != 0 && firstLabelled[s.truth] < 0 {
			firstLabelled[s.truth] = s.sp.Sample
		}
		_ = i
	}
	for i, s := range spikes {
		if labels[i] != 0 {
			nSorted[labels[i]]++
		}
		if s.truth < 0 {
			continue
		}
		nDet[s.truth]++
		if labels[i] == 0 {
			unassigned[s.truth]++
			if firstLabelled[s.truth] >= 0 && s.sp.Sample > firstLabelled[s.truth] {
				late[s.truth]++
			}
			continue
		}
		count[[2]int{s.truth, int(labels[i])}]++
	}
	var sum, sumHigh float64
	good, nHigh := 0, 0
	defer func() {
		t.Logf("%d of %d units with agreement >= 0.8; mean over %d units with SNR >= 8: %.3f",
			good, len(rec.Units), nHigh, sumHigh/float64(max(nHigh, 1)))
	}()
	for u := range rec.Units {
		bestA, bestL := 0.0, 0
		for key, m := range count {
			if key[0] != u {
				continue
			}
			a := float64(m) / float64(nDet[u]+nSorted[uint32(key[1])]-m)
			if a > bestA {
				bestA, bestL = a, key[1]
			}
		}
		sum += bestA
		if bestA >= 0.8 {
			good++
		}
		if rec.Units[u].SNR >= 8 {
			nHigh++
			sumHigh += bestA
		}
		if len(rec.Units) > 40 {
			continue
		}
		t.Logf("%s", fmt.Sprintf("unit %2d snr %5.1f rate %4.1f detected %5d unassigned %4d "+
			"(%4d after first label at %5.1f s) best %3d agreement %.3f; %s", u,
			rec.Units[u].SNR, rec.Units[u].RateHz, nDet[u], unassigned[u], late[u],
			float64(firstLabelled[u])/rec.SampleRateHz, bestL, bestA, sharesOf(u, count)))
	}
	mean := sum / float64(len(rec.Units))
	t.Logf("mean agreement over detected spikes %.3f, sorted units %d", mean, len(nSorted))
	return mean
}

// sharesOf lists the sorted units that hold true unit u's detected spikes, as id:count.
func sharesOf(u int, count map[[2]int]int) string {
	var keys [][2]int
	for key := range count {
		if key[0] == u {
			keys = append(keys, key)
		}
	}
	slices.SortFunc(keys, func(a, b [2]int) int { return count[b] - count[a] })
	out := ""
	for _, key := range keys {
		out += fmt.Sprintf(" %d:%d", key[1], count[key])
	}
	return out
}
