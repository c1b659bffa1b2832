package neuron

import "math"

// TODO: only Na and one delayed-rectifier K; without Ca or Ca-activated K currents there
// is no intrinsic afterhyperpolarisation or bursting (Simulate balances the stimulus charge
// to get a single spike, and SimOptions.NaScale stands in for burst attenuation).

// Gating kinetics of the sodium and delayed-rectifier potassium conductances, in the
// Traub-Miles form used by many reduced cortical models: V is shifted by a threshold
// offset vtMV, and every rate (1/ms) is multiplied by a class-specific speed factor.

// vtrap returns x / (exp(x/k) - 1), continuous through x = 0 where it equals k.
func vtrap(x, k float64) float64 {
	if math.Abs(x/k) < 1e-6 {
		return k * (1 - x/k/2)
	}
	return x / math.Expm1(x/k)
}

// naRates returns the opening and closing rates (1/ms) of the m and h gates at u = V - vt.
func naRates(u float64) (am, bm, ah, bh float64) {
	am = 0.32 * vtrap(13-u, 4)
	bm = 0.28 * vtrap(u-40, 5)
	ah = 0.128 * math.Exp(-(u-17)/18)
	bh = 4 / (1 + math.Exp(-(u-40)/5))
	return am, bm, ah, bh
}

// kRates returns the opening and closing rates (1/ms) of the n gate at u = V - vt.
func kRates(u float64) (an, bn float64) {
	an = 0.032 * vtrap(15-u, 5)
	bn = 0.5 * math.Exp(-(u-10)/40)
	return an, bn
}

// gates holds the gating state of one compartment.
type gates struct{ m, h, n float64 }

// steadyGates returns the steady-state gates at membrane potential vMV.
func steadyGates(vMV, vtMV float64) gates {
	am, bm, ah, bh := naRates(vMV - vtMV)
	an, bn := kRates(vMV - vtMV)
	return gates{m: am / (am + bm), h: ah / (ah + bh), n: an / (an + bn)}
}

// relax moves gate x toward its steady state a/(a+b) over dtMs with rates scaled by q
// (exponential Euler, exact for a constant voltage).
func relax(x, a, b, q, dtMs float64) float64 {
	s := a + b
	inf := a / s
	return inf + (x-inf)*math.Exp(-q*s*dtMs)
}

// step advances the gates over dtMs at a fixed membrane potential.
func (g *gates) step(vMV, vtMV, qNa, qK, dtMs float64) {
	u := vMV - vtMV
	am, bm, ah, bh := naRates(u)
	an, bn := kRates(u)
	g.m = relax(g.m, am, bm, qNa, dtMs)
	g.h = relax(g.h, ah, bh, qNa, dtMs)
	g.n = relax(g.n, an, bn, qK, dtMs)
}

// Rate tables: the gates' steady states and one-step decay factors tabulated on a fine
// voltage grid for one (vt, qNa, qK, dt), linearly interpolated. This removes ten
// transcendental calls per compartment and step; the table error (grid 0.05 mV) is far
// below the integration error.
const (
	tableMinMV  = -130.0
	tableMaxMV  = 100.0
	tableStepMV = 0.05
)

// gateTable holds, per grid voltage, inf and decay of m, h and n, interleaved.
type gateTable struct {
	vals []float64 // 6 per grid point: mInf, mDecay, hInf, hDecay, nInf, nDecay
}

func newGateTable(vtMV, qNa, qK, dtMs float64) *gateTable {
	n := int((tableMaxMV-tableMinMV)/tableStepMV) + 1
	t := &gateTable{vals: make([]float64, 6*n)}
	for i := range n {
		u := tableMinMV + float64(i)*tableStepMV - vtMV
		am, bm, ah, bh := naRates(u)
		an, bn := kRates(u)
		row := t.vals[6*i : 6*i+6]
		row[0], row[1] = am/(am+bm), math.Exp(-qNa*(am+bm)*dtMs)
		row[2], row[3] = ah/(ah+bh), math.Exp(-qNa*(ah+bh)*dtMs)
		row[4], row[5] = an/(an+bn), math.Exp(-qK*(an+bn)*dtMs)
	}
	return t
}

// step advances g over one time step at vMV (clamped to the table range).
func (t *gateTable) step(g *gates, vMV float64) {
	x := (min(max(vMV, tableMinMV), tableMaxMV-tableStepMV) - tableMinMV) / tableStepMV
	i := int(x)
	f := x - float64(i)
	a, b := t.vals[6*i:6*i+6], t.vals[6*i+6:6*i+12]
	lin := func(k int) float64 { return a[k] + f*(b[k]-a[k]) }
	mInf, hInf, nInf := lin(0), lin(2), lin(4)
	g.m = mInf + (g.m-mInf)*lin(1)
	g.h = hInf + (g.h-hInf)*lin(3)
	g.n = nInf + (g.n-nInf)*lin(5)
}
