package neuron

import (
	"math"
	"math/rand"
	"testing"
	"time"
)

// apStats returns the somatic AP amplitude (peak minus the resting potential at the start
// of the window), the peak potential, and the width at half amplitude, in mV and ms.
func apStats(s *Sources) (ampMV, peakMV, widthMs float64) {
	v := s.SomaVmMV
	base := float64(v[0])
	peakMV = float64(v[s.PeakStep])
	ampMV = peakMV - base
	half := base + ampMV/2
	lo, hi := s.PeakStep, s.PeakStep
	for lo > 0 && float64(v[lo]) > half {
		lo--
	}
	for hi < len(v)-1 && float64(v[hi]) > half {
		hi++
	}
	return ampMV, peakMV, float64(hi-lo) * s.DtMs
}

func TestSomaticActionPotential(t *testing.T) {
	widthMs := map[string][2]float64{ // physiological half-widths at ~35 C
		PyramidalLarge: {0.5, 1.4}, PyramidalSmall: {0.5, 1.4},
		FSInterneuron: {0.15, 0.4}, RSInterneuron: {0.35, 0.9},
	}
	mean := map[string]float64{}
	const seeds = 3
	for _, class := range Classes() {
		for seed := int64(1); seed <= seeds; seed++ {
			s := simulated(t, class, seed)
			amp, peak, w := apStats(s)
			t.Logf("%s seed %d: %d segs, amp %.1f mV, peak %+.1f mV, half-width %.2f ms",
				class, seed, s.NumSegments(), amp, peak, w)
			if amp < 80 || amp > 125 || peak < 0 {
				t.Errorf("%s seed %d: amplitude %.1f mV, peak %.1f mV", class, seed, amp, peak)
			}
			if r := widthMs[class]; w < r[0] || w > r[1] {
				t.Errorf("%s seed %d: half-width %.2f ms outside %v", class, seed, w, r)
			}
			mean[class] += w / seeds
		}
	}
	if mean[FSInterneuron] >= 0.6*mean[PyramidalLarge] {
		t.Errorf("FS half-width %.2f ms not clearly narrower than pyramidal %.2f ms",
			mean[FSInterneuron], mean[PyramidalLarge])
	}
}

// TestCurrentConservation checks that the membrane currents of the closed cell, computed
// from the membrane side, sum to zero at every step (the stimulus counts as a membrane
// current of the soma). This holds only if the tree solve is right. Raw and
// passive-subtracted currents are checked in turn.
func TestCurrentConservation(t *testing.T) {
	for i, class := range Classes() {
		c, _ := RandomCell(class, rand.New(rand.NewSource(5)))
		s, err := c.Simulate(SimOptions{DtMs: 0.01, RawCurrents: i%2 == 0})
		if err != nil {
			t.Fatal(err)
		}
		var worst, peak float64
		for k := range s.NumSteps() {
			var sum float64
			for i := range s.CurrentsNA {
				x := float64(s.CurrentsNA[i][k])
				sum += x
				peak = max(peak, math.Abs(x))
			}
			worst = max(worst, math.Abs(sum))
		}
		t.Logf("%s: largest |sum| %.2g nA, largest segment current %.3g nA", class, worst, peak)
		if worst > 1e-4*peak {
			t.Errorf("%s: currents sum to %.3g nA (largest single current %.3g nA)",
				class, worst, peak)
		}
	}
}

// TestHinesMatchesDense compares the tree elimination with Gaussian elimination of the
// same dense matrix on a random tree.
func TestHinesMatchesDense(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	c, _ := RandomCell(RSInterneuron, rng)
	r := c.newRun(SimOptions{DtMs: 0.01}, 0)
	n := c.NumSegments()
	a := make([][]float64, n)
	b := make([]float64, n)
	for i := range n {
		a[i] = make([]float64, n)
		r.d[i] = 1 + rng.Float64()
		r.rhs[i] = rng.NormFloat64()
		a[i][i], b[i] = r.d[i], r.rhs[i]
	}
	for i := 1; i < n; i++ {
		g, p := c.gAxUS[i], c.parent[i]
		a[i][i] += g
		a[p][p] += g
		a[i][p], a[p][i] = -g, -g
	}
	r.solve()
	want := gaussSolve(a, b)
	for i := range n {
		if math.Abs(r.v[i]-want[i]) > 1e-8*(1+math.Abs(want[i])) {
			t.Fatalf("node %d: Hines %.12g, dense %.12g", i, r.v[i], want[i])
		}
	}
}

func gaussSolve(a [][]float64, b []float64) []float64 {
	n := len(b)
	for col := range n {
		piv := col
		for r := col + 1; r < n; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[piv][col]) {
				piv = r
			}
		}
		a[col], a[piv] = a[piv], a[col]
		b[col], b[piv] = b[piv], b[col]
		for r := col + 1; r < n; r++ {
			f := a[r][col] / a[col][col]
			for k := col; k < n; k++ {
				a[r][k] -= f * a[col][k]
			}
			b[r] -= f * b[col]
		}
	}
	x := make([]float64, n)
	for i := n - 1; i >= 0; i-- {
		sum := b[i]
		for k := i + 1; k < n; k++ {
			sum -= a[i][k] * x[k]
		}
		x[i] = sum / a[i][i]
	}
	return x
}

// TestRestIsStable checks that an unstimulated cell stays at rest for 50 ms, with exact
// rates and with the interpolated rate tables Simulate uses.
func TestRestIsStable(t *testing.T) {
	c, _ := RandomCell(PyramidalLarge, rand.New(rand.NewSource(9)))
	for _, tol := range []float64{1e-6, 0.05} {
		o := SimOptions{DtMs: 0.025}
		r := c.newRun(o, 0)
		if tol > 1e-6 {
			r.table = newGateTable(c.Bio.VTMV, c.Bio.QNa, c.Bio.QK, o.DtMs)
		}
		for range 2000 {
			r.step(0)
		}
		for i, v := range r.v {
			if math.Abs(v-c.Bio.VRestMV) > tol {
				t.Fatalf("table %v: segment %d drifted to %.6f mV from rest %.6f mV",
					r.table != nil, i, v, c.Bio.VRestMV)
			}
		}
	}
}

// TestTimeStepConvergence checks that the spike barely changes when dt is halved or
// increased, and stays finite at the largest allowed step.
func TestTimeStepConvergence(t *testing.T) {
	c, _ := RandomCell(PyramidalSmall, rand.New(rand.NewSource(4)))
	type res struct{ amp, width float64 }
	var got []res
	for _, dt := range []float64{0.005, 0.01, 0.025, 0.05} {
		s, err := c.Simulate(SimOptions{DtMs: dt, OutDtMs: dt})
		if err != nil {
			t.Fatalf("dt %g: %v", dt, err)
		}
		amp, _, w := apStats(s)
		t.Logf("dt %.3f ms: amp %.2f mV, half-width %.3f ms", dt, amp, w)
		got = append(got, res{amp, w})
	}
	ref := got[0]
	for i, tol := range []float64{0, 2, 5, 12} {
		if math.Abs(got[i].amp-ref.amp) > tol+1e-9 && i > 0 {
			t.Errorf("case %d: amplitude %.2f mV vs %.2f at dt 0.005", i, got[i].amp, ref.amp)
		}
	}
	if math.Abs(got[1].width-ref.width) > 0.03 {
		t.Errorf("half-width %.3f ms at dt 0.01 vs %.3f at dt 0.005", got[1].width, ref.width)
	}
}

func TestBadInput(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	if _, err := RandomCell("purkinje", rng); err == nil {
		t.Error("unknown class accepted")
	}
	c, _ := RandomCell(FSInterneuron, rng)
	for _, o := range []SimOptions{{DtMs: -1}, {DtMs: 0.01, OutDtMs: 0.015}, {PostMs: -1},
		{NaScale: -1}, {NaScale: 3}} {
		if _, err := c.Simulate(o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
	bad := &Morphology{Segments: []Segment{{Parent: -1, DiamUm: 10, Kind: Soma},
		{Parent: 5, DiamUm: 1, Kind: Basal}}}
	if _, err := NewCell("x", bad, Biophysics{}); err == nil {
		t.Error("morphology with a forward parent accepted")
	}
}

func BenchmarkSimulate(b *testing.B) {
	for _, class := range Classes() {
		b.Run(class, func(b *testing.B) {
			c, _ := RandomCell(class, rand.New(rand.NewSource(1)))
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				if _, err := c.Simulate(SimOptions{OutDtMs: 0.02}); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu0)
		})
	}
}

// TestSpikeStartsInAIS checks the physiology the AIS sodium density is there for: the
// spike crosses 0 mV in the axon initial segment before it does in the soma.
func TestSpikeStartsInAIS(t *testing.T) {
	for _, class := range Classes() {
		c, _ := RandomCell(class, rand.New(rand.NewSource(12)))
		s, err := c.Simulate(SimOptions{})
		if err != nil {
			t.Fatal(err)
		}
		o, _ := SimOptions{}.withDefaults()
		r := c.newRun(o, s.StimNA)
		r.table = newGateTable(c.Bio.VTMV, c.Bio.QNa, c.Bio.QK, o.DtMs)
		aisStep, somaStep := -1, -1
		for step := 0; somaStep < 0 && step < 2000; step++ {
			r.step(r.stimAt(step))
			for i, seg := range c.Morphology.Segments {
				if seg.Kind == AIS && r.v[i] > 0 && aisStep < 0 {
					aisStep = step
				}
			}
			if r.v[0] > 0 {
				somaStep = step
			}
		}
		t.Logf("%s: AIS crosses 0 mV at step %d, soma at %d", class, aisStep, somaStep)
		if aisStep < 0 || somaStep < 0 || aisStep >= somaStep {
			t.Errorf("%s: AIS at step %d, soma at step %d; want the AIS first",
				class, aisStep, somaStep)
		}
	}
}

// TestFiresOnce checks that the stimulus gives exactly one spike over 20 ms: the
// charge-balancing pulse and the weak dendritic sodium leave no plateau to refire from.
func TestFiresOnce(t *testing.T) {
	for _, class := range Classes() {
		for seed := int64(1); seed <= 3; seed++ {
			c, _ := RandomCell(class, rand.New(rand.NewSource(seed)))
			s, err := c.Simulate(SimOptions{OutDtMs: 0.02, PostMs: 20})
			if err != nil {
				t.Fatal(err)
			}
			v := s.SomaVmMV
			k := s.PeakStep
			for k < len(v) && v[k] > -30 {
				k++
			}
			for ; k < len(v); k++ {
				if v[k] > -20 {
					t.Errorf("%s seed %d: soma at %.1f mV %.2f ms after the spike", class,
						seed, v[k], float64(k-s.PeakStep)*s.DtMs)
					break
				}
			}
		}
	}
}

// reportCPU adds the process CPU time per op since cpu0 as the metric "cpu-ms/op".
func reportCPU(b *testing.B, cpu0 time.Duration) {
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/1e3/float64(b.N), "cpu-ms/op")
	}
}

// TestNaScaleShrinksSpike checks the burst option: less sodium gives a smaller and wider
// extracellular spike.
func TestNaScaleShrinksSpike(t *testing.T) {
	c, _ := RandomCell(PyramidalSmall, rand.New(rand.NewSource(3)))
	var depth, width [2]float64
	for k, f := range []float64{1, 0.7} {
		s, err := c.Simulate(SimOptions{OutDtMs: 0.02, NaScale: f})
		if err != nil {
			t.Fatalf("NaScale %g: %v", f, err)
		}
		tr := potentialAt(t, s, [3]float64{0, 0, 20})
		depth[k], _ = trough(tr)
		width[k] = troughWidthMs(tr, s.DtMs)
		t.Logf("NaScale %.1f: trough %.1f uV, half-width %.2f ms", f, depth[k], width[k])
	}
	if -depth[1] >= -0.9*depth[0] || width[1] < width[0] {
		t.Errorf("NaScale 0.7 gave trough %.1f uV, width %.2f ms vs %.1f uV, %.2f ms",
			depth[1], width[1], depth[0], width[0])
	}
}
