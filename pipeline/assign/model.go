package assign

import (
	"math"
)

// point is one spike as the assigner keeps it: in the pool, in a unit's recent members and in
// pass buffers. The embedding lives in a fixed array so copies never allocate.
type point struct {
	emb     [MaxDim]float32
	xUm     float32
	yUm     float32
	logAmp  float32 // natural log of the trough amplitude in uV
	timeS   float64 // stream time, s
	sample  int64   // stream sample index of the trough
	channel uint16  // peak channel
	seq     uint64  // arrival number, unique within a session
	dead    bool    // claimed by a new unit; removed from the pool at the end of the pass
}

// Variance floors keep a unit with few or identical members from claiming zero spread.
const (
	minVarPosUm2  = 4    // (2 um)^2 per axis
	minVarLogAmp  = 4e-3 // about 6 % amplitude SD
	varShrinkFrac = 0.2  // per-dimension embedding variance shrinks this far to the mean
	minVarEmbRel  = 1e-4 // floor of a dimension's variance relative to the mean variance
	maxVarLogAmp  = 0.25 // log-amplitude SD at most 0.5
	maxVarGrowth  = 2.25 // a dimension's variance may grow to 2.25x (SD 1.5x) its founding value
)

// limits are the config-derived bounds a model works within.
type limits struct {
	gateSD    float32
	maxVarPos float32 // per-axis position variance cap, um^2
}

// model is a unit's statistical summary: a diagonal Gaussian over embedding, position and log
// amplitude, and the running statistics of its members' normalised distance that set the
// gate. All fields are owned by Online and guarded by Online.mu.
type model struct {
	mean    [MaxDim]float32
	varEmb  [MaxDim]float32
	varCap  [MaxDim]float32 // maxVarGrowth times the variance at founding
	invVar  [MaxDim]float32 // 1/varEmb after shrinkage and floor, cached for the hot path
	xUm     float32
	yUm     float32
	varPos  float32 // per-axis position variance, um^2
	logAmp  float32
	varAmp  float32
	logDet  float32 // sum of log variances over all D+3 coordinates, cached
	qMean   float32 // running mean of members' normalised distance
	qVar    float32 // running variance of the same
	gate    float32 // current acceptance threshold on the normalised distance
	dof     float32 // D + 3
	dim     int
	gateMin float32
	gateMax float32
	lim     limits
}

// normDist returns the normalised squared distance of p from m: the Mahalanobis distance
// under m's diagonal Gaussian divided by its degrees of freedom, about 1 for a member.
func (m *model) normDist(p *point) float32 {
	var s float32
	for k := 0; k < m.dim; k++ {
		d := p.emb[k] - m.mean[k]
		s += d * d * m.invVar[k]
	}
	dx, dy := p.xUm-m.xUm, p.yUm-m.yUm
	s += (dx*dx + dy*dy) / m.varPos
	da := p.logAmp - m.logAmp
	s += da * da / m.varAmp
	return s / m.dof
}

// refresh bounds the variances and recomputes the cached inverse variances, log determinant
// and gate. The caps stop a unit that absorbs a neighbour's spikes from widening without
// end: one neuron's spikes come from one place and keep their shape.
func (m *model) refresh() {
	var meanVar float32
	for k := 0; k < m.dim; k++ {
		m.varEmb[k] = min(m.varEmb[k], m.varCap[k])
		meanVar += m.varEmb[k]
	}
	meanVar /= float32(m.dim)
	floor := max(meanVar*minVarEmbRel, 1e-12)
	var logDet float64
	for k := 0; k < m.dim; k++ {
		v := (1-varShrinkFrac)*m.varEmb[k] + varShrinkFrac*meanVar
		v = max(v, floor)
		m.invVar[k] = 1 / v
		logDet += math.Log(float64(v))
	}
	m.varPos = min(max(m.varPos, minVarPosUm2), max(m.lim.maxVarPos, minVarPosUm2))
	m.varAmp = min(max(m.varAmp, minVarLogAmp), maxVarLogAmp)
	logDet += 2*math.Log(float64(m.varPos)) + math.Log(float64(m.varAmp))
	m.logDet = float32(logDet)
	g := m.qMean + m.lim.gateSD*float32(math.Sqrt(float64(max(m.qVar, 0))))
	m.gate = min(max(g, m.gateMin), m.gateMax)
}

// initModel fits a model to pts. The gate starts at the value a Gaussian unit would learn.
func initModel(m *model, pts []point, dim int, lim limits) {
	*m = model{dim: dim, dof: float32(dim + 3), lim: lim}
	chiSD := float32(math.Sqrt(2 / float64(dim+3)))
	m.gateMin = 1 + 2*chiSD
	m.gateMax = 1 + 8*chiSD
	n := float64(len(pts))
	var sumE [MaxDim]float64
	var sx, sy, sa float64
	for i := range pts {
		for k := 0; k < dim; k++ {
			sumE[k] += float64(pts[i].emb[k])
		}
		sx += float64(pts[i].xUm)
		sy += float64(pts[i].yUm)
		sa += float64(pts[i].logAmp)
	}
	for k := 0; k < dim; k++ {
		m.mean[k] = float32(sumE[k] / n)
	}
	m.xUm, m.yUm, m.logAmp = float32(sx/n), float32(sy/n), float32(sa/n)
	fitSpread(m, pts)
	var meanVar float32
	for k := 0; k < dim; k++ {
		meanVar += m.varEmb[k] / float32(dim)
	}
	for k := 0; k < dim; k++ {
		m.varCap[k] = maxVarGrowth * max(m.varEmb[k], meanVar*minVarEmbRel, 1e-12)
	}
	m.qMean, m.qVar = 1, chiSD*chiSD
	m.refresh()
}

// fitSpread sets m's variances from pts around m's current means.
func fitSpread(m *model, pts []point) {
	n := float64(max(len(pts)-1, 1))
	var vE [MaxDim]float64
	var vP, vA float64
	for i := range pts {
		p := &pts[i]
		for k := 0; k < m.dim; k++ {
			d := float64(p.emb[k] - m.mean[k])
			vE[k] += d * d
		}
		dx, dy := float64(p.xUm-m.xUm), float64(p.yUm-m.yUm)
		vP += dx*dx + dy*dy
		da := float64(p.logAmp - m.logAmp)
		vA += da * da
	}
	for k := 0; k < m.dim; k++ {
		m.varEmb[k] = float32(vE[k] / n)
	}
	m.varPos = float32(vP / n / 2)
	m.varAmp = float32(vA / n)
}

// rates holds the per-spike EMA weights of one update, from the time since the unit's
// previous member and its time constants.
type rates struct {
	centroid, position, spread float32
}

// emaWeight is the weight of a new sample after dtS seconds under time constant tauS, never
// below 1/n so that a young unit averages all its members equally.
func emaWeight(dtS, tauS float64, n uint64) float32 {
	w := -math.Expm1(-dtS / tauS)
	if n > 0 {
		w = max(w, 1/float64(n))
	}
	return float32(min(w, 1))
}

// update moves m towards member p, whose normalised distance before the update was q.
func (m *model) update(p *point, q float32, r rates) {
	for k := 0; k < m.dim; k++ {
		d := p.emb[k] - m.mean[k]
		m.varEmb[k] += r.spread * (d*d - m.varEmb[k])
		m.mean[k] += r.centroid * d
	}
	dx, dy := p.xUm-m.xUm, p.yUm-m.yUm
	m.varPos += r.spread * ((dx*dx+dy*dy)/2 - m.varPos)
	m.xUm += r.position * dx
	m.yUm += r.position * dy
	da := p.logAmp - m.logAmp
	m.varAmp += r.spread * (da*da - m.varAmp)
	m.logAmp += r.position * da
	dq := q - m.qMean
	m.qMean += r.spread * dq
	m.qVar += r.spread * (dq*dq - m.qVar)
	m.refresh()
}
