// Package pipeline is the live sorter: goroutine stages joined by bounded queues that turn
// raw frames into labeled spikes. The stages are decode, preprocess (band-pass, common
// reference, noise level), detect, cut, embed, assign and publish.
package pipeline

import (
	"context"

	"github.com/spikestream/spikestream/stream"
)

// Snippet is a spike candidate's local multichannel waveform, cut from filtered,
// common-referenced data around its trough. Models read it; they must not retain it.
type Snippet struct {
	Sample       int64     // stream sample index of the trough
	PeakChannel  int       // channel with the deepest trough
	Channels     []int     // neighbourhood channels, PeakChannel first, then nearest first
	DxUm, DyUm   []float32 // position of each channel relative to PeakChannel, um
	Pre          int       // samples before the trough; Data index Pre is the trough
	Len          int       // samples per channel
	Data         []float32 // len(Channels) x Len, channel-major, filtered signal in uV
	NoiseUV      []float32 // robust noise level of each channel, uV
	SampleRateHz float64
}

// At returns the sample of neighbourhood channel i at offset t from the snippet start.
func (s *Snippet) At(i, t int) float32 { return s.Data[i*s.Len+t] }

// Spike is a snippet on its way through detection, embedding and assignment.
type Spike struct {
	Snippet
	AmplitudeUV float32   // trough depth on the peak channel, uV (positive)
	XUm, YUm    float32   // estimated source position in probe coordinates, um
	Confidence  float32   // detection confidence in [0, 1]
	Embedding   []float32 // set by the embed stage, Embedder.Dim() long
	Unit        uint32    // set by the assign stage; 0 means unassigned
	ArrivalNs   int64     // monotonic ns at which the frame completing the snippet arrived
}

// Scorer rates a spike candidate. Score returns the probability in [0, 1] that the snippet
// holds a real spike; the detect stage keeps candidates at or above its threshold. Score is
// called from one goroutine, must not allocate on the hot path and must not retain s.
type Scorer interface {
	Score(s *Snippet) float32
}

// Embedder maps a snippet to a compact feature vector. Embed writes Dim() values to dst and
// must give the same output for the same snippet whatever else it has seen. It is called from
// one goroutine, must not allocate on the hot path and must not retain s.
type Embedder interface {
	Dim() int
	Embed(s *Snippet, dst []float32)
}

// Spanner is implemented by a Scorer or Embedder that reads a snippet only within a fixed
// span around the trough. The pipeline widens its snippet window to hold the span of every
// component it runs, so that no model reads past the cut, and a spike waits for no more
// signal after its trough than the larger of that span's end and SnippetConfig.PostMs.
type Spanner interface {
	// SpanMs returns the first and the last time read, in ms relative to the trough
	// (negative before it).
	SpanMs() (fromMs, toMs float64)
}

// Assigner labels spikes with units. Assign sets sp.Unit (0 when the spike matches no unit
// yet) and is called from one goroutine, in sample order. Lifecycle changes are reported
// through the sink given at construction, from any goroutine the Assigner owns.
type Assigner interface {
	Assign(sp *Spike)
}

// Finisher is implemented by assigners with deferred work: ClusterNow runs it at once, in
// the caller's goroutine. The pipeline calls it after the last spike of a stream that ended
// or drained (not after an abort), so units founded from the last spikes are announced.
type Finisher interface {
	ClusterNow()
}

// Runner is implemented by components with background work. Run blocks until ctx is done
// or the work fails, and returns only after every goroutine it started has stopped.
type Runner interface {
	Run(ctx context.Context) error
}

// UnitSink receives unit lifecycle events. It must not block for long.
type UnitSink func(stream.UnitEvent)
