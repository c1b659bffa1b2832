package pipeline

import (
	"math"

	"github.com/spikestream/spikestream/probe"
)

// RowSource gives read access to filtered samples by absolute sample index: Row(t) returns
// every channel at sample t. ringbuf.Ring and Filtered implement it.
type RowSource interface {
	Row(t int64) []float32
}

// Candidate is a detected trough, before scoring.
type Candidate struct {
	Sample      int64   // stream sample index of the trough
	Channel     int     // peak channel
	AmplitudeUV float32 // trough depth, uV (positive)
}

// noiseStride is the sample stride of the running noise update.
const noiseStride = 4

// meanAbsToSD converts the mean absolute value of Gaussian noise to its standard deviation.
const meanAbsToSD = 1.2533141

// Finder finds spike troughs causally: a sample is a candidate when it is a local minimum in
// time below -ThresholdSD x noise on its channel, and the deepest (in uV) within +-DedupMs
// on channels within RadiusUm. A candidate is final once DedupMs of later signal has been
// scanned. It keeps a running per-channel noise level (robust mean absolute value, clipped
// so that spikes barely move it). A Finder is not safe for concurrent use.
type Finder struct {
	cfg        DetectConfig
	channels   int
	rateHz     float64
	near       [][]int // channels within RadiusUm of each channel, itself excluded
	dedup      int64   // DedupMs in samples
	warmup     int64   // WarmupMs in samples
	alphaPerS  float64 // noise EMA weight per sample
	noiseUV    []float32
	thrUV      []float32
	start      int64 // first sample since the last reset
	scanned    int64 // next sample to test as a local minimum
	pending    []Candidate
	finalFrom  int // pending[:finalFrom] are already decided
	noiseReady bool
	accAbs     []float64 // mean |x| accumulation during warm-up
	accN       int64
}

// NewFinder returns a finder for the probe's channels at rateHz.
func NewFinder(cfg DetectConfig, p *probe.Probe, rateHz float64) (*Finder, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	n := p.NumChannels()
	f := &Finder{
		cfg: cfg, channels: n, rateHz: rateHz,
		near:      make([][]int, n),
		dedup:     int64(msToSamples(cfg.DedupMs, rateHz)),
		warmup:    int64(msToSamples(cfg.WarmupMs, rateHz)),
		alphaPerS: 1 / (cfg.NoiseWindowS * rateHz),
		noiseUV:   make([]float32, n),
		thrUV:     make([]float32, n),
		accAbs:    make([]float64, n),
	}
	for ch := range n {
		f.near[ch] = p.Neighbours(ch, cfg.RadiusUm, 0)[1:]
	}
	return f, nil
}

// NoiseUV returns the current per-channel noise level (standard deviation), uV. The slice is
// owned by the Finder and changes as it scans; copy it to keep it.
func (f *Finder) NoiseUV() []float32 { return f.noiseUV }

// Ready reports whether the noise level has been estimated since the last reset.
func (f *Finder) Ready() bool { return f.noiseReady }

// Reset restarts detection at sample first (after a gap or at the start of a stream).
// Pending candidates are dropped; it returns how many.
func (f *Finder) Reset(first int64) int {
	dropped := len(f.pending) - f.finalFrom
	f.start, f.scanned = first, first
	f.pending, f.finalFrom = f.pending[:0], 0
	f.noiseReady, f.accN = false, 0
	clear(f.accAbs)
	return dropped
}

// Scan examines samples up to (not including) upTo, which src must hold back to the last
// sample scanned minus one, and appends the candidates that became final to out.
func (f *Finder) Scan(src RowSource, upTo int64, out []Candidate) []Candidate {
	for t := f.scanned; t < upTo; t++ {
		f.updateNoise(src.Row(t), t)
		if f.noiseReady && t-1 > f.start+f.warmup && t >= f.start+2 {
			f.testMinimum(src, t-1)
		}
	}
	if upTo > f.scanned {
		f.scanned = upTo
	}
	// A minimum at sample s is known once s+1 is scanned, so s <= upTo-2 are all tested.
	return f.finalize(upTo-2, out)
}

// Flush decides every pending candidate as if no later signal existed (end of stream).
func (f *Finder) Flush(out []Candidate) []Candidate {
	return f.finalize(math.MaxInt64/2, out)
}

// updateNoise folds one row into the running noise estimate.
func (f *Finder) updateNoise(row []float32, t int64) {
	if !f.noiseReady {
		for ch, v := range row {
			f.accAbs[ch] += math.Abs(float64(v))
		}
		f.accN++
		if f.accN >= f.warmup {
			for ch := range f.noiseUV {
				f.setNoise(ch, float32(f.accAbs[ch]/float64(f.accN)*meanAbsToSD))
			}
			f.noiseReady = true
		}
		return
	}
	// The running estimate needs far fewer than all samples: fold in every noiseStride-th.
	if t%noiseStride != 0 {
		return
	}
	a := float32(f.alphaPerS * noiseStride)
	for ch, v := range row {
		sd := f.noiseUV[ch]
		abs := min(float32(math.Abs(float64(v))), 3*sd)
		f.noiseUV[ch] = sd + a*(abs*meanAbsToSD-sd)
	}
	// Thresholds follow the noise lazily; the noise moves by < 1e-4 per sample.
	if t%64 == 0 {
		for ch, sd := range f.noiseUV {
			f.thrUV[ch] = -float32(f.cfg.ThresholdSD) * sd
		}
	}
}

func (f *Finder) setNoise(ch int, sd float32) {
	f.noiseUV[ch] = sd
	f.thrUV[ch] = -float32(f.cfg.ThresholdSD) * sd
}

// testMinimum appends a pending candidate for every channel whose sample t is a local
// minimum below threshold.
func (f *Finder) testMinimum(src RowSource, t int64) {
	row := src.Row(t)
	var prev, next []float32
	for ch, v := range row {
		if v >= f.thrUV[ch] {
			continue
		}
		if prev == nil {
			prev, next = src.Row(t-1), src.Row(t+1)
		}
		if v <= prev[ch] && v < next[ch] {
			f.pending = append(f.pending, Candidate{Sample: t, Channel: ch, AmplitudeUV: -v})
		}
	}
}

// finalize decides pending candidates whose whole dedup window lies at or before last,
// appending the winners to out, and forgets candidates too old to matter.
func (f *Finder) finalize(last int64, out []Candidate) []Candidate {
	for f.finalFrom < len(f.pending) && f.pending[f.finalFrom].Sample+f.dedup <= last {
		c := f.pending[f.finalFrom]
		if f.isDeepest(f.finalFrom) {
			out = append(out, c)
		}
		f.finalFrom++
	}
	f.trim(last)
	return out
}

// isDeepest reports whether pending[i] beats every other pending candidate within the dedup
// window on its own or a nearby channel. Ties go to the earlier sample, then lower channel.
func (f *Finder) isDeepest(i int) bool {
	c := f.pending[i]
	for j := i - 1; j >= 0 && f.pending[j].Sample >= c.Sample-f.dedup; j-- {
		if f.competes(c, f.pending[j]) && !beats(c, f.pending[j]) {
			return false
		}
	}
	for j := i + 1; j < len(f.pending) && f.pending[j].Sample <= c.Sample+f.dedup; j++ {
		if f.competes(c, f.pending[j]) && !beats(c, f.pending[j]) {
			return false
		}
	}
	return true
}

func (f *Finder) competes(a, b Candidate) bool {
	if a.Channel == b.Channel {
		return true
	}
	for _, ch := range f.near[a.Channel] {
		if ch == b.Channel {
			return true
		}
	}
	return false
}

// beats reports whether a wins over b.
func beats(a, b Candidate) bool {
	if a.AmplitudeUV != b.AmplitudeUV {
		return a.AmplitudeUV > b.AmplitudeUV
	}
	if a.Sample != b.Sample {
		return a.Sample < b.Sample
	}
	return a.Channel < b.Channel
}

// trim drops decided candidates that can no longer compete with undecided ones.
func (f *Finder) trim(last int64) {
	keepFrom := 0
	for keepFrom < f.finalFrom && f.pending[keepFrom].Sample < last-3*f.dedup {
		keepFrom++
	}
	if keepFrom == 0 {
		return
	}
	n := copy(f.pending, f.pending[keepFrom:])
	f.pending = f.pending[:n]
	f.finalFrom -= keepFrom
}
