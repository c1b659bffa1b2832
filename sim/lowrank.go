package sim

import (
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/spikestream/spikestream/sim/neuron"
)

// lowRankK is the rank kept of a cell's currents (segments x steps). The library cells'
// singular values fall fast: at rank 32 the relative residual is about 2e-4, at 48 below
// 1e-5 (measured on the default library); TestLowRankAccuracy bounds the template error.
const lowRankK = 32

// lowRank factorises a cell's currents as Q*B: Q (segments x k, orthonormal columns)
// holds spatial patterns, B (k x steps) their time courses at the cell's native step.
// Projecting the k patterns costs segments*k per contact instead of segments*steps, and
// the time courses are resampled once per unit; drifting units need hundreds of contacts.
type lowRank struct {
	patterns *neuron.Sources // Q as sources: CurrentsNA[i] is row i of Q (k "steps")
	courses  [][]float32     // B, k rows of the native step count
}

// lowRankCache holds each library cell's factorisation for the life of the process
// (library cells are immutable and shared, see loadLibrary).
var lowRankCache sync.Map // *neuron.Sources -> *lowRank

// lowRankOf returns the factorisation of src, computing it on first use. Concurrent first
// uses may compute it twice; the result is deterministic, so either copy serves.
func lowRankOf(src *neuron.Sources) *lowRank {
	if lr, ok := lowRankCache.Load(src); ok {
		return lr.(*lowRank)
	}
	lr, _ := lowRankCache.LoadOrStore(src, factorise(src))
	return lr.(*lowRank)
}

// factorise computes a rank-k approximation with a randomised range finder and one power
// iteration (Halko, Martinsson and Tropp's scheme), with a fixed test matrix.
func factorise(src *neuron.Sources) *lowRank {
	segs, steps := src.NumSegments(), src.NumSteps()
	k := min(lowRankK, segs, steps)
	a := mat.NewDense(segs, steps, nil)
	for i, row := range src.CurrentsNA {
		for t, v := range row[:steps] {
			a.Set(i, t, float64(v))
		}
	}
	r := newRand(LibrarySeed, tagLibrary, 0)
	omega := mat.NewDense(steps, k, nil)
	for i := range steps {
		for j := range k {
			omega.Set(i, j, r.NormFloat64())
		}
	}
	var y, z mat.Dense
	y.Mul(a, omega)
	q := orthonormal(&y, k)
	z.Mul(a.T(), q)
	y.Mul(a, orthonormal(&z, k))
	q = orthonormal(&y, k)
	var b mat.Dense
	b.Mul(q.T(), a)
	return newLowRank(src, q, &b, k)
}

// orthonormal returns an orthonormal basis of the first k columns of m (thin QR).
func orthonormal(m *mat.Dense, k int) *mat.Dense {
	var qr mat.QR
	qr.Factorize(m)
	var q mat.Dense
	qr.QTo(&q)
	rows, _ := m.Dims()
	return mat.DenseCopyOf(q.Slice(0, rows, 0, k))
}

func newLowRank(src *neuron.Sources, q, b *mat.Dense, k int) *lowRank {
	segs, steps := src.NumSegments(), src.NumSteps()
	pat := *src
	pat.CurrentsNA = make([][]float32, segs)
	pat.SomaVmMV = make([]float32, k)
	for i := range segs {
		pat.CurrentsNA[i] = make([]float32, k)
		for j := range k {
			pat.CurrentsNA[i][j] = float32(q.At(i, j))
		}
	}
	courses := make([][]float32, k)
	for j := range k {
		courses[j] = make([]float32, steps)
		for t := range steps {
			courses[j][t] = float32(b.At(j, t))
		}
	}
	return &lowRank{patterns: &pat, courses: courses}
}

// project returns the potential at pts (one fine-grid row per point, see
// resampledSources) of the cell placed as pl with its trough at tTroughMs.
func (lr *lowRank) project(pts [][3]float64, pl placement, tTroughMs, fsHz float64,
	phases int) ([][]float32, error) {
	k := len(lr.courses)
	coef := make([][]float32, len(pts))
	for i := range coef {
		coef[i] = make([]float32, k)
	}
	if err := lr.patterns.Potential(pts, pl.somaUm, pl.rot, 0, coef); err != nil {
		return nil, err
	}
	fine := resampleRows(lr.courses, pl.src.DtMs, tTroughMs, fsHz, phases)
	rows := make([][]float32, len(pts))
	for i, c := range coef {
		row := make([]float32, len(fine[0]))
		for j, w := range c {
			for t, v := range fine[j] {
				row[t] += w * v
			}
		}
		rows[i] = row
	}
	return rows, nil
}
