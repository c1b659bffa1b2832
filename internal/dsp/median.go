package dsp

// Median returns the median of v, reordering v in place (quickselect; for an even length,
// the mean of the two middle values). It does not allocate. v must not be empty.
func Median(v []float32) float32 {
	n := len(v)
	k := n / 2
	m := selectK(v, k)
	if n%2 == 1 {
		return m
	}
	// The lower middle is the largest value left of k after selection.
	lo := v[0]
	for _, x := range v[1:k] {
		if x > lo {
			lo = x
		}
	}
	return (lo + m) / 2
}

// selectK reorders v so that v[k] holds the k-th smallest value, smaller values before it
// and larger after, and returns v[k]. Hoare partition with a median-of-three pivot.
func selectK(v []float32, k int) float32 {
	lo, hi := 0, len(v)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		if v[mid] < v[lo] {
			v[mid], v[lo] = v[lo], v[mid]
		}
		if v[hi] < v[lo] {
			v[hi], v[lo] = v[lo], v[hi]
		}
		if v[hi] < v[mid] {
			v[hi], v[mid] = v[mid], v[hi]
		}
		pivot := v[mid]
		i, j := lo, hi
		for i <= j {
			for v[i] < pivot {
				i++
			}
			for v[j] > pivot {
				j--
			}
			if i <= j {
				v[i], v[j] = v[j], v[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return v[k]
		}
	}
	return v[k]
}
