// Package sim simulates extracellular recordings with exact ground truth: multicompartment
// neurons give templates, templates placed at spike times from firing models give
// recordings, with drift, bursts, overlaps, background cells and correlated noise.
//
// Generate is the entry point; Stream gives the same recording without holding its samples,
// rendering them as they are read, for recordings too long for memory. Recording.WriteDir
// and ReadDir move recordings to and from disk in formats that Kilosort, phy and
// SpikeInterface users already read.
//
// The model, every constant in physical units so that any rate from 10 to 50 kHz works:
//   - cells come from the cached library of sim/library (simulated once as transmembrane
//     currents) and are projected onto the probe with the line-source formula of
//     sim/neuron, low-passed like the amplifier (7.5 kHz one-pole) and resampled around
//     the trough in four sub-sample phases (place.go, template.go, units.go);
//   - units sit 8-60 um from the contact plane, are redrawn until their trough is 35-450
//     uV, and fire as gamma renewal processes after a refractory period with log-normal
//     rates, bursts with decaying amplitude, per-spike jitter, a slow amplitude
//     modulation and forced near-coincidences between neighbours (firing.go);
//   - drift is a slow ramp with wobble, optional jumps and a depth gradient; templates are
//     projected every 4 um along each unit's path and interpolated (drift.go, lowrank.go);
//   - noise is a 1/f-like, spatially correlated block with far background cells, read at
//     random offsets with cross-fades, and scaled to NoiseUV RMS (noise.go, background.go);
//   - synthesis adds spikes into int16 chunks on all CPUs, saturating and counting clips
//     (synth.go). The output depends only on the Config, not on the number of CPUs.
package sim

import (
	"errors"

	"github.com/spikestream/spikestream/probe"
)

// The contract below is shared by the recording synthesis, the models' training loop and
// the demo. Field names are fixed; more fields may be added.

// ErrBadConfig is returned, wrapped with detail, when a Config cannot be simulated. Generate
// checks the whole Config before doing any work.
var ErrBadConfig = errors.New("bad sim config")

// Config describes one recording to synthesise. Zero values take documented defaults.
type Config struct {
	Probe        *probe.Probe
	Units        int     // number of well-isolated cells near the probe; 0 for none
	DurationS    float64 // seconds; must be > 0
	SampleRateHz float64 // 10-50 kHz; default 30000
	NoiseUV      float64 // background noise RMS, uV, far cells included; default 10
	UVPerBit     float64 // quantisation step of the int16 output, uV; default 0.195
	Seed         int64   // everything is deterministic by seed
	DriftUm      float64 // total rigid drift over the recording, um; 0 for none

	// DriftJumps is the number of sudden probe jumps at random times (0 for none), each of
	// DriftJumpUm (default 10 um) in a random direction along the shank.
	DriftJumps  int
	DriftJumpUm float64
	// DriftNonRigid makes drift depth dependent: a cell at the largest y of the probe moves
	// by (1+DriftNonRigid/2) times the rigid drift, one at the smallest y by
	// (1-DriftNonRigid/2). 0 is rigid; allowed range [-1, 1].
	DriftNonRigid float64

	// BackgroundCells is the number of far cells (80-250 um from the probe) whose small
	// spikes make part of the noise. 0 takes a default of one per 15 um of shank length
	// (at least 20); negative means none.
	BackgroundCells int

	// ClassMix weighs the cell classes drawn from the library, by class name. Nil takes a
	// default of 80 % excitatory and 20 % inhibitory classes.
	ClassMix map[string]float64

	// LibraryDir caches the simulated cell library; default
	// os.UserCacheDir()/spikestream/templates. LibrarySize is the number of cells in the
	// library; default 200. LibrarySeed draws the library's cells (morphologies, channel
	// densities); 0 takes LibrarySeed, the library training uses. Evaluations that must
	// hold out cells, not just placements, pass another seed.
	LibraryDir  string
	LibrarySize int
	LibrarySeed int64
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
	RateHz      float64 // mean firing rate over the recording: NumSpikes / duration, Hz

	NumSpikes  int     // spikes in Recording.Truth
	DriftScale float64 // the unit moves by DriftScale times the rigid drift trace
	LibraryID  int     // index of the cell model in the library
}

// Recording is a simulated recording: held in memory from Generate, or without Samples
// (nil) from Stream.
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
	// TemplateSamples long with the trough at TemplatePre: the waveform of one spike of
	// amplitude factor 1 at the unit's t=0 position, as recorded (amplifier low-pass
	// included). Channels beyond 150 um of the unit (and, for a unit without drift,
	// channels where it stays below 0.5 uV) are zero.
	Templates       []float32
	TemplateSamples int
	TemplatePre     int

	// ClippedSamples counts output samples that saturated the int16 range.
	ClippedSamples int64
	// DriftTraceUm is the rigid drift (displacement of the cells along the shank relative
	// to the probe, um) sampled every DriftStepS seconds from t=0.
	DriftTraceUm []float32
	DriftStepS   float64
}

// NumChannels returns the number of channels.
func (r *Recording) NumChannels() int { return r.Probe.NumChannels() }

// DurationS returns the recording length in seconds.
func (r *Recording) DurationS() float64 { return float64(r.NumSamples) / r.SampleRateHz }

// UnitYUmAt returns the depth of unit u's soma, in probe coordinates (um), at time tS
// seconds from the start, drift included. It panics if u is out of range.
func (r *Recording) UnitYUmAt(u int, tS float64) float64 {
	return r.Units[u].YUm + r.Units[u].DriftScale*r.driftAt(tS)
}

// driftAt interpolates the rigid drift trace at tS seconds.
func (r *Recording) driftAt(tS float64) float64 {
	n := len(r.DriftTraceUm)
	if n == 0 || r.DriftStepS <= 0 {
		return 0
	}
	x := tS / r.DriftStepS
	if x <= 0 {
		return float64(r.DriftTraceUm[0])
	}
	i := int(x)
	if i >= n-1 {
		return float64(r.DriftTraceUm[n-1])
	}
	f := x - float64(i)
	return float64(r.DriftTraceUm[i])*(1-f) + float64(r.DriftTraceUm[i+1])*f
}
