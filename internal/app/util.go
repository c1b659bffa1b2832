package app

import (
	"sort"

	"github.com/spikestream/spikestream/stream"
)

func sortStable(ev []stream.SpikeEvent) {
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].SampleIndex < ev[j].SampleIndex })
}

// medianOf returns the median of v, reordering v.
func medianOf(v []float32) float32 {
	sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
	return v[len(v)/2]
}
