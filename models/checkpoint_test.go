package models

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

func encode(t testing.TB, c *Checkpoint) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Encode(&b, c); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCheckpointRoundTrip(t *testing.T) {
	snip := spikeSnippet(6, 25000, 90)
	tests := []struct {
		name string
		c    *Checkpoint
	}{
		{"detector", testDetectorCheckpoint(3)},
		{"embedder", testEmbedderCheckpoint(4)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.Header.Training = &TrainingInfo{Source: "test", Seed: 9,
				Metrics: map[string]float64{"val_auc": 0.5}}
			before, err := modelOutput(tc.c, snip)
			if err != nil {
				t.Fatal(err)
			}
			m, err := FromBytes(encode(t, tc.c))
			if err != nil {
				t.Fatal(err)
			}
			if m.Header().Training.Seed != 9 || m.Header().Kind != tc.name {
				t.Fatalf("header lost: %+v", m.Header())
			}
			after := outputOf(m, snip)
			for i := range before {
				if before[i] != after[i] {
					t.Fatalf("output %d: %g before, %g after the round trip", i, before[i],
						after[i])
				}
			}
		})
	}
}

// modelOutput builds the model of c and runs it on s.
func modelOutput(c *Checkpoint, s any) ([]float32, error) {
	var m Model
	var err error
	switch c.Header.Kind {
	case KindDetector:
		m, err = NewDetector(c)
	default:
		m, err = NewEmbedder(c)
	}
	if err != nil {
		return nil, err
	}
	return outputOf(m, s), nil
}

func TestDecodeRejectsDamage(t *testing.T) {
	good := encode(t, testDetectorCheckpoint(5))
	flip := bytes.Clone(good)
	flip[len(flip)/2] ^= 0x40
	nan := testDetectorCheckpoint(5)
	nan.Tensors["l0.w"][3] = float32(math.NaN())
	wrongKind := testDetectorCheckpoint(5)
	wrongKind.Header.Kind = "classifier"
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"magic only", []byte(checkpointMagic)},
		{"truncated", good[:len(good)-9]},
		{"bit flip", flip},
		{"nan weight", encode(t, nan)},
		{"unknown kind", encode(t, wrongKind)},
	}
	for _, tc := range tests {
		if _, err := FromBytes(tc.b); !errors.Is(err, ErrBadCheckpoint) {
			t.Errorf("%s: err = %v, want ErrBadCheckpoint", tc.name, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(encode(f, testDetectorCheckpoint(6)))
	f.Add(encode(f, PCACheckpoint(Header{Input: testEmbSpec}, make([]float32,
		testEmbSpec.WaveSize()), make([]float32, 2*testEmbSpec.WaveSize()))))
	f.Add([]byte(checkpointMagic + "\x05\x00\x00\x00{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := FromBytes(b)
		if err != nil {
			if !errors.Is(err, ErrBadCheckpoint) && !errors.Is(err, ErrBadSpec) {
				t.Fatalf("error %v is not a checkpoint error", err)
			}
			return
		}
		outputOf(m, spikeSnippet(3, 30000, 80))
	})
}
