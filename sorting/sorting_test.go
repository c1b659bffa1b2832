package sorting

import (
	"errors"
	"math"
	"slices"
	"testing"
)

func TestNewOrdersAndCollectsIDs(t *testing.T) {
	s, err := New(30000, []int64{50, 10, 30, 10}, []int64{2, 7, 2, 5}, 9)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Times, []int64{10, 10, 30, 50}) {
		t.Errorf("times %v", s.Times)
	}
	// Stable: the two spikes at 10 keep their input order (7 then 5).
	if !slices.Equal(s.Labels, []int64{7, 5, 2, 2}) {
		t.Errorf("labels %v", s.Labels)
	}
	if !slices.Equal(s.UnitIDs, []int64{2, 5, 7, 9}) {
		t.Errorf("unit ids %v", s.UnitIDs)
	}
	if got := s.Counts(); !slices.Equal(got, []int{2, 1, 1, 0}) {
		t.Errorf("counts %v", got)
	}
	tr := s.Trains()
	if !slices.Equal(tr[0], []int64{30, 50}) || len(tr[3]) != 0 {
		t.Errorf("trains %v", tr)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		s    *Sorting
		ok   bool
	}{
		{"empty", &Sorting{SampleRateHz: 1}, true},
		{"nil", nil, false},
		{"zero rate", &Sorting{}, false},
		{"nan rate", &Sorting{SampleRateHz: math.NaN()}, false},
		{"inf rate", &Sorting{SampleRateHz: math.Inf(1)}, false},
		{"length mismatch", &Sorting{SampleRateHz: 1, Times: []int64{1}}, false},
		{"decreasing", &Sorting{SampleRateHz: 1, Times: []int64{2, 1}, Labels: []int64{1, 1},
			UnitIDs: []int64{1}}, false},
		{"negative time", &Sorting{SampleRateHz: 1, Times: []int64{-1}, Labels: []int64{1},
			UnitIDs: []int64{1}}, false},
		{"unknown label", &Sorting{SampleRateHz: 1, Times: []int64{1}, Labels: []int64{2},
			UnitIDs: []int64{1}}, false},
		{"unsorted ids", &Sorting{SampleRateHz: 1, UnitIDs: []int64{2, 1}}, false},
		{"repeated ids", &Sorting{SampleRateHz: 1, UnitIDs: []int64{1, 1}}, false},
		{"equal times", &Sorting{SampleRateHz: 1, Times: []int64{4, 4}, Labels: []int64{1, 3},
			UnitIDs: []int64{1, 3}}, true},
	}
	for _, c := range cases {
		err := c.s.Validate()
		if c.ok != (err == nil) || err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

func TestWithoutUnitAndWindow(t *testing.T) {
	s, err := New(1000, []int64{1, 2, 3, 4, 5}, []int64{0, 1, 0, 2, 1})
	if err != nil {
		t.Fatal(err)
	}
	w := s.WithoutUnit(0)
	if !slices.Equal(w.Times, []int64{2, 4, 5}) || !slices.Equal(w.UnitIDs, []int64{1, 2}) {
		t.Errorf("without 0: %v %v", w.Times, w.UnitIDs)
	}
	if err := w.Validate(); err != nil {
		t.Error(err)
	}
	if len(s.Times) != 5 {
		t.Error("WithoutUnit modified its receiver")
	}

	win := s.Window(2, 4)
	if !slices.Equal(win.Times, []int64{2, 3}) || !slices.Equal(win.Labels, []int64{1, 0}) ||
		len(win.UnitIDs) != 3 {
		t.Errorf("window: %+v", win)
	}
	if empty := s.Window(9, 3); empty.NumSpikes() != 0 {
		t.Errorf("reversed window has %d spikes", empty.NumSpikes())
	}
}
