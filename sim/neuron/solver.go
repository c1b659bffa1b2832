package neuron

import (
	"errors"
	"fmt"
	"math"
)

// ErrNoSpike is returned, wrapped, when no stimulus amplitude tried makes the soma fire.
var ErrNoSpike = errors.New("no action potential")

// ErrBadOptions is returned, wrapped, for SimOptions out of range.
var ErrBadOptions = errors.New("bad simulation options")

// SimOptions controls Cell.Simulate. Zero fields take the defaults in brackets.
type SimOptions struct {
	DtMs    float64 // integration step [0.01]
	OutDtMs float64 // step of the returned traces, an integer multiple of DtMs [DtMs]
	PreMs   float64 // window before the somatic peak [2]
	PostMs  float64 // window after the somatic peak [4]
	// StimMs is the duration of the somatic current pulse [0.5]. Its amplitude is found
	// by doubling from StimNA [0: a guess from the capacitance near the soma] until the
	// soma fires (at most 10 tries).
	StimMs float64
	StimNA float64
	// NaScale multiplies every sodium conductance [1]. Values below 1 mimic the partly
	// inactivated sodium channels of late spikes in a burst: smaller, wider spikes.
	NaScale float64
	// RawCurrents skips the passive subtraction: the currents are then the membrane
	// currents of the stimulated cell itself, stimulus dipole included.
	RawCurrents bool
}

func (o SimOptions) withDefaults() (SimOptions, error) {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&o.DtMs, 0.01)
	def(&o.OutDtMs, o.DtMs)
	def(&o.PreMs, 2)
	def(&o.PostMs, 4)
	def(&o.StimMs, 0.5)
	def(&o.NaScale, 1)
	ratio := o.OutDtMs / o.DtMs
	switch {
	case o.DtMs <= 0 || o.DtMs > 0.05:
		return o, fmt.Errorf("%w: DtMs %g outside (0, 0.05]", ErrBadOptions, o.DtMs)
	case math.Abs(ratio-math.Round(ratio)) > 1e-6 || ratio < 1:
		return o, fmt.Errorf("%w: OutDtMs %g is not a multiple of DtMs %g",
			ErrBadOptions, o.OutDtMs, o.DtMs)
	case o.PreMs < 0 || o.PostMs <= 0 || o.PreMs+o.PostMs > 50:
		return o, fmt.Errorf("%w: window -%g..+%g ms", ErrBadOptions, o.PreMs, o.PostMs)
	case !(o.NaScale > 0 && o.NaScale <= 2):
		return o, fmt.Errorf("%w: NaScale %g outside (0, 2]", ErrBadOptions, o.NaScale)
	case o.StimMs <= 0 || o.StimNA < 0:
		return o, fmt.Errorf("%w: stimulus %g nA for %g ms", ErrBadOptions, o.StimNA, o.StimMs)
	}
	return o, nil
}

// stimOnsetMs leaves room for the pre-peak window; the cell starts at rest, so nothing
// happens before the pulse.
func stimOnsetMs(o SimOptions) float64 { return max(0.5, o.PreMs-0.5) }

// Simulate fires one action potential and returns the transmembrane currents of every
// compartment in a window of PreMs before to PostMs after the somatic peak.
//
// The cell starts at rest. A pulse of StimMs at the soma is doubled in amplitude until the
// somatic potential crosses 0 mV; once the soma has fallen below half the spike amplitude,
// an opposite pulse removes the injected charge so that the cell fires only once. The
// pulses are treated as synaptic (membrane) currents of the soma, so the returned
// currents of a closed cell sum to zero at every step. The currents of the passive cell
// (channels frozen at rest) under the same stimulus are subtracted, so the sources hold
// the spike and not the stimulus artefact; SomaVmMV is the real somatic potential.
// Simulate allocates all its state; it is safe to call concurrently on the same Cell.
func (c *Cell) Simulate(opt SimOptions) (*Sources, error) {
	o, err := opt.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("simulate %s: %w", c.Class, err)
	}
	if o.NaScale != 1 {
		c = c.withNaScale(o.NaScale)
	}
	amp := o.StimNA
	if amp == 0 {
		amp = c.firstStimNA()
	}
	table := newGateTable(c.Bio.VTMV, c.Bio.QNa, c.Bio.QK, o.DtMs)
	for range 10 {
		run := c.newRun(o, amp)
		run.table = table
		if peak, ok := run.fire(); ok {
			if !o.RawCurrents {
				run.subtractPassive()
			}
			return run.sources(peak), nil
		}
		amp *= 2
	}
	return nil, fmt.Errorf("simulate %s: %w up to %g nA", c.Class, ErrNoSpike, amp/2)
}

// run is the state of one integration.
type run struct {
	c      *Cell
	o      SimOptions
	stimNA float64
	v      []float64
	g      []gates
	d, rhs []float64 // Hines system: diagonal and right-hand side
	vOld   []float64
	table  *gateTable // nil: exact rates (tests); set by Simulate
	frozen bool       // gates stay at rest: the passive response, for leak subtraction
	stim   []float64  // stimulus applied at each step, nA
	// balanceFrom is the first step of the charge-balancing pulse; -1 until armed.
	balanceFrom int
	imNA        []float32 // membrane currents, [step*n + seg]
	vSoma       []float32
}

func (c *Cell) newRun(o SimOptions, stimNA float64) *run {
	n := c.NumSegments()
	r := &run{c: c, o: o, stimNA: stimNA, v: make([]float64, n), g: make([]gates, n),
		d: make([]float64, n), rhs: make([]float64, n), vOld: make([]float64, n),
		balanceFrom: -1}
	// Typical run length, so the recordings rarely need to grow.
	steps := int((stimOnsetMs(o) + o.StimMs + 2 + o.PostMs) / o.DtMs)
	r.imNA = make([]float32, 0, steps*n)
	r.vSoma = make([]float32, 0, steps)
	r.stim = make([]float64, 0, steps)
	rest := steadyGates(c.Bio.VRestMV, c.Bio.VTMV)
	for i := range r.v {
		r.v[i], r.g[i] = c.Bio.VRestMV, rest
	}
	return r
}

// fire integrates until the soma peaks above 0 mV and PostMs more have passed; it returns
// the step of the peak, or false if the soma did not fire.
func (r *run) fire() (int, bool) {
	o := r.o
	onset := stimOnsetMs(o)
	giveUp := int(math.Ceil((onset + o.StimMs + 6) / o.DtMs))
	peak, peakV := -1, math.Inf(-1)
	for step := 0; ; step++ {
		r.step(r.stimAt(step))
		if vs := r.v[0]; vs > peakV {
			peak, peakV = step, vs
		}
		r.armBalance(step, peakV)
		if peakV > 0 && float64(step-peak)*o.DtMs >= o.PostMs+o.OutDtMs {
			return peak, true
		}
		if peakV <= 0 && (step > giveUp || r.subthreshold(step, onset+o.StimMs)) {
			return 0, false
		}
	}
}

// armBalance starts the charge-balancing phase once the pulse is over and the soma has
// fallen below half its spike amplitude. Without it, the injected charge would hold the
// whole cell some 20 mV above rest for tens of ms and the cell would fire again.
func (r *run) armBalance(step int, peakV float64) {
	if r.balanceFrom >= 0 || peakV <= 0 {
		return
	}
	pulseEnd := int(math.Ceil((stimOnsetMs(r.o) + r.o.StimMs) / r.o.DtMs))
	if step >= pulseEnd && r.v[0] < (peakV+r.c.Bio.VRestMV)/2 {
		r.balanceFrom = step + 1
	}
}

// firstStimNA guesses a pulse amplitude just below threshold: 40 nA per nF of membrane
// within 60 um of the soma centre. Measured thresholds of the built-in classes lie
// between about 30 and 200 nA/nF, so doubling from here needs two or three tries.
func (c *Cell) firstStimNA() float64 {
	soma := c.Morphology.Segments[0]
	centre := lerp(soma.Start, soma.End, 0.5)
	nearNF := 0.0
	for i, s := range c.Morphology.Segments {
		if dist(lerp(s.Start, s.End, 0.5), centre) < 60 {
			nearNF += c.capNF[i]
		}
	}
	return max(0.1, 40*nearNF)
}

// withNaScale returns a copy of c with every sodium conductance multiplied by f and the
// leak reversals re-balanced so that the resting potential is unchanged.
func (c *Cell) withNaScale(f float64) *Cell {
	cc := *c
	cc.gNaUS = make([]float64, len(c.gNaUS))
	cc.eLeakMV = make([]float64, len(c.eLeakMV))
	rest := steadyGates(c.Bio.VRestMV, c.Bio.VTMV)
	for i, g := range c.gNaUS {
		cc.gNaUS[i] = f * g
		cc.eLeakMV[i] = cc.restingLeakReversal(i, rest)
	}
	return &cc
}

// stimAt returns the stimulus current during step: the pulse, and after the spike an
// equal and opposite pulse that takes the injected charge out again.
func (r *run) stimAt(step int) float64 {
	o := r.o
	pulseSteps := int(math.Round(o.StimMs / o.DtMs))
	first := int(math.Ceil(stimOnsetMs(o) / o.DtMs))
	stim := 0.0
	if step >= first && step < first+pulseSteps {
		stim = r.stimNA
	}
	if r.balanceFrom >= 0 && step >= r.balanceFrom && step < r.balanceFrom+pulseSteps {
		stim -= r.stimNA
	}
	return stim
}

// subtractPassive removes from the recorded membrane currents those of the same cell with
// its channels frozen at rest, driven by the same stimulus (leak subtraction). What
// remains is the current the spike itself generates: the large stimulus dipoles cancel,
// and the currents still sum to zero over the cell.
func (r *run) subtractPassive() {
	p := r.c.newRun(r.o, r.stimNA)
	p.frozen = true
	for step := range r.stim {
		p.step(r.stim[step])
	}
	for i := range r.imNA {
		r.imNA[i] -= p.imNA[i]
	}
}

// subthreshold reports that the pulse has ended more than 0.5 ms ago and the soma, below
// -30 mV, has been repolarising for 0.2 ms: no spike is coming (a later spike after a
// stronger pulse is harmless, so this may err on the side of giving up).
func (r *run) subthreshold(step int, stimEndMs float64) bool {
	back := int(0.2/r.o.DtMs + 0.5)
	if float64(step)*r.o.DtMs < stimEndMs+0.5 || step < back {
		return false
	}
	v := r.vSoma
	now := v[len(v)-1]
	return now < -30 && now < v[len(v)-1-back] && v[len(v)-1-back/2] < v[len(v)-1-back]
}

// step advances one DtMs with backward Euler (gates first, exponential Euler, then the
// voltage with the conductances frozen) and records the membrane currents.
func (r *run) step(stimNA float64) {
	c, dt := r.c, r.o.DtMs
	b := &c.Bio
	n := len(r.v)
	switch {
	case r.frozen:
	case r.table != nil:
		for i := range n {
			r.table.step(&r.g[i], r.v[i])
		}
	default:
		for i := range n {
			r.g[i].step(r.v[i], b.VTMV, b.QNa, b.QK, dt)
		}
	}
	for i := range n {
		g := r.g[i]
		gNa := c.gNaUS[i] * g.m * g.m * g.m * g.h
		gK := c.gKUS[i] * g.n * g.n * g.n * g.n
		cdt := c.capNF[i] / dt
		r.d[i] = cdt + gNa + gK + c.gLUS[i]
		r.rhs[i] = cdt*r.v[i] + gNa*b.ENaMV + gK*b.EKMV + c.gLUS[i]*c.eLeakMV[i]
	}
	r.rhs[0] += stimNA
	r.stim = append(r.stim, stimNA)
	copy(r.vOld, r.v)
	r.solve()
	r.record(stimNA)
}

// solve eliminates the tree system in place (Hines): a backward sweep from the leaves folds
// each child into its parent, a forward sweep from the root substitutes. Off-diagonal
// entries are -gAx between a compartment and its parent, so the matrix is symmetric.
func (r *run) solve() {
	c := r.c
	d, rhs := r.d, r.rhs
	for i := 1; i < len(d); i++ {
		d[i] += c.gAxUS[i]
		d[c.parent[i]] += c.gAxUS[i]
	}
	for i := len(d) - 1; i > 0; i-- {
		p := c.parent[i]
		f := c.gAxUS[i] / d[i] // a[i] = -gAx; the factor a/d is negated twice below
		d[p] -= f * c.gAxUS[i]
		rhs[p] += f * rhs[i]
	}
	r.v[0] = rhs[0] / d[0]
	for i := 1; i < len(d); i++ {
		r.v[i] = (rhs[i] + c.gAxUS[i]*r.v[c.parent[i]]) / d[i]
	}
}

// record appends the membrane current of every compartment over the last step, computed
// from the membrane side (capacitive + ionic - stimulus), and the somatic potential.
func (r *run) record(stimNA float64) {
	c, dt, b := r.c, r.o.DtMs, &r.c.Bio
	for i, v := range r.v {
		g := r.g[i]
		gNa := c.gNaUS[i] * g.m * g.m * g.m * g.h
		gK := c.gKUS[i] * g.n * g.n * g.n * g.n
		im := c.capNF[i]*(v-r.vOld[i])/dt + gNa*(v-b.ENaMV) + gK*(v-b.EKMV) +
			c.gLUS[i]*(v-c.eLeakMV[i])
		if i == 0 {
			im -= stimNA
		}
		r.imNA = append(r.imNA, float32(im))
	}
	r.vSoma = append(r.vSoma, float32(r.v[0]))
}
