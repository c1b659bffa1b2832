package neuron

import (
	"errors"
	"math"
	"math/rand"
	"testing"
)

// simulated returns a simulated cell of the class at 0.02 ms, failing the test on error.
func simulated(t testing.TB, class string, seed int64) *Sources {
	t.Helper()
	c, err := RandomCell(class, rand.New(rand.NewSource(seed)))
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Simulate(SimOptions{OutDtMs: 0.02})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// potentials returns the traces at the contacts for the soma at the origin, unrotated.
func potentials(t testing.TB, s *Sources, contacts [][3]float64) [][]float32 {
	t.Helper()
	dst := make([][]float32, len(contacts))
	for i := range dst {
		dst[i] = make([]float32, s.NumSteps())
	}
	if err := s.Potential(contacts, [3]float64{}, Identity(), 0, dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

func potentialAt(t testing.TB, s *Sources, p [3]float64) []float32 {
	return potentials(t, s, [][3]float64{p})[0]
}

func trough(x []float32) (minUV float64, at int) {
	minUV = math.Inf(1)
	for i, v := range x {
		if float64(v) < minUV {
			minUV, at = float64(v), i
		}
	}
	return minUV, at
}

// troughWidthMs is the width of the negative phase at half its depth.
func troughWidthMs(x []float32, dtMs float64) float64 {
	min, at := trough(x)
	lo, hi := at, at
	for lo > 0 && float64(x[lo]) < min/2 {
		lo--
	}
	for hi < len(x)-1 && float64(x[hi]) < min/2 {
		hi++
	}
	return float64(hi-lo) * dtMs
}

func TestFieldFallsWithDistance(t *testing.T) {
	for _, class := range Classes() {
		s := simulated(t, class, 7)
		var near float64
		for i, dUm := range []float64{20, 50, 100, 200} {
			min, at := trough(potentialAt(t, s, [3]float64{0, 0, dUm}))
			t.Logf("%s: %3.0f um: trough %.1f uV at %+.2f ms", class, dUm, min,
				float64(at-s.PeakStep)*s.DtMs)
			switch {
			case i == 0:
				near = min
				if near > -15 {
					t.Errorf("%s: trough only %.1f uV at 20 um", class, near)
				}
			case dUm >= 100 && min < 0.1*near:
				t.Errorf("%s: trough %.1f uV at %g um is not small (%.1f at 20 um)",
					class, min, dUm, near)
			}
		}
	}
}

// TestTroughNearSoma scans contacts along a line parallel to the cell's axis, 20 um away,
// and checks that the deepest trough is next to the soma / AIS, not on the dendrites.
func TestTroughNearSoma(t *testing.T) {
	for _, class := range []string{PyramidalLarge, PyramidalSmall, FSInterneuron} {
		s := simulated(t, class, 8)
		var contacts [][3]float64
		for y := -300.0; y <= 900; y += 10 {
			contacts = append(contacts, [3]float64{0, y, 20})
		}
		best, bestY := 0.0, 0.0
		for i, tr := range potentials(t, s, contacts) {
			if min, _ := trough(tr); min < best {
				best, bestY = min, contacts[i][1]
			}
		}
		t.Logf("%s: deepest trough %.1f uV at y = %+.0f um", class, best, bestY)
		if math.Abs(bestY) > 40 {
			t.Errorf("%s: deepest trough at y = %+.0f um, want within 40 um of the soma",
				class, bestY)
		}
	}
}

func TestFSTroughNarrower(t *testing.T) {
	widths := map[string]float64{}
	for _, class := range []string{FSInterneuron, PyramidalLarge} {
		for seed := int64(1); seed <= 3; seed++ {
			s := simulated(t, class, seed)
			widths[class] += troughWidthMs(potentialAt(t, s, [3]float64{0, 0, 30}), s.DtMs) / 3
		}
	}
	t.Logf("trough half-widths at 30 um: %v ms", widths)
	if widths[FSInterneuron] >= 0.8*widths[PyramidalLarge] {
		t.Errorf("FS trough %.3f ms not narrower than pyramidal %.3f ms",
			widths[FSInterneuron], widths[PyramidalLarge])
	}
}

// TestWaveformDiffersAcrossContacts compares the normalised shapes beside the soma and
// beside the apical dendrite: there the return currents give a positive-first or inverted
// waveform, so the correlation with the somatic waveform is low.
func TestWaveformDiffersAcrossContacts(t *testing.T) {
	s := simulated(t, PyramidalLarge, 2)
	tr := potentials(t, s, [][3]float64{{0, 0, 20}, {0, 20, 20}, {0, 250, 20}})
	if c := correlation(tr[0], tr[1]); c < 0.5 {
		t.Errorf("neighbouring contacts 20 um apart correlate only %.2f", c)
	}
	if c := correlation(tr[0], tr[2]); c > 0.5 {
		t.Errorf("somatic and apical waveforms correlate %.2f; want different shapes", c)
	}
}

func correlation(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

// TestLineSourceMatchesPointSum checks the line-source formula against many point sources
// spread along one segment.
func TestLineSourceMatchesPointSum(t *testing.T) {
	one := &Sources{Start: [][3]float64{{-30, 10, 0}}, End: [][3]float64{{40, 25, 5}},
		Parent: []int{-1}, Kind: []SegKind{Soma}, CurrentsNA: [][]float32{{1}},
		SomaVmMV: []float32{0}, DtMs: 0.02}
	const pieces = 20000
	for _, p := range [][3]float64{{0, 0, 30}, {100, 40, 10}, {-60, 0, -8}, {5, 17, 9}} {
		got := potentials(t, one, [][3]float64{p})[0][0]
		var want float64
		for k := range pieces {
			x := lerp(one.Start[0], one.End[0], (float64(k)+0.5)/pieces)
			want += 1e3 / (4 * math.Pi * SigmaSPerM * dist(x, p)) / pieces
		}
		if math.Abs(float64(got)-want) > 1e-4*math.Abs(want) {
			t.Errorf("contact %v: line source %.6f uV, point sum %.6f uV", p, got, want)
		}
	}
}

func TestPotentialRotationAndShift(t *testing.T) {
	s := simulated(t, PyramidalSmall, 3)
	// Rotating the cell by R and the contact by R must give the same potential.
	rot := UniformRotation(rand.New(rand.NewSource(1)))
	p := [3]float64{15, 60, 25}
	soma := [3]float64{100, -40, 7}
	a := potentialAt(t, s, p)
	dst := [][]float32{make([]float32, s.NumSteps())}
	if err := s.Potential([][3]float64{add(rot.Apply(p), soma)}, soma, rot, 0, dst); err != nil {
		t.Fatal(err)
	}
	for k := range a {
		if math.Abs(float64(a[k]-dst[0][k])) > 1e-3*(1+math.Abs(float64(a[k]))) {
			t.Fatalf("step %d: %.5f uV unrotated, %.5f uV rotated", k, a[k], dst[0][k])
		}
	}
}

func TestRotations(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	for range 100 {
		for _, r := range []Rotation{UniformRotation(rng), RandomRotation(rng, 25)} {
			checkOrthonormal(t, r)
		}
		up := RandomRotation(rng, 25).Apply([3]float64{0, 1, 0})
		if tilt := math.Acos(up[1]) * 180 / math.Pi; tilt > 25+1e-9 {
			t.Fatalf("RandomRotation tilted the apical axis by %.1f degrees", tilt)
		}
	}
}

func checkOrthonormal(t *testing.T, r Rotation) {
	t.Helper()
	for i := range 3 {
		for j := range 3 {
			want := 0.0
			if i == j {
				want = 1
			}
			if math.Abs(dot(r[i], r[j])-want) > 1e-9 {
				t.Fatalf("rows %d, %d of %v not orthonormal", i, j, r)
			}
		}
	}
	if det := dot(r[0], cross(r[1], r[2])); math.Abs(det-1) > 1e-9 {
		t.Fatalf("determinant %g", det)
	}
}

func TestMergedKeepsField(t *testing.T) {
	s := simulated(t, PyramidalLarge, 6)
	m := s.Merged(40)
	t.Logf("%d segments merged into %d sources", s.NumSegments(), m.NumSegments())
	if m.NumSegments() >= s.NumSegments()*6/10 {
		t.Errorf("merging left %d of %d sources", m.NumSegments(), s.NumSegments())
	}
	near, _ := trough(potentialAt(t, s, [3]float64{0, 0, 20}))
	for _, p := range [][3]float64{{0, 0, 20}, {30, 200, 40}, {0, -100, 60}} {
		a, b := potentialAt(t, s, p), potentialAt(t, m, p)
		ma, _ := trough(a)
		mb, _ := trough(b)
		t.Logf("contact %v: trough %.2f uV merged, %.2f uV all segments", p, mb, ma)
		if math.Abs(mb-ma) > 0.05*math.Abs(ma)+0.01*math.Abs(near) {
			t.Errorf("contact %v: trough %.2f uV merged vs %.2f uV", p, mb, ma)
		}
	}
}

func TestPotentialBadInput(t *testing.T) {
	s := simulated(t, RSInterneuron, 1)
	contacts := [][3]float64{{0, 0, 20}}
	cases := []struct {
		dst   [][]float32
		sigma float64
	}{
		{nil, 0.3},
		{[][]float32{make([]float32, 3)}, 0.3},
		{[][]float32{make([]float32, s.NumSteps())}, -1},
	}
	for i, tc := range cases {
		err := s.Potential(contacts, [3]float64{}, Identity(), tc.sigma, tc.dst)
		if !errors.Is(err, ErrBadProjection) {
			t.Errorf("case %d: err = %v, want ErrBadProjection", i, err)
		}
	}
}

// neuropixelsLike returns 384 contacts in a Neuropixels 1.0 checkerboard, z = 0.
func neuropixelsLike() [][3]float64 {
	xs := [4]float64{43, 11, 59, 27}
	out := make([][3]float64, 384)
	for ch := range out {
		out[ch] = [3]float64{xs[ch%4], 20 * float64(ch/2), 0}
	}
	return out
}

func BenchmarkPotentialNeuropixels(b *testing.B) {
	for _, merge := range []float64{0, 40} {
		name := "all-segments"
		s := simulated(b, PyramidalLarge, 1)
		if merge > 0 {
			s, name = s.Merged(merge), "merged-40um"
		}
		contacts := neuropixelsLike()
		dst := make([][]float32, len(contacts))
		for i := range dst {
			dst[i] = make([]float32, s.NumSteps())
		}
		rot := RandomRotation(rand.New(rand.NewSource(1)), 20)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				err := s.Potential(contacts, [3]float64{30, 3800, 25}, rot, SigmaSPerM, dst)
				if err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu0)
			b.ReportMetric(float64(s.NumSegments()), "sources")
		})
	}
}

// TestNoStimulusArtefact checks that the field is quiet before the spike: the somatic
// pulse's currents, clearly visible in the raw currents, are removed by the passive
// subtraction.
func TestNoStimulusArtefact(t *testing.T) {
	for _, class := range []string{PyramidalLarge, PyramidalSmall} {
		c, _ := RandomCell(class, rand.New(rand.NewSource(2)))
		var pre [2]float64
		for k, raw := range []bool{false, true} {
			s, err := c.Simulate(SimOptions{OutDtMs: 0.02, RawCurrents: raw})
			if err != nil {
				t.Fatal(err)
			}
			quietEnd := s.PeakStep - int(0.6/s.DtMs) // the AIS spike starts later
			if s.StimStep > quietEnd-5 {
				t.Fatalf("%s: pulse at step %d is too close to the peak at %d", class,
					s.StimStep, s.PeakStep)
			}
			tr := potentialAt(t, s, [3]float64{0, 0, 20})
			min, _ := trough(tr)
			for _, v := range tr[:quietEnd] {
				pre[k] = max(pre[k], math.Abs(float64(v)))
			}
			pre[k] /= math.Abs(min)
		}
		t.Logf("%s: largest pre-spike signal %.1f%% of the trough (raw %.1f%%)", class,
			100*pre[0], 100*pre[1])
		if pre[0] > 0.05 || pre[1] < 3*pre[0] {
			t.Errorf("%s: pre-spike signal %.3f of the trough, raw %.3f", class, pre[0], pre[1])
		}
	}
}
