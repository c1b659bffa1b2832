package train

import (
	"fmt"
	"math"

	"github.com/spikestream/spikestream/models"
)

// DefaultGridEndMs is the last grid time of the models' inputs, ms after the trough, when
// Config.GridEndMs is 0. The live pipeline reports a spike only once this much signal
// after its trough has arrived, so it sets a floor under the trough-to-event latency.
const DefaultGridEndMs = 1.0

// WithGridEnd returns spec with its grid ending at endMs after the trough: the same start
// and step, as many steps as reach endMs. It fails when endMs is not on the grid (a whole
// number of steps from spec.T0Ms), lies beyond the snippets training cuts, or leaves
// fewer than two steps.
func WithGridEnd(spec models.InputSpec, endMs float64) (models.InputSpec, error) {
	steps := (endMs - spec.T0Ms) / spec.DtMs
	n := math.Round(steps)
	if math.Abs(steps-n) > 1e-6 {
		return spec, fmt.Errorf("%w: grid end %g ms is not a multiple of %g ms from %g ms",
			models.ErrBadSpec, endMs, spec.DtMs, spec.T0Ms)
	}
	if endMs > exampleSnippet.PostMs {
		return spec, fmt.Errorf("%w: grid end %g ms beyond the %g ms training snippets keep",
			models.ErrBadSpec, endMs, exampleSnippet.PostMs)
	}
	spec.Steps = int(n) + 1
	if err := spec.Validate(); err != nil {
		return spec, err
	}
	return spec, nil
}
