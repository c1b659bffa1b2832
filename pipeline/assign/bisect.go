package assign

import "math"

// bisector splits a set of feature vectors in two with two-means and measures how well the
// halves separate. It owns scratch buffers reused across calls; one bisector serves one
// goroutine.
type bisector struct {
	labels []uint8
	prev   []uint8
	proj   []float64
	axis   []float64
	tmp    []float64
	c      [2][]float64
}

// minSide is the smallest half a split may leave.
const minSide = 5

// split runs two-means on the n rows of x (k columns, row-major) and returns the separation
// d' of the halves: the distance between their means along the axis that joins them, over
// the pooled standard deviation of the projections on that axis. labels[i] (0 or 1) gives
// each row's half; the slice is the bisector's and valid until the next call. A unimodal
// Gaussian gives d' near 2.7, two Gaussians D standard deviations apart give about D. It
// returns 0 when either half would be smaller than minSide.
func (b *bisector) split(x []float32, n, k int) (float64, []uint8) {
	b.grow(n, k)
	if n < 2*minSide {
		return 0, b.labels
	}
	b.principalAxis(x, n, k)
	b.initByAxis(x, n, k)
	if !b.centroids(x, n, k) {
		return 0, b.labels
	}
	for iter := 0; iter < 20; iter++ {
		b.prev = append(b.prev[:0], b.labels...)
		if !b.relabel(x, n, k) {
			break
		}
		if !b.centroids(x, n, k) { // a half became too small: keep the last valid split
			copy(b.labels, b.prev)
			b.centroids(x, n, k)
			break
		}
	}
	return b.dprime(x, n, k), b.labels
}

func (b *bisector) grow(n, k int) {
	if cap(b.labels) < n {
		b.labels = make([]uint8, n)
		b.proj = make([]float64, n)
	}
	b.labels, b.proj = b.labels[:n], b.proj[:n]
	if cap(b.axis) < k {
		b.axis, b.tmp = make([]float64, k), make([]float64, k)
		b.c[0], b.c[1] = make([]float64, k), make([]float64, k)
	}
	b.axis, b.tmp = b.axis[:k], b.tmp[:k]
	b.c[0], b.c[1] = b.c[0][:k], b.c[1][:k]
}

// principalAxis leaves in b.axis the top principal direction of x (power iteration) and in
// b.tmp the mean row.
func (b *bisector) principalAxis(x []float32, n, k int) {
	mean := b.tmp
	clear(mean)
	for i := 0; i < n; i++ {
		for j := 0; j < k; j++ {
			mean[j] += float64(x[i*k+j])
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
		b.axis[j] = 1 / math.Sqrt(float64(k)) * float64(1+j%3) // fixed, non-degenerate start
	}
	next := b.c[0]
	for iter := 0; iter < 8; iter++ {
		clear(next)
		for i := 0; i < n; i++ {
			var dot float64
			for j := 0; j < k; j++ {
				dot += (float64(x[i*k+j]) - mean[j]) * b.axis[j]
			}
			for j := 0; j < k; j++ {
				next[j] += dot * (float64(x[i*k+j]) - mean[j])
			}
		}
		if normalise(next) == 0 {
			return
		}
		copy(b.axis, next)
	}
}

// normalise scales v to unit length and returns its former length.
func normalise(v []float64) float64 {
	var s float64
	for _, e := range v {
		s += e * e
	}
	s = math.Sqrt(s)
	if s > 0 {
		for j := range v {
			v[j] /= s
		}
	}
	return s
}

// initByAxis labels rows by the sign of their projection on the principal axis.
func (b *bisector) initByAxis(x []float32, n, k int) {
	for i := 0; i < n; i++ {
		var dot float64
		for j := 0; j < k; j++ {
			dot += (float64(x[i*k+j]) - b.tmp[j]) * b.axis[j]
		}
		b.labels[i] = 0
		if dot > 0 {
			b.labels[i] = 1
		}
	}
}

// centroids recomputes both half means; false when a half is smaller than minSide.
func (b *bisector) centroids(x []float32, n, k int) bool {
	var cnt [2]int
	clear(b.c[0])
	clear(b.c[1])
	for i := 0; i < n; i++ {
		l := b.labels[i]
		cnt[l]++
		for j := 0; j < k; j++ {
			b.c[l][j] += float64(x[i*k+j])
		}
	}
	if cnt[0] < minSide || cnt[1] < minSide {
		return false
	}
	for l := 0; l < 2; l++ {
		for j := 0; j < k; j++ {
			b.c[l][j] /= float64(cnt[l])
		}
	}
	return true
}

// relabel assigns each row to the nearer centroid; it returns whether any label changed.
func (b *bisector) relabel(x []float32, n, k int) bool {
	changed := false
	for i := 0; i < n; i++ {
		var d0, d1 float64
		for j := 0; j < k; j++ {
			v := float64(x[i*k+j])
			d0 += (v - b.c[0][j]) * (v - b.c[0][j])
			d1 += (v - b.c[1][j]) * (v - b.c[1][j])
		}
		l := uint8(0)
		if d1 < d0 {
			l = 1
		}
		if l != b.labels[i] {
			b.labels[i], changed = l, true
		}
	}
	return changed
}

// dprime projects every row on the axis joining the half means and returns the separation
// of the halves in pooled standard deviations.
func (b *bisector) dprime(x []float32, n, k int) float64 {
	for j := 0; j < k; j++ {
		b.axis[j] = b.c[1][j] - b.c[0][j]
	}
	if normalise(b.axis) == 0 {
		return 0
	}
	var sum, sq [2]float64
	var cnt [2]float64
	for i := 0; i < n; i++ {
		var dot float64
		for j := 0; j < k; j++ {
			dot += float64(x[i*k+j]) * b.axis[j]
		}
		l := b.labels[i]
		b.proj[i] = dot
		sum[l] += dot
		sq[l] += dot * dot
		cnt[l]++
	}
	m0, m1 := sum[0]/cnt[0], sum[1]/cnt[1]
	v0 := sq[0]/cnt[0] - m0*m0
	v1 := sq[1]/cnt[1] - m1*m1
	pooled := (v0*cnt[0] + v1*cnt[1]) / (cnt[0] + cnt[1])
	if pooled <= 0 {
		return math.Inf(1)
	}
	return math.Abs(m1-m0) / math.Sqrt(pooled)
}

// separation returns the d' of a given two-way partition of the n rows of x (labels 0 or 1),
// measured as split measures its own; 0 when either side has fewer than minSide rows.
func (b *bisector) separation(x []float32, n, k int, labels []uint8) float64 {
	b.grow(n, k)
	copy(b.labels, labels)
	if !b.centroids(x, n, k) {
		return 0
	}
	return b.dprime(x, n, k)
}
