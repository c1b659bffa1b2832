package models

import (
	"math"
	"testing"

	"github.com/spikestream/spikestream/pipeline"
)

func TestFillRateInvariant(t *testing.T) {
	tests := []struct {
		name string
		spec InputSpec
		tol  float64
	}{
		{"detector-grid", testDetSpec, 0.02},
		{"embedder-grid", testEmbSpec, 0.04},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := make([]float32, tc.spec.Size()), make([]float32, tc.spec.Size())
			if !tc.spec.Fill(spikeSnippet(8, 20000, 120), 0, a) ||
				!tc.spec.Fill(spikeSnippet(8, 30000, 120), 0, b) {
				t.Fatal("fill refused a well-formed snippet")
			}
			for i := range a {
				if d := math.Abs(float64(a[i] - b[i])); d > tc.tol*max(1, math.Abs(float64(a[i]))) {
					t.Fatalf("input %d: %g at 20 kHz, %g at 30 kHz", i, a[i], b[i])
				}
			}
		})
	}
}

func TestFillPadsSmallProbes(t *testing.T) {
	spec := testEmbSpec
	x := make([]float32, spec.Size())
	if !spec.Fill(spikeSnippet(4, 30000, 100), 0, x) {
		t.Fatal("fill refused a tetrode snippet")
	}
	for k := 0; k < spec.Channels; k++ {
		mask := x[spec.WaveSize()+3*k+2]
		row := x[k*spec.Steps : (k+1)*spec.Steps]
		nonzero := false
		for _, v := range row {
			nonzero = nonzero || v != 0
		}
		if want := k < 4; (mask == 1) != want || nonzero != want {
			t.Fatalf("channel %d: mask %g, signal present %v; want present %v", k, mask,
				nonzero, want)
		}
	}
	trough := x[int(math.Round(-spec.T0Ms/spec.DtMs))]
	if math.Abs(float64(trough+1)) > 0.02 {
		t.Fatalf("peak-scaled trough %g, want -1", trough)
	}
	s := spikeSnippet(4, 30000, 100)
	want := float32(math.Log(float64(-s.Data[s.Pre]) / 8))
	if got := x[spec.Size()-1]; math.Abs(float64(got-want)) > 1e-5 {
		t.Fatalf("log depth input %g, want %g", got, want)
	}
}

func TestFillRejectsMalformed(t *testing.T) {
	good := spikeSnippet(4, 30000, 100)
	short, noRate, badPre := *good, *good, *good
	short.Data = short.Data[:10]
	noRate.SampleRateHz = 0
	badPre.Pre = good.Len
	tests := []struct {
		name string
		snip *pipeline.Snippet
		want bool
	}{
		{"good", good, true},
		{"short data", &short, false},
		{"no rate", &noRate, false},
		{"pre past end", &badPre, false},
		{"no channels", spikeSnippet(0, 30000, 100), false},
	}
	x := make([]float32, testDetSpec.Size())
	for _, tc := range tests {
		if got := testDetSpec.Fill(tc.snip, 0, x); got != tc.want {
			t.Errorf("%s: fill ok = %v, want %v", tc.name, got, tc.want)
		}
	}
	d, err := NewDetector(testDetectorCheckpoint(1))
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Score(&short); got != 0 {
		t.Errorf("malformed snippet scored %g, want 0", got)
	}
}
