package train

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spikestream/spikestream/models"
	"github.com/spikestream/spikestream/sim"
)

// synthGenerate adapts synthRecording to GenerateFunc.
func synthGenerate(_ context.Context, c sim.Config) (*sim.Recording, error) {
	return synthRecording(c.Probe, c.SampleRateHz, c.NoiseUV, c.DurationS, c.Units,
		uint64(c.Seed)), nil
}

func TestRunAndEvaluate(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three small models")
	}
	dir := t.TempDir()
	det, emb := DetectorFit, EmbedderFit
	det.Steps, det.Epochs, det.Batch = 150, 1, 128
	emb.Steps, emb.Epochs, emb.Batch = 100, 1, 12
	var log bytes.Buffer
	cfg := Config{Generate: synthGenerate, Seed: 5, Recordings: 6, ValRecordings: 2,
		DurationS: 4, OutDir: dir, Detector: det, Embedder: emb, Progress: &log}
	if err := Run(context.Background(), cfg); err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	ms := map[string]models.Model{}
	for _, name := range []string{"detector", "embedder", "pca"} {
		m, err := models.Load(filepath.Join(dir, name+".ssm"))
		if err != nil {
			t.Fatal(err)
		}
		if m.Header().Training == nil || m.Header().Training.Seed != 5 {
			t.Fatalf("%s: provenance not recorded: %+v", name, m.Header().Training)
		}
		ms[name] = m
	}
	fig := filepath.Join(dir, "pr.png")
	res, err := Evaluate(context.Background(), EvalConfig{Generate: synthGenerate,
		PerNoise: 2, DurationS: 3, Detector: ms["detector"].(*models.Detector),
		Embedder: ms["embedder"].(*models.Embedder), PCA: ms["pca"].(*models.PCA),
		FigurePath: fig, Progress: &log})
	if err != nil {
		t.Fatalf("evaluate: %v\n%s", err, log.String())
	}
	var md bytes.Buffer
	res.WriteMarkdown(&md)
	t.Log("\n" + md.String())
	if len(res.Detect) != len(EvalNoiseUV) || res.Detect[0].Truth == 0 {
		t.Fatalf("detection rows %+v", res.Detect)
	}
	if st, err := os.Stat(fig); err != nil || st.Size() < 1000 {
		t.Fatalf("figure not written: %v", err)
	}
	if !strings.Contains(md.String(), "| 15 |") {
		t.Fatal("markdown lacks the 15 uV row")
	}
}

func TestRunFromDataDir(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three small models")
	}
	data, out := t.TempDir(), t.TempDir()
	for i := 0; i < 5; i++ {
		sc, err := simConfig(i, int64(40+i), 8, 4)
		if err != nil {
			t.Fatal(err)
		}
		sc.Units = 6
		rec, _ := synthGenerate(context.Background(), sc)
		rec.Config = sc
		if err := rec.WriteDir(filepath.Join(data, fmt.Sprintf("rec_%03d", i))); err != nil {
			t.Fatal(err)
		}
	}
	det, emb := DetectorFit, EmbedderFit
	det.Steps, det.Epochs, det.Batch = 60, 1, 64
	emb.Steps, emb.Epochs, emb.Batch = 40, 1, 8
	var log bytes.Buffer
	err := Run(context.Background(), Config{DataDir: data, ValRecordings: 1, OutDir: out,
		Detector: det, Embedder: emb, GridEndMs: 0.7, Progress: &log})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	m, err := models.Load(filepath.Join(out, "detector.ssm"))
	if err != nil {
		t.Fatal(err)
	}
	if tr := m.Header().Training; tr.Recordings != 4 || !strings.HasPrefix(tr.Source, "sim dataset") {
		t.Fatalf("provenance %+v, want 4 recordings from the dataset", tr)
	}
	checkGridEnds(t, out, 0.7)
}

// checkGridEnds checks that the three checkpoints in dir read up to endMs after the trough.
func checkGridEnds(t *testing.T, dir string, endMs float64) {
	t.Helper()
	for _, name := range []string{"detector", "embedder", "pca"} {
		m, err := models.Load(filepath.Join(dir, name+".ssm"))
		if err != nil {
			t.Fatal(err)
		}
		in := m.Header().Input
		if math.Abs(in.EndMs()-endMs) > 1e-9 || in.T0Ms != -0.6 {
			t.Errorf("%s: grid %g..%g ms, want -0.6..%g", name, in.T0Ms, in.EndMs(), endMs)
		}
	}
}

func TestWithGridEnd(t *testing.T) {
	cases := []struct {
		endMs float64
		steps int
		ok    bool
	}{
		{1, 17, true}, {0.5, 12, true}, {0.7, 14, true}, {-0.5, 2, true},
		{0.55, 0, false}, {1.5, 0, false}, {-0.6, 0, false},
	}
	for _, tc := range cases {
		got, err := WithGridEnd(EmbedderSpec, tc.endMs)
		switch {
		case tc.ok && (err != nil || got.Steps != tc.steps):
			t.Errorf("end %g ms: %d steps, %v; want %d", tc.endMs, got.Steps, err, tc.steps)
		case !tc.ok && !errors.Is(err, models.ErrBadSpec):
			t.Errorf("end %g ms: %v, want ErrBadSpec", tc.endMs, err)
		}
	}
}
