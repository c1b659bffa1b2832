package pipeline

import "github.com/spikestream/spikestream/internal/dsp"

// medianCopy returns the median of v without reordering it; it allocates a copy.
func medianCopy(v []float32) float32 {
	return dsp.Median(append([]float32(nil), v...))
}
