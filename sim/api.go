// Package sim simulates extracellular recordings with exact ground truth: multicompartment
// neurons give templates, templates placed at spike times from firing models give
// recordings, with drift, bursts, overlaps, background cells and correlated noise.
package sim

import "github.com/spikestream/spikestream/probe"

// The contract below is shared by the recording synthesis, the models' training loop and
// the demo. Field names are fixed; more fields may be added.

// Config describes one recording to synthesise. Zero values take documented defaults.
type Config struct {
	Probe        *probe.Probe
	Units        int     // number of well-isolated cells near the probe
	DurationS    float64 // seconds
	SampleRateHz float64 // 10-50 kHz; default 30000
	NoiseUV      float64 // background noise RMS, uV; default 10
	UVPerBit     float64 // quantisation step of the int16 output, uV; default 0.195
	Seed         int64   // everything is deterministic by seed
	DriftUm      float64 // total rigid drift over the recording, um; 0 for none
}

// TruthSpike is one ground-truth spike: the sample index of its trough on the unit's peak
// channel, and the unit's index into Recording.Units.
type TruthSpike struct {
	Sample int64
	Unit   int
}

// UnitInfo describes one simulated unit.
type UnitInfo struct {
	ID          int     // index into Recording.Units; also the unit id in truth.npz
	Class       string  // cell class, e.g. "pyramidal-large", "fs-interneuron"
	XUm, YUm    float64 // soma position in probe coordinates at t=0, um
	ZUm         float64 // distance from the probe plane, um
	PeakChannel int
	PeakUV      float64 // peak template amplitude (trough depth), uV
	SNR         float64 // PeakUV / NoiseUV
	RateHz      float64 // mean firing rate
}

// Recording is a simulated recording held in memory.
type Recording struct {
	Config       Config
	Probe        *probe.Probe
	SampleRateHz float64
	UVPerBit     float64
	Samples      []int16 // interleaved by sample, len = NumSamples * NumChannels
	NumSamples   int
	Truth        []TruthSpike // sorted by Sample
	Units        []UnitInfo
	// Templates holds each unit's mean waveform in uV, units x samples x channels,
	// TemplateSamples long with the trough at TemplatePre.
	Templates       []float32
	TemplateSamples int
	TemplatePre     int
}

// NumChannels returns the number of channels.
func (r *Recording) NumChannels() int { return r.Probe.NumChannels() }
