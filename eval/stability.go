package eval

import (
	"errors"
	"fmt"
	"math"

	"github.com/spikestream/spikestream/sorting"
)

// ErrBadWindow is returned for a non-positive stability window.
var ErrBadWindow = errors.New("bad stability window")

// DefaultStabilityWindowS is the window of the unit-id stability metric, s.
const DefaultStabilityWindowS = 60

// UnitStability follows one true unit's paired sorted id across windows.
type UnitStability struct {
	TrueID int64
	// IDs holds the sorted unit paired with this unit in each window, -1 where unpaired.
	IDs []int64
	// FirstID is the id in the first window where the unit was paired (-1: never).
	FirstID int64
	// Changes counts later paired windows whose id differs from FirstID.
	Changes int
	// Stable is true when the unit was paired in at least two windows, always to FirstID.
	Stable bool
}

// Stability is the unit-id stability of a sorting: does each true unit keep its sorted id
// after the first window in which it was found?
type Stability struct {
	WindowS    float64
	NumWindows int
	Units      []UnitStability // in truth.UnitIDs order
	NumTracked int             // units paired in at least two windows
	NumStable  int             // tracked units that never changed id
	StableFrac float64         // NumStable / NumTracked, NaN when none is tracked
}

// IDStability splits the recording into windows of windowS seconds, pairs units in each
// window with Compare (same options), and reports per true unit whether its paired sorted
// id changes after its first paired window. Spikes within delta of a window edge may
// miss their partner across the edge, which only lowers per-window agreement slightly.
// The recording is taken to end at the last spike of either sorting. Sorted unit ids must
// be non-negative (-1 marks an unpaired window).
func IDStability(truth, sorted *sorting.Sorting, windowS float64,
	opt Options) (*Stability, error) {
	if !(windowS > 0) || math.IsInf(windowS, 0) {
		return nil, fmt.Errorf("id stability: %w: %v s", ErrBadWindow, windowS)
	}
	if err := truth.Validate(); err != nil {
		return nil, fmt.Errorf("id stability: truth: %w", err)
	}
	if err := sorted.Validate(); err != nil {
		return nil, fmt.Errorf("id stability: sorted: %w", err)
	}
	if len(sorted.UnitIDs) > 0 && sorted.UnitIDs[0] < 0 {
		return nil, fmt.Errorf("id stability: sorted unit id %d: ids must be non-negative",
			sorted.UnitIDs[0])
	}
	win := int64(math.Round(windowS * truth.SampleRateHz))
	if win < 1 {
		return nil, fmt.Errorf("id stability: %w: %v s is under one sample", ErrBadWindow,
			windowS)
	}
	end := max(lastTime(truth), lastTime(sorted)) + 1
	nWin := int((end + win - 1) / win)

	st := &Stability{WindowS: windowS, NumWindows: nWin, Units: make([]UnitStability,
		len(truth.UnitIDs))}
	for i, id := range truth.UnitIDs {
		st.Units[i] = UnitStability{TrueID: id, IDs: make([]int64, nWin), FirstID: -1}
	}
	for w := range nWin {
		lo, hi := int64(w)*win, int64(w+1)*win
		r, err := Compare(truth.Window(lo, hi), sorted.Window(lo, hi), opt)
		if err != nil {
			return nil, fmt.Errorf("id stability: window %d: %w", w, err)
		}
		for i, u := range r.Units {
			st.Units[i].IDs[w] = -1
			if u.Matched {
				st.Units[i].IDs[w] = u.SortedID
			}
		}
	}
	st.score()
	return st, nil
}

// lastTime returns the last spike time, or -1 for no spikes.
func lastTime(s *sorting.Sorting) int64 {
	if s == nil || len(s.Times) == 0 {
		return -1
	}
	return s.Times[len(s.Times)-1]
}

// score fills FirstID, Changes, Stable and the totals.
func (st *Stability) score() {
	for i := range st.Units {
		u := &st.Units[i]
		paired := 0
		for _, id := range u.IDs {
			if id < 0 {
				continue
			}
			paired++
			if u.FirstID < 0 {
				u.FirstID = id
			} else if id != u.FirstID {
				u.Changes++
			}
		}
		if paired >= 2 {
			st.NumTracked++
			u.Stable = u.Changes == 0
			if u.Stable {
				st.NumStable++
			}
		}
	}
	st.StableFrac = float64(st.NumStable) / float64(st.NumTracked)
}
