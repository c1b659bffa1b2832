package train

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/spikestream/spikestream/models"
)

// maxEvalSpikes caps the spikes per recording in embedding metrics (nearest-neighbour
// search is quadratic).
const maxEvalSpikes = 1500

// embedded is one recording's feature vectors with their true units.
type embedded struct {
	x    [][]float32
	unit []int
}

// embedFunc writes a feature vector of ex to dst.
type embedFunc func(ex *Example, dst []float32)

// embedSets embeds the positive examples of each set with the exported network, whose
// input is spec, through the same code path as models.Embedder.
func embedSets(net *models.MLP, spec models.InputSpec, sets [][]*Example) []embedded {
	in := make([]float32, spec.Size())
	sc := models.NewScratch(net)
	f := func(ex *Example, dst []float32) {
		spec.Fill(&ex.Snip, 0, in)
		models.EmbedInput(net, in, &sc, dst)
	}
	return embedWith(f, net.OutSize(), sets)
}

// embedWith applies f to up to maxEvalSpikes positive examples of each set.
func embedWith(f embedFunc, dim int, sets [][]*Example) []embedded {
	out := make([]embedded, 0, len(sets))
	for _, set := range sets {
		var e embedded
		for _, ex := range set {
			if !ex.Positive || len(e.x) >= maxEvalSpikes {
				continue
			}
			v := make([]float32, dim)
			f(ex, v)
			e.x, e.unit = append(e.x, v), append(e.unit, ex.Unit)
		}
		if len(e.x) > 1 {
			out = append(out, e)
		}
	}
	return out
}

func sqDist(a, b []float32) float32 {
	var s float32
	for i, v := range a {
		d := v - b[i]
		s += d * d
	}
	return s
}

// nnPurity returns the fraction of spikes whose nearest other spike has the same unit.
func nnPurity(e embedded) float64 {
	same := 0
	for i, a := range e.x {
		best, bu := float32(math.Inf(1)), -1
		for j, b := range e.x {
			if j != i {
				if d := sqDist(a, b); d < best {
					best, bu = d, e.unit[j]
				}
			}
		}
		if bu == e.unit[i] {
			same++
		}
	}
	return float64(same) / float64(len(e.x))
}

// meanPurity averages nnPurity over recordings.
func meanPurity(es []embedded) float64 {
	if len(es) == 0 {
		return 0
	}
	s := 0.0
	for _, e := range es {
		s += nnPurity(e)
	}
	return s / float64(len(es))
}

// clusterAccuracy runs k-means (k = number of true units, k-means++ start, best of 3 by
// inertia) and returns the fraction of spikes in clusters matched one to one to units by a
// greedy pass over the contingency table, largest overlap first.
func clusterAccuracy(e embedded, seed uint64) float64 {
	ids := map[int]int{}
	for _, u := range e.unit {
		if _, ok := ids[u]; !ok {
			ids[u] = len(ids)
		}
	}
	k := len(ids)
	r := rand.New(rand.NewPCG(seed, 7))
	var best []int
	bestInertia := math.Inf(1)
	for try := 0; try < 3; try++ {
		lab, inertia := kmeans(e.x, k, r)
		if inertia < bestInertia {
			best, bestInertia = lab, inertia
		}
	}
	table := make([][]int, k)
	for i := range table {
		table[i] = make([]int, k)
	}
	for i, c := range best {
		table[c][ids[e.unit[i]]]++
	}
	return float64(greedyMatch(table)) / float64(len(e.x))
}

// greedyMatch pairs rows with columns, largest cell first, and returns the matched total.
func greedyMatch(t [][]int) int {
	usedR, usedC := make([]bool, len(t)), make([]bool, len(t))
	total := 0
	for range t {
		bi, bj, bv := -1, -1, -1
		for i, row := range t {
			for j, v := range row {
				if !usedR[i] && !usedC[j] && v > bv {
					bi, bj, bv = i, j, v
				}
			}
		}
		usedR[bi], usedC[bj] = true, true
		total += bv
	}
	return total
}

// kmeans clusters x into k groups (k-means++ seeding, 50 Lloyd iterations at most) and
// returns the labels and the inertia.
func kmeans(x [][]float32, k int, r *rand.Rand) ([]int, float64) {
	dim := len(x[0])
	cent := seedCentres(x, k, r)
	lab := make([]int, len(x))
	var inertia float64
	for it := 0; it < 50; it++ {
		changed := false
		inertia = 0
		for i, v := range x {
			c, d := closest(cent, v)
			inertia += float64(d)
			if c != lab[i] || it == 0 {
				changed = changed || c != lab[i]
				lab[i] = c
			}
		}
		if !changed && it > 0 {
			break
		}
		recentre(x, lab, cent, dim)
	}
	return lab, inertia
}

func seedCentres(x [][]float32, k int, r *rand.Rand) [][]float32 {
	cent := [][]float32{append([]float32(nil), x[r.IntN(len(x))]...)}
	d := make([]float64, len(x))
	for len(cent) < k {
		sum := 0.0
		for i, v := range x {
			_, dd := closest(cent, v)
			d[i] = float64(dd)
			sum += d[i]
		}
		pick, acc := r.Float64()*sum, 0.0
		idx := len(x) - 1
		for i := range d {
			if acc += d[i]; acc >= pick {
				idx = i
				break
			}
		}
		cent = append(cent, append([]float32(nil), x[idx]...))
	}
	return cent
}

func closest(cent [][]float32, v []float32) (int, float32) {
	best, bd := 0, float32(math.Inf(1))
	for c, m := range cent {
		if d := sqDist(v, m); d < bd {
			best, bd = c, d
		}
	}
	return best, bd
}

func recentre(x [][]float32, lab []int, cent [][]float32, dim int) {
	counts := make([]int, len(cent))
	for _, c := range cent {
		clear(c)
	}
	for i, v := range x {
		counts[lab[i]]++
		for j := 0; j < dim; j++ {
			cent[lab[i]][j] += v[j]
		}
	}
	for c, n := range counts {
		if n == 0 {
			copy(cent[c], x[c%len(x)])
			continue
		}
		for j := range cent[c] {
			cent[c][j] /= float32(n)
		}
	}
}

// spread returns the median distance of a spike to its own unit's centroid and the median
// distance from each unit's centroid to the nearest other unit's centroid: the scale an
// assigner's radius must fit between.
func spread(e embedded) (within, between float64) {
	cent, ids := centroids(e)
	var din []float64
	for i, v := range e.x {
		din = append(din, math.Sqrt(float64(sqDist(v, cent[ids[e.unit[i]]]))))
	}
	var dout []float64
	for a := range cent {
		best := math.Inf(1)
		for b := range cent {
			if a != b {
				best = math.Min(best, math.Sqrt(float64(sqDist(cent[a], cent[b]))))
			}
		}
		if !math.IsInf(best, 1) {
			dout = append(dout, best)
		}
	}
	return median(din), median(dout)
}

// centroids returns each unit's mean vector and the unit-to-row index.
func centroids(e embedded) ([][]float32, map[int]int) {
	ids := map[int]int{}
	var cent [][]float32
	var n []int
	for i, u := range e.unit {
		k, ok := ids[u]
		if !ok {
			k = len(cent)
			ids[u] = k
			cent, n = append(cent, make([]float32, len(e.x[i]))), append(n, 0)
		}
		for j, v := range e.x[i] {
			cent[k][j] += v
		}
		n[k]++
	}
	for k := range cent {
		for j := range cent[k] {
			cent[k][j] /= float32(n[k])
		}
	}
	return cent, ids
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	sort.Float64s(v)
	return v[len(v)/2]
}
