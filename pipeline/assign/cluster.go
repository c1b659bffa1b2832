package assign

import (
	"math"
	"slices"
)

// separator tests whether a set of points holds two groups, in embedding space or in
// position, with two-means and a d' threshold. It owns scratch space; one per goroutine.
type separator struct {
	b      bisector
	feats  []float32
	labels []uint8
	times  []float64 // spike times for ampModes' burst test, s
}

// bestSplit bisects pts[idx] (all of pts when idx is nil) once on the embeddings and once on
// the positions and keeps the more significant split. It reports whether that split's d'
// exceeds base (corrected for size), and returns the labels (0 or 1 per listed point,
// valid until the next call) and the excess of d' over its threshold.
//
// Amplitude alone is not a candidate here: bursts give one cell a second amplitude mode.
// testSplits tries it last, through ampModes, which checks the spike times for bursts.
//
// TODO: units closer than about 3 pooled SDs (same channel, similar amplitude: common on
// dense tetrodes) stay one unit. A lower d' threshold splits single units too, since one
// unit is far from Gaussian in the embedding, and a two-component mixture fits one unit
// about as much better than one Gaussian as it fits two units (tried on simulated
// tetrodes). Lowering the threshold to 0.75 SplitDPrime, amplitude included, only for
// units whose spike train has refractory violations was tried too: on 22 simulated
// tetrodes it split more true units (their violations came from overlapping neighbours)
// than it separated mixtures, and mean accuracy fell from 0.573 to 0.549. A third
// candidate, the embedding, position and log amplitude together (each standardised), gained
// 0.015 +- 0.011 on 40 simulated tetrodes (0.012 without the amplitude) and nothing on the
// held-out ones, too little to pay for a third bisection per test. Accepting a split in
// that joint space at d' 3-3.3 when the projections show a density valley lost 0.010-0.012
// on the same 40: one neuron whose spikes peak on either of two channels is bimodal too.
// Five units on one channel within 25 um of each other are still sorted as about three.
func (s *separator) bestSplit(pts []point, idx []int32, dim int, base float64) (
	[]uint8, float64, bool) {
	n := len(idx)
	if idx == nil {
		n = len(pts)
	}
	at := func(i int) *point {
		if idx == nil {
			return &pts[i]
		}
		return &pts[idx[i]]
	}

	s.feats = s.feats[:0]
	for i := 0; i < n; i++ {
		s.feats = append(s.feats, at(i).emb[:dim]...)
	}
	dE, labels := s.b.split(s.feats, n, dim)
	excessE := dE - dprimeThreshold(base, dim, n)
	s.labels = append(s.labels[:0], labels...)

	s.feats = s.feats[:0]
	for i := 0; i < n; i++ {
		s.feats = append(s.feats, at(i).xUm, at(i).yUm)
	}
	dP, labels := s.b.split(s.feats, n, 2)
	excessP := dP - dprimeThreshold(base, 2, n)
	if excessP > excessE {
		s.labels = append(s.labels[:0], labels...)
		excessE = excessP
	}
	return s.labels, excessE, excessE > 0
}

// ampSplit bisects pts on log amplitude alone and returns the labels (valid until the next
// call) and the excess of d' over its threshold at base. Bursts skew one neuron's
// amplitudes, so callers use it only where the spike train says the spikes are a mixture.
func (s *separator) ampSplit(pts []point, base float64) ([]uint8, float64) {
	s.feats = s.feats[:0]
	for i := range pts {
		s.feats = append(s.feats, pts[i].logAmp)
	}
	d, labels := s.b.split(s.feats, len(pts), 1)
	s.labels = append(s.labels[:0], labels...)
	return s.labels, d - dprimeThreshold(base, 1, len(pts))
}

// clusterer finds new units among pool spikes. The probe is cut into square cells; each cell
// with spikes is clustered together with its 8 neighbours by recursive bisection, and a
// cluster is kept when it has MinSpikes spikes, a position spread within MaxPosSDUm and its
// centre in the middle cell (so that overlapping neighbourhoods do not found it twice).
type clusterer struct {
	minSpikes int
	maxPosSD  float64
	splitDP   float64
	maxSpread float64 // MaxSpreadRatio
	// liveVars lists the live units' mean per-dimension embedding variances, set before
	// each run.
	liveVars []float64
	g        grid
	sep      separator
	// lastSeq is, per cell, the newest pool seq when the cell's neighbourhood was last
	// clustered; a neighbourhood is clustered again only once minNew newer spikes arrived.
	lastSeq []uint64
	start   []int32 // points by cell, compressed-row style
	byCell  []int32
	taken   []bool
}

// maxDepth bounds the recursion of one neighbourhood's bisection.
const maxDepth = 16

func newClusterer(cfg Config, g grid) clusterer {
	return clusterer{minSpikes: cfg.MinSpikes, maxPosSD: cfg.MaxPosSDUm,
		splitDP: cfg.SplitDPrime, maxSpread: cfg.MaxSpreadRatio, g: g}
}

// run returns the clusters found in pts as lists of indices into pts; each point is in at
// most one cluster. It allocates the result.
func (c *clusterer) run(pts []point, dim int) [][]int32 {
	c.indexPoints(pts)
	c.taken = append(c.taken[:0], make([]bool, len(pts))...)
	var out [][]int32
	var hood []int32
	for cell := 0; cell < c.g.cells(); cell++ {
		if c.start[cell+1] == c.start[cell] {
			continue
		}
		yieldCPU()
		hood = c.neighbourhood(cell, hood[:0])
		if len(hood) < c.minSpikes || !c.fresh(pts, hood, cell) {
			continue
		}
		for _, leaf := range c.agglomerate(pts, hood, dim) {
			if kept := c.accept(pts, leaf, cell, dim); kept != nil {
				out = append(out, kept)
			}
		}
	}
	return c.dropDiffuse(pts, out, dim)
}

// minNew is how many spikes newer than its last clustering a neighbourhood needs to be
// clustered again, and at least a quarter of its spikes: re-clustering the same background
// spikes every pass finds nothing.
const minNew = 8

// fresh reports whether hood holds enough spikes newer than when cell was last clustered,
// and if so records the newest.
func (c *clusterer) fresh(pts []point, hood []int32, cell int) bool {
	if len(c.lastSeq) != c.g.cells() {
		c.lastSeq = make([]uint64, c.g.cells())
	}
	newest, n := c.lastSeq[cell], 0
	for _, i := range hood {
		if s := pts[i].seq; s > c.lastSeq[cell] {
			n++
			newest = max(newest, s)
		}
	}
	if n < max(minNew, len(hood)/4) {
		return false
	}
	c.lastSeq[cell] = newest
	return true
}

// indexPoints sorts point indices by cell.
func (c *clusterer) indexPoints(pts []point) {
	nc := c.g.cells()
	c.start = append(c.start[:0], make([]int32, nc+1)...)
	cells := make([]int32, len(pts))
	for i := range pts {
		cx, cy := c.g.cellXY(pts[i].xUm, pts[i].yUm)
		cells[i] = int32(cy*c.g.nx + cx)
		c.start[cells[i]+1]++
	}
	for i := 0; i < nc; i++ {
		c.start[i+1] += c.start[i]
	}
	c.byCell = append(c.byCell[:0], make([]int32, len(pts))...)
	fill := append([]int32(nil), c.start[:nc]...)
	for i, cell := range cells {
		c.byCell[fill[cell]] = int32(i)
		fill[cell]++
	}
}

// neighbourhood appends the untaken points of cell and its 8 neighbours to dst.
func (c *clusterer) neighbourhood(cell int, dst []int32) []int32 {
	cx, cy := cell%c.g.nx, cell/c.g.nx
	for y := max(cy-1, 0); y <= min(cy+1, c.g.ny-1); y++ {
		for x := max(cx-1, 0); x <= min(cx+1, c.g.nx-1); x++ {
			nc := y*c.g.nx + x
			for _, i := range c.byCell[c.start[nc]:c.start[nc+1]] {
				if !c.taken[i] {
					dst = append(dst, i)
				}
			}
		}
	}
	return dst
}

// bisect splits idx recursively while a significant split exists and appends the leaves
// with at least minSpikes points to out.
func (c *clusterer) bisect(pts []point, idx []int32, dim, depth int, out [][]int32) [][]int32 {
	if len(idx) < c.minSpikes {
		return out
	}
	labels, _, ok := c.sep.bestSplit(pts, idx, dim, c.splitDP)
	if !ok || depth >= maxDepth {
		return append(out, append([]int32(nil), idx...))
	}
	var a, b []int32
	for i, l := range labels {
		if l == 0 {
			a = append(a, idx[i])
		} else {
			b = append(b, idx[i])
		}
	}
	out = c.bisect(pts, a, dim, depth+1, out)
	return c.bisect(pts, b, dim, depth+1, out)
}

// accept returns leaf if it qualifies as a new unit centred in cell, marking its points
// taken; nil otherwise.
func (c *clusterer) accept(pts []point, leaf []int32, cell, dim int) []int32 {
	var sx, sy float64
	for _, i := range leaf {
		sx += float64(pts[i].xUm)
		sy += float64(pts[i].yUm)
	}
	n := float64(len(leaf))
	mx, my := sx/n, sy/n
	cx, cy := c.g.cellXY(float32(mx), float32(my))
	if cy*c.g.nx+cx != cell {
		return nil
	}
	var v float64
	for _, i := range leaf {
		dx, dy := float64(pts[i].xUm)-mx, float64(pts[i].yUm)-my
		v += dx*dx + dy*dy
	}
	if math.Sqrt(v/n/2) > c.maxPosSD {
		return nil
	}
	for _, i := range leaf {
		c.taken[i] = true
	}
	return leaf
}

// partitionExcess returns by how much the separation of the given partition of pts[idx]
// (labels 0 or 1 per listed point) exceeds its threshold at base, in embedding space or in
// position, whichever is larger; positive means the two sides are distinct.
func (s *separator) partitionExcess(pts []point, idx []int32, labels []uint8, dim int,
	base float64) float64 {
	n := len(idx)
	s.feats = s.feats[:0]
	for _, i := range idx {
		s.feats = append(s.feats, pts[i].emb[:dim]...)
	}
	excess := s.b.separation(s.feats, n, dim, labels) - dprimeThreshold(base, dim, n)
	s.feats = s.feats[:0]
	for _, i := range idx {
		s.feats = append(s.feats, pts[i].xUm, pts[i].yUm)
	}
	return max(excess, s.b.separation(s.feats, n, 2, labels)-dprimeThreshold(base, 2, n))
}

// dropDiffuse removes the clusters whose mean per-dimension embedding variance exceeds
// maxSpread times the median over the live units and all of this run's clusters together
// (applied once there are at least 3 of them). Counting this run's clusters lets the test
// work before any unit exists: diffuse background clusters and warm-up mixtures of
// neighbours are outnumbered by compact single units.
func (c *clusterer) dropDiffuse(pts []point, clusters [][]int32, dim int) [][]int32 {
	vars := make([]float64, len(clusters))
	all := append([]float64(nil), c.liveVars...)
	for i, cl := range clusters {
		vars[i] = meanVariance(pts, cl, dim)
		all = append(all, vars[i])
	}
	if len(all) < 3 {
		return clusters
	}
	slices.Sort(all)
	limit := c.maxSpread * all[len(all)/2]
	out := clusters[:0]
	for i, cl := range clusters {
		if vars[i] <= limit {
			out = append(out, cl)
		}
	}
	return out
}

// meanVariance returns the mean over dimensions of the embedding variance of pts[idx].
func meanVariance(pts []point, idx []int32, dim int) float64 {
	var total float64
	n := float64(len(idx))
	for k := 0; k < dim; k++ {
		var s, s2 float64
		for _, i := range idx {
			v := float64(pts[i].emb[k])
			s += v
			s2 += v * v
		}
		total += max(s2/n-(s/n)*(s/n), 0)
	}
	return total / float64(dim)
}
