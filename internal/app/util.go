package app

import (
	"sort"

	"github.com/spikestream/spikestream/stream"
)

func sortStable(ev []stream.SpikeEvent) {
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].SampleIndex < ev[j].SampleIndex })
}
