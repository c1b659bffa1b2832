package assign

import (
	"math"
	"math/rand/v2"
)

// maxGroups caps the k of the over-clustering step in one neighbourhood.
const maxGroups = 64

// group is a set of neighbourhood points during agglomeration, with a version that changes
// whenever its members do, so that pair tests are not repeated on unchanged groups.
type group struct {
	idx []int32 // indices into the pass's pool snapshot
	ver int
}

// agglomerate clusters the points of one neighbourhood: k-means over-clusters them in
// standardised (embedding, position) space, then neighbouring groups whose union shows no
// significant split (the test of separator.bestSplit at SplitDPrime) are merged until no
// pair merges, and each survivor is finally bisected recursively in case k-means joined two
// units. It returns the resulting clusters with at least minSpikes points.
func (c *clusterer) agglomerate(pts []point, hood []int32, dim int) [][]int32 {
	k := min(maxGroups, max(1, len(hood)/minSide))
	groups := c.overCluster(pts, hood, dim, k)
	tested := map[[4]int]bool{}
	for merged := true; merged; {
		merged = c.mergeOnce(pts, groups, dim, tested)
	}
	var out [][]int32
	for _, g := range groups {
		if len(g.idx) >= c.minSpikes {
			out = c.bisect(pts, g.idx, dim, 0, out)
		}
	}
	return out
}

// overCluster runs k-means with k-means++ seeding (fixed seed, so passes are reproducible)
// on the standardised features of hood and returns the non-empty groups.
func (c *clusterer) overCluster(pts []point, hood []int32, dim, k int) []*group {
	n, f := len(hood), dim+2
	x := c.standardise(pts, hood, dim)
	cent := make([]float32, k*f)
	r := rand.New(rand.NewPCG(uint64(n), uint64(k)))
	seedCentres(r, x, n, f, k, cent)
	labels := make([]int32, n)
	for iter := 0; iter < 10; iter++ {
		if !assignNearest(x, n, f, cent, k, labels) && iter > 0 {
			break
		}
		recentre(x, n, f, cent, k, labels)
	}
	byLabel := make([]*group, k)
	var groups []*group
	for i, l := range labels {
		if byLabel[l] == nil {
			byLabel[l] = &group{}
			groups = append(groups, byLabel[l])
		}
		byLabel[l].idx = append(byLabel[l].idx, hood[i])
	}
	return groups
}

// standardise returns the n x (dim+2) features of hood (embedding, then x and y), each
// column scaled to unit variance over hood.
func (c *clusterer) standardise(pts []point, hood []int32, dim int) []float32 {
	n, f := len(hood), dim+2
	x := make([]float32, n*f)
	for i, pi := range hood {
		p := &pts[pi]
		copy(x[i*f:], p.emb[:dim])
		x[i*f+dim], x[i*f+dim+1] = p.xUm, p.yUm
	}
	for j := 0; j < f; j++ {
		var s, s2 float64
		for i := 0; i < n; i++ {
			v := float64(x[i*f+j])
			s += v
			s2 += v * v
		}
		mean := s / float64(n)
		sd := math.Sqrt(max(s2/float64(n)-mean*mean, 0))
		if sd == 0 {
			sd = 1
		}
		for i := 0; i < n; i++ {
			x[i*f+j] = float32((float64(x[i*f+j]) - mean) / sd)
		}
	}
	return x
}

// seedCentres picks k initial centres from the n rows of x by k-means++.
func seedCentres(r *rand.Rand, x []float32, n, f, k int, cent []float32) {
	d2 := make([]float64, n)
	for i := range d2 {
		d2[i] = math.Inf(1)
	}
	pick := r.IntN(n)
	for c := 0; c < k; c++ {
		copy(cent[c*f:(c+1)*f], x[pick*f:(pick+1)*f])
		var total float64
		for i := 0; i < n; i++ {
			d2[i] = min(d2[i], sqDist(x[i*f:(i+1)*f], cent[c*f:(c+1)*f]))
			total += d2[i]
		}
		if total == 0 {
			return
		}
		u := r.Float64() * total
		for pick = 0; pick < n-1 && u > d2[pick]; pick++ {
			u -= d2[pick]
		}
	}
}

func sqDist(a, b []float32) float64 {
	var s float32
	for j := range a {
		d := a[j] - b[j]
		s += d * d
	}
	return float64(s)
}

// assignNearest labels each row with its nearest centre; it reports whether a label changed.
func assignNearest(x []float32, n, f int, cent []float32, k int, labels []int32) bool {
	changed := false
	for i := 0; i < n; i++ {
		best, bestD := int32(0), math.Inf(1)
		for c := 0; c < k; c++ {
			if d := sqDist(x[i*f:(i+1)*f], cent[c*f:(c+1)*f]); d < bestD {
				best, bestD = int32(c), d
			}
		}
		if labels[i] != best {
			labels[i], changed = best, true
		}
	}
	return changed
}

// recentre moves each centre to the mean of its rows; empty centres stay.
func recentre(x []float32, n, f int, cent []float32, k int, labels []int32) {
	sum := make([]float64, k*f)
	cnt := make([]int, k)
	for i := 0; i < n; i++ {
		l := int(labels[i])
		cnt[l]++
		for j := 0; j < f; j++ {
			sum[l*f+j] += float64(x[i*f+j])
		}
	}
	for c := 0; c < k; c++ {
		if cnt[c] == 0 {
			continue
		}
		for j := 0; j < f; j++ {
			cent[c*f+j] = float32(sum[c*f+j] / float64(cnt[c]))
		}
	}
}

// candidatesPerGroup is how many nearest groups each group tries to merge with.
const candidatesPerGroup = 3

// mergeOnce merges the first untested pair of neighbouring groups whose union shows no
// significant split and reports whether it merged one. Groups are compared by their mean
// position and embedding in raw units; tested remembers pairs already found separate.
func (c *clusterer) mergeOnce(pts []point, groups []*group, dim int, tested map[[4]int]bool) bool {
	if len(groups) < 2 {
		return false
	}
	means := groupMeans(pts, groups, dim)
	for gi, g := range groups {
		if len(g.idx) < minSide {
			continue
		}
		for _, hi := range nearestGroups(means, groups, gi, dim+2) {
			h := groups[hi]
			if len(h.idx) < minSide {
				continue
			}
			key := [4]int{min(gi, hi), max(gi, hi), g.ver, h.ver}
			if gi > hi {
				key[2], key[3] = h.ver, g.ver
			}
			if tested[key] {
				continue
			}
			tested[key] = true
			if !c.unimodalUnion(pts, g, h, dim) {
				continue
			}
			union := append(append([]int32(nil), g.idx...), h.idx...)
			g.idx, g.ver = union, g.ver+1
			h.idx, h.ver = nil, h.ver+1
			return true
		}
	}
	return false
}

// groupMeans returns each group's mean (embedding, x, y), (dim+2) values per group.
func groupMeans(pts []point, groups []*group, dim int) []float64 {
	f := dim + 2
	means := make([]float64, len(groups)*f)
	for gi, g := range groups {
		m := means[gi*f : (gi+1)*f]
		for _, i := range g.idx {
			for j := 0; j < dim; j++ {
				m[j] += float64(pts[i].emb[j])
			}
			m[dim] += float64(pts[i].xUm)
			m[dim+1] += float64(pts[i].yUm)
		}
		for j := range m {
			m[j] /= float64(max(len(g.idx), 1))
		}
	}
	return means
}

// nearestGroups returns up to candidatesPerGroup non-empty groups nearest to group gi, by
// the distance of their means with every feature scaled by its spread across group means.
func nearestGroups(means []float64, groups []*group, gi, f int) []int {
	type cand struct {
		i int
		d float64
	}
	scale := featureScale(means, groups, f)
	var best []cand
	for hi, h := range groups {
		if hi == gi || len(h.idx) == 0 {
			continue
		}
		var d float64
		for j := 0; j < f; j++ {
			v := (means[gi*f+j] - means[hi*f+j]) * scale[j]
			d += v * v
		}
		best = append(best, cand{hi, d})
		for k := len(best) - 1; k > 0 && best[k].d < best[k-1].d; k-- {
			best[k], best[k-1] = best[k-1], best[k]
		}
		if len(best) > candidatesPerGroup {
			best = best[:candidatesPerGroup]
		}
	}
	out := make([]int, len(best))
	for i, b := range best {
		out[i] = b.i
	}
	return out
}

// featureScale returns 1/SD of each feature over the non-empty group means.
func featureScale(means []float64, groups []*group, f int) []float64 {
	scale := make([]float64, f)
	for j := 0; j < f; j++ {
		var s, s2, n float64
		for gi, g := range groups {
			if len(g.idx) == 0 {
				continue
			}
			v := means[gi*f+j]
			s, s2, n = s+v, s2+v*v, n+1
		}
		if sd := math.Sqrt(max(s2/n-(s/n)*(s/n), 0)); sd > 0 {
			scale[j] = 1 / sd
		}
	}
	return scale
}

// unimodalUnion reports whether groups g and h look like one cluster: neither their own
// partition nor the best two-means split of their union separates at SplitDPrime.
func (c *clusterer) unimodalUnion(pts []point, g, h *group, dim int) bool {
	union := append(append([]int32(nil), g.idx...), h.idx...)
	labels := make([]uint8, len(union))
	for i := len(g.idx); i < len(union); i++ {
		labels[i] = 1
	}
	if c.sep.partitionExcess(pts, union, labels, dim, c.splitDP) > 0 {
		return false
	}
	_, _, split := c.sep.bestSplit(pts, union, dim, c.splitDP)
	return !split
}
