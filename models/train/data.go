package train

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/spikestream/spikestream/pipeline"
	"github.com/spikestream/spikestream/sim"
)

// ErrNoData is returned when a recording or a data set yields too few examples to use.
var ErrNoData = errors.New("not enough training examples")

// keepChannels is the number of neighbourhood channels stored per example; models use at
// most this many.
const keepChannels = 8

// exampleSnippet is the window cut around every training and evaluation candidate. It is
// fixed rather than the live default so that training does not change with the live
// window, and wider than the models' grid so that sub-sample jitter and overlapping spikes
// (shifted by up to 0.8 ms) bring in signal from outside the grid.
var exampleSnippet = pipeline.SnippetConfig{PreMs: 1, PostMs: 1}

// Example is one threshold candidate cut from a simulated recording, with its truth label.
// Snip holds its own copy of the first keepChannels neighbourhood channels.
type Example struct {
	Snip     pipeline.Snippet
	Positive bool    // a truth spike lies within MatchMs and its unit's peak is near
	Unit     int     // global unit id (unique across recordings) when Positive, else -1
	TruthIdx int     // index of the matched truth spike in its recording, else -1
	AmpSD    float32 // candidate trough depth over the peak channel's noise level
}

// ExtractConfig sets how candidates are found and labelled.
type ExtractConfig struct {
	ThresholdSD float64 // candidate threshold, noise SD [3.5]
	MatchMs     float64 // time tolerance to a truth spike, ms [0.4]
	MatchUm     float64 // candidate channel to unit peak channel distance limit, um [50]
	MaxExamples int     // keep at most this many candidates per recording, 0 = all
	SampleSeed  uint64  // seed for the subsample when MaxExamples applies
}

func (c ExtractConfig) withDefaults() ExtractConfig {
	if c.ThresholdSD == 0 {
		c.ThresholdSD = 3.5
	}
	if c.MatchMs == 0 {
		c.MatchMs = 0.4
	}
	if c.MatchUm == 0 {
		c.MatchUm = 50
	}
	return c
}

// RecordingSet is what Extract keeps of one recording: its candidates and enough truth to
// score detection (recall needs every truth spike, found or not).
type RecordingSet struct {
	Name      string
	Probe     string  // probe name
	RateHz    float64 // sample rate, Hz
	Examples  []Example
	NumTruth  int     // truth spikes in the recording
	Found     int     // truth spikes matched by at least one candidate
	DurationS float64 // recording length, s
	LagMs     float64 // median candidate-minus-truth time, ms (filter delay)
	NoiseUV   float64 // simulated noise level, uV
	Units     int
	unitBase  int
}

// Extract runs the live preprocessing, a low-threshold candidate search and snippet
// cutting over rec, and labels each candidate against rec's truth. unitBase offsets unit
// ids so that ids are unique across recordings. It allocates the examples.
func Extract(rec *sim.Recording, cfg ExtractConfig, unitBase int) (*RecordingSet, error) {
	cfg = cfg.withDefaults()
	f, err := pipeline.PreprocessRecording(pipeline.PreprocessConfig{}, rec.Probe,
		rec.SampleRateHz, rec.UVPerBit, rec.Samples)
	if err != nil {
		return nil, fmt.Errorf("extract: preprocess: %w", err)
	}
	cands, err := pipeline.FindCandidates(pipeline.DetectConfig{ThresholdSD: cfg.ThresholdSD}, f)
	if err != nil {
		return nil, fmt.Errorf("extract: candidates: %w", err)
	}
	cands = subsample(cands, cfg.MaxExamples, cfg.SampleSeed)
	rs := &RecordingSet{Probe: rec.Probe.Name, RateHz: rec.SampleRateHz,
		NoiseUV: rec.Config.NoiseUV,
		Units:   len(rec.Units), unitBase: unitBase,
		DurationS: float64(rec.NumSamples) / rec.SampleRateHz}
	lagS := estimateLag(rec, cands)
	rs.LagMs = 1000 * float64(lagS) / rec.SampleRateHz
	m := newMatcher(rec, cfg, lagS)
	if err := rs.cut(f, cands, m); err != nil {
		return nil, err
	}
	rs.NumTruth = len(rec.Truth)
	for _, f := range m.found {
		rs.Found += int(b2f(f))
	}
	return rs, nil
}

// subsample keeps at most n candidates chosen at random, in time order.
func subsample(c []pipeline.Candidate, n int, seed uint64) []pipeline.Candidate {
	if n <= 0 || len(c) <= n {
		return c
	}
	r := rand.New(rand.NewPCG(seed, 17))
	r.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
	c = c[:n]
	sort.Slice(c, func(i, j int) bool { return c[i].Sample < c[j].Sample })
	return c
}

// cut cuts and labels every candidate whose window fits in the recording.
func (rs *RecordingSet) cut(f *pipeline.Filtered, cands []pipeline.Candidate, m *matcher) error {
	cutter, err := pipeline.NewCutter(exampleSnippet, f.Probe, f.SampleRateHz)
	if err != nil {
		return fmt.Errorf("extract: cutter: %w", err)
	}
	var tmp pipeline.Snippet
	for _, c := range cands {
		if c.Sample < int64(cutter.Pre()) || c.Sample+int64(cutter.Post()) >= f.NumSamples() {
			continue
		}
		cutter.CutFrom(f, c, f.NoiseUV, &tmp)
		ex := Example{Snip: compact(&tmp), Unit: -1, TruthIdx: -1}
		ex.AmpSD = c.AmplitudeUV / max(tmp.NoiseUV[0], 0.5)
		if u, ti := m.match(c); u >= 0 {
			ex.Positive, ex.Unit, ex.TruthIdx = true, rs.unitBase+u, ti
		}
		rs.Examples = append(rs.Examples, ex)
	}
	if len(rs.Examples) == 0 {
		return fmt.Errorf("extract: %w: no candidates", ErrNoData)
	}
	return nil
}

// compact copies the first keepChannels channels of s into fresh slices.
func compact(s *pipeline.Snippet) pipeline.Snippet {
	n := min(len(s.Channels), keepChannels)
	out := *s
	out.Channels = append([]int(nil), s.Channels[:n]...)
	out.DxUm = append([]float32(nil), s.DxUm[:n]...)
	out.DyUm = append([]float32(nil), s.DyUm[:n]...)
	out.NoiseUV = append([]float32(nil), s.NoiseUV[:n]...)
	out.Data = append([]float32(nil), s.Data[:n*s.Len]...)
	return out
}

// estimateLag returns the median offset, in samples, between candidates on a unit's peak
// channel and the nearest truth spike of that unit within 1.5 ms: the preprocessing delay.
func estimateLag(rec *sim.Recording, cands []pipeline.Candidate) int64 {
	win := int64(1.5e-3 * rec.SampleRateHz)
	var lags []int64
	j := 0
	for _, c := range cands {
		for j < len(rec.Truth) && rec.Truth[j].Sample < c.Sample-win {
			j++
		}
		best := int64(math.MaxInt64)
		for k := j; k < len(rec.Truth) && rec.Truth[k].Sample <= c.Sample+win; k++ {
			t := rec.Truth[k]
			if rec.Units[t.Unit].PeakChannel == c.Channel && abs64(c.Sample-t.Sample) < abs64(best) {
				best = c.Sample - t.Sample
			}
		}
		if best != math.MaxInt64 {
			lags = append(lags, best)
		}
	}
	if len(lags) == 0 {
		return 0
	}
	sort.Slice(lags, func(a, b int) bool { return lags[a] < lags[b] })
	return lags[len(lags)/2]
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// matcher labels candidates against the truth, noting which truth spikes were found.
type matcher struct {
	rec      *sim.Recording
	tol, lag int64
	radiusUm float64
	found    []bool
	j        int
}

func newMatcher(rec *sim.Recording, cfg ExtractConfig, lag int64) *matcher {
	m := &matcher{rec: rec, lag: lag, tol: int64(math.Round(cfg.MatchMs * 1e-3 * rec.SampleRateHz)),
		radiusUm: cfg.MatchUm + math.Abs(rec.Config.DriftUm)}
	m.found = make([]bool, len(rec.Truth))
	return m
}

// match returns the unit and index of the nearest-in-time truth spike that fits c, or
// -1, -1. Candidates must come in time order.
func (m *matcher) match(c pipeline.Candidate) (unit, truthIdx int) {
	t0 := c.Sample - m.lag
	tr := m.rec.Truth
	for m.j < len(tr) && tr[m.j].Sample < t0-m.tol {
		m.j++
	}
	unit, truthIdx = -1, -1
	bestDt := int64(math.MaxInt64)
	for k := m.j; k < len(tr) && tr[k].Sample <= t0+m.tol; k++ {
		u := m.rec.Units[tr[k].Unit]
		if m.rec.Probe.DistanceUm(u.PeakChannel, c.Channel) > m.radiusUm {
			continue
		}
		if dt := abs64(tr[k].Sample - t0); dt < bestDt {
			bestDt, unit, truthIdx = dt, tr[k].Unit, k
		}
	}
	if truthIdx >= 0 {
		m.found[truthIdx] = true
	}
	return unit, truthIdx
}
