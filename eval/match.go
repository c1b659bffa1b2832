package eval

import (
	"fmt"
	"math"

	"github.com/spikestream/spikestream/sorting"
)

// matchCounts returns, for every (true unit, sorted unit) pair, the number of spikes that
// can be matched one to one with |t_true - t_sorted| <= deltaSamples, as a flat
// len(truth.UnitIDs) x len(sorted.UnitIDs) matrix.
//
// Both sortings are in time order, so one sweep suffices: each true spike scans the sorted
// spikes inside its window, and for each sorted unit takes the earliest spike that the pair
// has not used yet. Taking the earliest free partner in time order is a maximum matching
// for points on a line, so the count per pair is exact. Time O(spikes x window occupancy),
// memory two int32 matrices of units x units.
//
// SpikeInterface (0.105) remembers only each pair's last match, so when a pair's spikes come
// closer than 2*delta (bursts, merged units) its count can exceed this one-to-one count;
// otherwise the two agree exactly (eval/interop/check_eval.py compares them).
func matchCounts(truth, sorted *sorting.Sorting, deltaSamples int64) ([]int32, error) {
	if len(truth.Times) >= math.MaxInt32 || len(sorted.Times) >= math.MaxInt32 {
		return nil, fmt.Errorf("more than %d spikes", math.MaxInt32-1)
	}
	nS := len(sorted.UnitIDs)
	tIdx := unitIndices(truth)
	sIdx := unitIndices(sorted)
	counts := make([]int32, len(truth.UnitIDs)*nS)
	lastUsed := make([]int32, len(counts)) // 1 + index of the pair's last matched sorted spike
	handled := make([]int32, nS)           // 1 + index of the true spike that matched unit j

	lo := 0
	st := sorted.Times
	for k, t := range truth.Times {
		for lo < len(st) && st[lo] < t-deltaSamples {
			lo++
		}
		row := int(tIdx[k]) * nS
		for q := lo; q < len(st) && st[q] <= t+deltaSamples; q++ {
			j := sIdx[q]
			p := row + int(j)
			if handled[j] == int32(k+1) || lastUsed[p] >= int32(q+1) {
				continue
			}
			lastUsed[p] = int32(q + 1)
			handled[j] = int32(k + 1)
			counts[p]++
		}
	}
	return counts, nil
}

// unitIndices maps each spike's label to its index in UnitIDs.
func unitIndices(s *sorting.Sorting) []int32 {
	pos := make(map[int64]int32, len(s.UnitIDs))
	for i, id := range s.UnitIDs {
		pos[id] = int32(i)
	}
	idx := make([]int32, len(s.Labels))
	for i, l := range s.Labels {
		idx[i] = pos[l]
	}
	return idx
}
