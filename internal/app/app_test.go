package app

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/sim"
	"github.com/spikestream/spikestream/sorting"
)

func simulate(t *testing.T, p *probe.Probe, units int, durS float64, seed int64) *sim.Recording {
	t.Helper()
	rec, err := sim.Generate(context.Background(), sim.Config{Probe: p, Units: units,
		DurationS: durS, NoiseUV: 10, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// labelledWithin returns the fraction of true spikes of units with SNR >= minSNR that have
// a labelled sorted spike within tol samples.
func labelledWithin(rec *sim.Recording, s *sorting.Sorting, tol int64, minSNR float64) float64 {
	var hit, n int
	j := 0
	for _, ts := range rec.Truth {
		if rec.Units[ts.Unit].SNR < minSNR {
			continue
		}
		n++
		for j < len(s.Times) && s.Times[j] < ts.Sample-tol {
			j++
		}
		if j < len(s.Times) && s.Times[j] <= ts.Sample+tol {
			hit++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return float64(hit) / float64(n)
}

// End to end over an embedded NATS server: a simulated tetrode recording is replayed,
// sorted live and collected from the bus; injected spikes must come out labelled within
// 0.4 ms of their true time.
func TestEndToEndLabelsInjectedSpikes(t *testing.T) {
	for _, m := range []Method{Learned, Baseline} {
		t.Run(string(m), func(t *testing.T) {
			rec := simulate(t, probe.Tetrode(), 5, 20, 11)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			res, err := Session{Source: NewInt16Reader(rec.Samples), Probe: rec.Probe,
				SampleRateHz: rec.SampleRateHz, UVPerBit: rec.UVPerBit, Method: m}.Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			tol := int64(0.4e-3*rec.SampleRateHz + 0.5)
			frac := labelledWithin(rec, res.Sorting, tol, 5)
			t.Logf("%s: %.3f of SNR>=5 true spikes labelled within 0.4 ms; %d events, %d units",
				m, frac, len(res.AllEvents), len(res.Sorting.UnitIDs))
			if !(frac >= 0.8) {
				t.Errorf("only %.3f of true spikes came out labelled within 0.4 ms", frac)
			}
			if res.Frames.Frames == 0 {
				t.Errorf("no frames accepted: %+v", res.Frames)
			}
		})
	}
}

func TestSortFileWritesPhyAndNPZ(t *testing.T) {
	rec := simulate(t, probe.Tetrode(), 4, 10, 12)
	dir := t.TempDir()
	if err := rec.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "sorted")
	res, err := SortFile(context.Background(), FileOptions{
		Input: RawInput{Path: filepath.Join(dir, "rec.dat"), Channels: 4,
			SampleRateHz: rec.SampleRateHz, UVPerBit: rec.UVPerBit, Probe: rec.Probe},
		OutDir: out, Method: Learned})
	if err != nil {
		t.Fatal(err)
	}
	npz, err := sorting.ReadNPZ(filepath.Join(out, "sorting.npz"))
	if err != nil {
		t.Fatal(err)
	}
	phy, err := sorting.ReadPhy(out)
	if err != nil {
		t.Fatal(err)
	}
	if npz.NumSpikes() != res.Sorting.NumSpikes() || phy.NumSpikes() != npz.NumSpikes() {
		t.Errorf("spikes: result %d, npz %d, phy %d", res.Sorting.NumSpikes(), npz.NumSpikes(),
			phy.NumSpikes())
	}
	for _, f := range []string{"params.py", "templates.npy", "amplitudes.npy",
		"channel_positions.npy", "cluster_group.tsv", "spike_templates.npy"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
}

// TestSortFileDeterministic sorts one file twice: the labels must be the same, spike for
// spike, although the sort runs through the live path at full speed.
func TestSortFileDeterministic(t *testing.T) {
	rec := simulate(t, probe.Tetrode(), 6, 60, 13)
	dir := t.TempDir()
	if err := rec.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	var runs [2]*sorting.Sorting
	for i := range runs {
		res, err := SortFile(context.Background(), FileOptions{
			Input: RawInput{Path: filepath.Join(dir, "rec.dat"), Channels: 4,
				SampleRateHz: rec.SampleRateHz, UVPerBit: rec.UVPerBit, Probe: rec.Probe},
			OutDir: filepath.Join(dir, "sorted"), Method: Learned})
		if err != nil {
			t.Fatal(err)
		}
		runs[i] = res.Sorting
	}
	a, b := runs[0], runs[1]
	if !slices.Equal(a.Times, b.Times) || !slices.Equal(a.Labels, b.Labels) {
		t.Errorf("two sorts of one file differ: %d and %d spikes, %d and %d units",
			a.NumSpikes(), b.NumSpikes(), len(a.UnitIDs), len(b.UnitIDs))
	}
}

func TestSortFileRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	odd := filepath.Join(dir, "odd.dat")
	if err := os.WriteFile(odd, make([]byte, 4*2*100+3), 0o644); err != nil {
		t.Fatal(err)
	}
	tet := probe.Tetrode()
	cases := map[string]RawInput{
		"truncated": {Path: odd, Channels: 4, SampleRateHz: 30000, UVPerBit: 0.195,
			Probe: tet},
		"channel mismatch": {Path: odd, Channels: 8, SampleRateHz: 30000, UVPerBit: 0.195,
			Probe: tet},
		"missing file": {Path: filepath.Join(dir, "none"), Channels: 4, SampleRateHz: 30000,
			UVPerBit: 1, Probe: tet},
		"rate":       {Path: odd, Channels: 4, SampleRateHz: 5000, UVPerBit: 1, Probe: tet},
		"uv per bit": {Path: odd, Channels: 4, SampleRateHz: 30000, UVPerBit: -1, Probe: tet},
	}
	for name, in := range cases {
		_, err := SortFile(context.Background(), FileOptions{Input: in, OutDir: dir,
			Method: Baseline})
		if !errors.Is(err, ErrBadInput) {
			t.Errorf("%s: %v, want ErrBadInput", name, err)
		}
	}
}

// A streamed accuracy case replays the samples Generate would hold, and sorts through the
// whole live path.
func TestSortRecordingStreamed(t *testing.T) {
	cfg := sim.Config{Probe: probe.Tetrode(), Units: 4, DurationS: 20, NoiseUV: 10, Seed: 41}
	ctx := context.Background()
	held, err := sim.Generate(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	streamed, err := streamCase(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if streamed.Samples != nil || !slices.Equal(streamed.Truth, held.Truth) {
		t.Fatal("streamed case holds samples or has another truth")
	}
	src, err := samplesOf(ctx, streamed)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(src)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := io.ReadAll(NewInt16Reader(held.Samples))
	if !bytes.Equal(got, want) {
		t.Fatalf("streamed case replays %d bytes unlike the %d held", len(got), len(want))
	}

	s, err := SortRecording(Learned, false, zap.NewNop())(ctx, streamed)
	if err != nil {
		t.Fatal(err)
	}
	if f := labelledWithin(held, s, 12, 5); !(f >= 0.5) {
		t.Fatalf("%.2f of high-SNR spikes labelled from the streamed case", f)
	}
}
