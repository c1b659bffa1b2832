package pipeline

// This file fixes the signatures that training code and tests use to run the live
// preprocessing, candidate detection and snippet cutting over an in-memory recording.
// Bodies are being written now; see preprocess.go, detect.go and snippet.go.

import "github.com/spikestream/spikestream/probe"

// PreprocessConfig sets the causal preprocessing. Zero values take the defaults in brackets.
type PreprocessConfig struct {
	LowHz        float64 // high-pass corner, Hz [300]
	HighHz       float64 // low-pass corner, Hz [6000, capped below Nyquist]
	Reference    string  // "median", "mean" or "none" ["median"; "none" below 8 channels]
	NoiseWindowS float64 // time constant of the running noise estimate, s [2]
}

// DetectConfig sets candidate detection.
type DetectConfig struct {
	ThresholdSD float64 // trough must fall below -ThresholdSD * noise [5 baseline, 4 learned]
	DedupMs     float64 // a trough must be the deepest within +-DedupMs on nearby channels [0.4]
	RadiusUm    float64 // channels this close compete in deduplication [50]
}

// SnippetConfig sets the snippet window and neighbourhood.
type SnippetConfig struct {
	PreMs       float64 // signal kept before the trough, ms [1.0]
	PostMs      float64 // signal kept after the trough, ms [1.0]
	RadiusUm    float64 // neighbourhood radius around the peak channel, um [60]
	MaxChannels int     // neighbourhood size limit [12]
}

// Candidate is a detected trough, before scoring.
type Candidate struct {
	Sample      int64   // stream sample index of the trough
	Channel     int     // peak channel
	AmplitudeUV float32 // trough depth, uV (positive)
}

// Filtered is an in-memory recording after causal preprocessing.
type Filtered struct {
	Probe        *probe.Probe
	SampleRateHz float64
	Channels     int
	Data         []float32 // interleaved by sample, uV
	NoiseUV      []float32 // per-channel noise level at the end of the recording, uV
}

// PreprocessRecording runs the live preprocessing over a whole int16 recording
// (interleaved, uvPerBit uV per unit) and returns the filtered signal. It allocates the
// output.
func PreprocessRecording(cfg PreprocessConfig, p *probe.Probe, rateHz, uvPerBit float64,
	samples []int16) (*Filtered, error) {
	panic("pipeline: PreprocessRecording not written yet")
}

// FindCandidates runs the live candidate detector over a whole filtered recording.
func FindCandidates(cfg DetectConfig, f *Filtered) ([]Candidate, error) {
	panic("pipeline: FindCandidates not written yet")
}

// CutSnippet cuts the snippet of candidate c from f into dst, reusing dst's slices.
// It returns false when the window runs off either end of the recording.
func CutSnippet(cfg SnippetConfig, f *Filtered, c Candidate, dst *Snippet) bool {
	panic("pipeline: CutSnippet not written yet")
}
