package neuron

import (
	"errors"
	"math"
	"math/rand"
	"os"
	"strings"
	"testing"
)

func TestReadSWCSmall(t *testing.T) {
	f, err := os.Open("testdata/small.swc")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := ReadSWC(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	// 18 samples: 3 soma samples become one segment, the rest one segment each.
	if got := len(m.Segments); got != 16 {
		t.Errorf("%d segments, want 16", got)
	}
	if d := m.Segments[0].DiamUm; d != 16 {
		t.Errorf("soma diameter %g um, want 16", d)
	}
	if l := m.TotalLengthUm(Axon); math.Abs(l-(4+48+90)) > 1e-9 {
		t.Errorf("axon length %g um, want 142 (starting at the soma surface)", l)
	}
	bio, err := RandomBiophysics(PyramidalSmall, rand.New(rand.NewSource(1)))
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCell("swc", m, bio)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Simulate(SimOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if amp, peak, _ := apStats(s); amp < 70 || peak < 0 {
		t.Errorf("SWC cell AP amplitude %.1f mV, peak %.1f mV", amp, peak)
	}
}

func TestReadSWCErrors(t *testing.T) {
	cases := []struct {
		name, text, want string
	}{
		{"empty", "# nothing\n\n", "no samples"},
		{"fields", "1 1 0 0 0 5\n", "6 fields"},
		{"number", "1 1 0 x 0 5 -1\n", `"x" is not a finite number`},
		{"nan", "1 1 0 NaN 0 5 -1\n", "not a finite number"},
		{"integer id", "1.5 1 0 0 0 5 -1\n", "must be an integer"},
		{"radius", "1 1 0 0 0 0 -1\n", "radius 0 um must be positive"},
		{"duplicate", "1 1 0 0 0 5 -1\n1 3 0 9 0 1 2\n", "duplicate sample id 1"},
		{"missing parent", "1 1 0 0 0 5 -1\n2 3 0 9 0 1 7\n", "parent 7 does not exist"},
		{"two roots", "1 1 0 0 0 5 -1\n2 1 50 0 0 5 -1\n", "both roots"},
		{"no root", "1 3 0 0 0 5 2\n2 3 0 9 0 1 1\n", "no root"},
		{"cycle", "1 1 0 0 0 5 -1\n2 3 0 9 0 1 3\n3 3 0 19 0 1 2\n", "not connected"},
		{"root not soma", "1 3 0 0 0 5 -1\n", "want 1 (soma)"},
		{"self parent", "1 1 0 0 0 5 1\n", "bad parent 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadSWC(strings.NewReader(tc.text))
			if !errors.Is(err, ErrBadSWC) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrBadSWC containing %q", err, tc.want)
			}
		})
	}
}

func TestReadSWCWithoutAxonGetsOne(t *testing.T) {
	text := "1 1 0 0 0 6 -1\n2 3 0 10 0 1 1\n3 3 0 120 0 0.8 2\n4 3 0 -10 0 1 1\n" +
		"5 3 0 -100 0 0.8 4\n"
	m, err := ReadSWC(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	bio, _ := RandomBiophysics(RSInterneuron, rand.New(rand.NewSource(2)))
	c, err := NewCell("dendrites-only", m, bio)
	if err != nil {
		t.Fatal(err)
	}
	if c.Morphology.TotalLengthUm(AIS) < aisLengthUm-1e-9 {
		t.Errorf("no synthetic AIS added: %g um", c.Morphology.TotalLengthUm(AIS))
	}
	if _, err := c.Simulate(SimOptions{}); err != nil {
		t.Fatal(err)
	}
}

func FuzzReadSWC(f *testing.F) {
	seed, _ := os.ReadFile("testdata/small.swc")
	f.Add(string(seed))
	f.Add("1 1 0 0 0 5 -1\n2 3 0 9 0 1 1\n")
	f.Add("1 1 0 0 0 5 -1\n2 3 0 0 0 1 1\n3 2 0 0 0 1 2\n")
	f.Fuzz(func(t *testing.T, text string) {
		m, err := ReadSWC(strings.NewReader(text))
		if err != nil {
			if !errors.Is(err, ErrBadSWC) {
				t.Fatalf("error does not wrap ErrBadSWC: %v", err)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("ReadSWC returned an invalid morphology: %v", err)
		}
	})
}
