// Package sorting holds a spike sorting result (spike times and unit labels) and reads and
// writes it in the formats other tools open: SpikeInterface's npz sorting and phy folders.
//
// A Sorting is a plain value: its functions do not retain their arguments unless stated, and
// it is safe for concurrent reads but not for concurrent modification.
package sorting

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrInvalid is returned, wrapped with detail, when a Sorting breaks its invariants.
var ErrInvalid = errors.New("invalid sorting")

// Sorting is a sorted spike train set of one segment.
//
// Invariants (checked by Validate): SampleRateHz is finite and positive; Times and Labels
// have the same length; Times are sample indices, non-negative and non-decreasing; every
// label is in UnitIDs; UnitIDs is sorted and unique. A unit may have no spikes.
type Sorting struct {
	SampleRateHz float64
	Times        []int64 // spike sample indices, non-decreasing
	Labels       []int64 // unit id of each spike
	UnitIDs      []int64 // sorted, unique
}

// New builds a Sorting from spikes in any order. It copies times and labels, orders spikes
// by time (stably, so equal times keep their input order) and takes the unit ids from the
// labels plus any extra ids given (units that may have no spikes).
func New(sampleRateHz float64, times, labels []int64, extraIDs ...int64) (*Sorting, error) {
	if len(times) != len(labels) {
		return nil, fmt.Errorf("%w: %d times but %d labels", ErrInvalid, len(times),
			len(labels))
	}
	s := &Sorting{
		SampleRateHz: sampleRateHz,
		Times:        slices.Clone(times),
		Labels:       slices.Clone(labels),
	}
	if !slices.IsSorted(times) {
		order := make([]int, len(times))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(times[a], times[b]) })
		for i, j := range order {
			s.Times[i] = times[j]
			s.Labels[i] = labels[j]
		}
	}
	s.UnitIDs = uniqueIDs(labels, extraIDs)
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// uniqueIDs returns the sorted union of the ids in a and b.
func uniqueIDs(a, b []int64) []int64 {
	ids := make([]int64, 0, len(b)+16)
	seen := make(map[int64]struct{})
	for _, v := range slices.Concat(a, b) {
		if _, ok := seen[v]; !ok {
			seen[v] = struct{}{}
			ids = append(ids, v)
		}
	}
	slices.Sort(ids)
	return ids
}

// Validate returns an error wrapping ErrInvalid when s breaks an invariant of Sorting.
func (s *Sorting) Validate() error {
	if s == nil {
		return fmt.Errorf("%w: nil sorting", ErrInvalid)
	}
	if !(s.SampleRateHz > 0) || math.IsInf(s.SampleRateHz, 0) {
		return fmt.Errorf("%w: sample rate %v Hz", ErrInvalid, s.SampleRateHz)
	}
	if len(s.Times) != len(s.Labels) {
		return fmt.Errorf("%w: %d times but %d labels", ErrInvalid, len(s.Times),
			len(s.Labels))
	}
	for i := 1; i < len(s.UnitIDs); i++ {
		if s.UnitIDs[i] <= s.UnitIDs[i-1] {
			return fmt.Errorf("%w: unit ids not sorted and unique at %d", ErrInvalid, i)
		}
	}
	return s.validateSpikes()
}

// validateSpikes checks time order and that every label is a listed unit.
func (s *Sorting) validateSpikes() error {
	for i, t := range s.Times {
		if t < 0 {
			return fmt.Errorf("%w: spike %d at negative sample %d", ErrInvalid, i, t)
		}
		if i > 0 && t < s.Times[i-1] {
			return fmt.Errorf("%w: spike %d at sample %d precedes spike %d at %d",
				ErrInvalid, i, t, i-1, s.Times[i-1])
		}
	}
	for i, l := range s.Labels {
		if _, ok := slices.BinarySearch(s.UnitIDs, l); !ok {
			return fmt.Errorf("%w: spike %d has label %d not in unit ids", ErrInvalid, i, l)
		}
	}
	return nil
}

// NumSpikes returns the number of spikes.
func (s *Sorting) NumSpikes() int { return len(s.Times) }

// UnitIndex returns the position of unit id in UnitIDs, or -1 if it is not a unit.
func (s *Sorting) UnitIndex(id int64) int {
	i, ok := slices.BinarySearch(s.UnitIDs, id)
	if !ok {
		return -1
	}
	return i
}

// Trains returns each unit's spike times, in UnitIDs order. It allocates one slice per unit.
func (s *Sorting) Trains() [][]int64 {
	counts := s.Counts()
	trains := make([][]int64, len(s.UnitIDs))
	for i, n := range counts {
		trains[i] = make([]int64, 0, n)
	}
	for i, t := range s.Times {
		k := s.UnitIndex(s.Labels[i])
		trains[k] = append(trains[k], t)
	}
	return trains
}

// Counts returns the number of spikes of each unit, in UnitIDs order.
func (s *Sorting) Counts() []int {
	counts := make([]int, len(s.UnitIDs))
	for _, l := range s.Labels {
		if k := s.UnitIndex(l); k >= 0 {
			counts[k]++
		}
	}
	return counts
}

// WithoutUnit returns a copy of s with unit id and its spikes removed; spikestream uses it
// to drop label 0, the spikes not yet assigned to any unit. s is not modified.
func (s *Sorting) WithoutUnit(id int64) *Sorting {
	out := &Sorting{SampleRateHz: s.SampleRateHz}
	for i, l := range s.Labels {
		if l != id {
			out.Times = append(out.Times, s.Times[i])
			out.Labels = append(out.Labels, l)
		}
	}
	for _, u := range s.UnitIDs {
		if u != id {
			out.UnitIDs = append(out.UnitIDs, u)
		}
	}
	return out
}

// Window returns a copy of the spikes with startSample <= time < endSample, keeping all
// unit ids (units without spikes in the window stay listed). s is not modified.
func (s *Sorting) Window(startSample, endSample int64) *Sorting {
	lo, _ := slices.BinarySearch(s.Times, startSample)
	hi, _ := slices.BinarySearch(s.Times, endSample)
	hi = max(hi, lo)
	return &Sorting{
		SampleRateHz: s.SampleRateHz,
		Times:        slices.Clone(s.Times[lo:hi]),
		Labels:       slices.Clone(s.Labels[lo:hi]),
		UnitIDs:      slices.Clone(s.UnitIDs),
	}
}
