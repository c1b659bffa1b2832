package eval

import (
	"errors"
	"fmt"
	"math"

	"github.com/spikestream/spikestream/sorting"
)

// ErrRateMismatch is returned when the truth and the sorting have different sample rates.
var ErrRateMismatch = errors.New("sample rates differ")

// ErrBadOptions is returned, wrapped with detail, for negative or non-finite Options.
var ErrBadOptions = errors.New("bad comparison options")

// Defaults of Options, from SpikeInterface's compare_sorter_to_ground_truth.
const (
	DefaultDeltaMs      = 0.4 // match window, ms
	DefaultMatchScore   = 0.5 // minimum agreement for a unit pair
	DefaultWellDetected = 0.8 // accuracy of a well-detected unit
	DefaultMinSNR       = 5   // SNR floor of the high-SNR mean accuracy
)

// Options configures Compare. Zero values take the defaults above.
type Options struct {
	DeltaMs      float64 // spikes match when their times differ by at most this, ms
	MatchScore   float64 // unit pairs with lower agreement stay unmatched
	WellDetected float64 // accuracy at or above which a true unit is well detected
	MinSNR       float64 // the summary's high-SNR mean covers units with SNR >= MinSNR

	// SNR gives each true unit's SNR (peak template amplitude / noise) by unit id; units
	// missing from it, or a nil map, have unknown SNR (NaN) and are left out of the
	// high-SNR mean.
	SNR map[int64]float64

	// KeepUnitZero keeps sorted label 0 as a unit. By default (false) label 0 is
	// spikestream's "not yet assigned" and those spikes are dropped before matching; set it
	// for sorters whose unit 0 is a real unit (Kilosort, phy).
	KeepUnitZero bool
}

// check returns an error wrapping ErrBadOptions for negative or non-finite values.
func (o Options) check() error {
	for _, v := range []float64{o.DeltaMs, o.MatchScore, o.WellDetected, o.MinSNR} {
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: delta %v ms, match score %v, well detected %v, "+
				"min SNR %v", ErrBadOptions, o.DeltaMs, o.MatchScore, o.WellDetected, o.MinSNR)
		}
	}
	return nil
}

// withDefaults returns o with zero fields set to their defaults.
func (o Options) withDefaults() Options {
	if o.DeltaMs == 0 {
		o.DeltaMs = DefaultDeltaMs
	}
	if o.MatchScore == 0 {
		o.MatchScore = DefaultMatchScore
	}
	if o.WellDetected == 0 {
		o.WellDetected = DefaultWellDetected
	}
	if o.MinSNR == 0 {
		o.MinSNR = DefaultMinSNR
	}
	return o
}

// DeltaSamples converts a match window to samples the way SpikeInterface does: truncated,
// int(deltaMs / 1000 * rate). 0.4 ms is 12 samples at 30 kHz and 10 at 25 kHz.
func DeltaSamples(deltaMs, sampleRateHz float64) int64 {
	return int64(deltaMs/1000*sampleRateHz + 1e-9)
}

// UnitResult is the score of one true unit.
type UnitResult struct {
	TrueID   int64
	SNR      float64 // NaN when unknown
	NumTrue  int     // spikes of the true unit
	Matched  bool    // paired with a sorted unit at agreement >= MatchScore
	SortedID int64   // the paired sorted unit, meaningful only when Matched
	// NumSorted is the paired sorted unit's spike count (0 when unmatched).
	NumSorted int
	TP, FN    int // matched spikes; true spikes missed
	FP        int // spikes of the paired sorted unit not matched to this unit
	Accuracy  float64
	Recall    float64
	Precision float64
	// BestAgreement is the highest agreement with any sorted unit, paired or not.
	BestAgreement float64
}

// Summary aggregates a comparison. Means over no units are NaN.
type Summary struct {
	NumTrue, NumSorted  int
	NumMatched          int
	NumWellDetected     int
	WellDetectedFrac    float64 // NumWellDetected / NumTrue
	MeanAccuracy        float64 // over all true units, unmatched ones counting 0
	MeanRecall          float64
	MeanPrecision       float64
	NumHighSNR          int     // true units with SNR >= MinSNR
	MeanAccuracyHighSNR float64 // mean accuracy over those units
	NumFalsePosUnits    int     // sorted units paired with no true unit
	NumUnassigned       int     // sorted spikes under label 0, dropped (see KeepUnitZero)
}

// Result is the full comparison of a sorting to ground truth.
type Result struct {
	Options      Options // as applied, defaults filled in
	DeltaSamples int64
	TrueIDs      []int64
	SortedIDs    []int64 // after dropping label 0 unless KeepUnitZero
	// Matches and Agreement are len(TrueIDs) x len(SortedIDs), row-major: matched spike
	// counts and agreement = matches / (n_true + n_sorted - matches).
	Matches         []int32
	Agreement       []float64
	Units           []UnitResult // one per true unit, in TrueIDs order
	UnmatchedSorted []int64      // sorted unit ids paired with no true unit
	Summary         Summary
}

// AgreementAt returns the agreement between true unit index i and sorted unit index j.
func (r *Result) AgreementAt(i, j int) float64 { return r.Agreement[i*len(r.SortedIDs)+j] }

// Compare scores sorted against truth with SpikeInterface's ground-truth definitions:
// spikes match one to one within DeltaMs; units pair by the Hungarian method on agreement
// (scores below MatchScore are zeroed before pairing and such pairs are left unmatched);
// each true unit gets accuracy tp/(tp+fn+fp), recall tp/(tp+fn) and precision tp/(tp+fp),
// all 0 when unmatched. Both sortings must be valid and share their sample rate. Compare
// allocates two units x units matrices and does not modify its arguments.
func Compare(truth, sorted *sorting.Sorting, opt Options) (*Result, error) {
	if err := truth.Validate(); err != nil {
		return nil, fmt.Errorf("compare: truth: %w", err)
	}
	if err := sorted.Validate(); err != nil {
		return nil, fmt.Errorf("compare: sorted: %w", err)
	}
	if math.Abs(truth.SampleRateHz-sorted.SampleRateHz) > 1e-9*truth.SampleRateHz {
		return nil, fmt.Errorf("compare: %w: truth %v Hz, sorted %v Hz", ErrRateMismatch,
			truth.SampleRateHz, sorted.SampleRateHz)
	}
	if err := opt.check(); err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	opt = opt.withDefaults()
	unassigned := 0
	if !opt.KeepUnitZero {
		n := sorted.NumSpikes()
		sorted = sorted.WithoutUnit(0)
		unassigned = n - sorted.NumSpikes()
	}

	r := &Result{
		Options:      opt,
		DeltaSamples: DeltaSamples(opt.DeltaMs, truth.SampleRateHz),
		TrueIDs:      truth.UnitIDs,
		SortedIDs:    sorted.UnitIDs,
	}
	var err error
	r.Matches, err = matchCounts(truth, sorted, r.DeltaSamples)
	if err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	trueN, sortedN := truth.Counts(), sorted.Counts()
	r.Agreement = agreement(r.Matches, trueN, sortedN)
	if err := r.pairUnits(trueN, sortedN); err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	r.summarise()
	r.Summary.NumUnassigned = unassigned
	return r, nil
}

// agreement computes matches / (n_true + n_sorted - matches) for every pair (0 for 0/0).
func agreement(matches []int32, trueN, sortedN []int) []float64 {
	out := make([]float64, len(matches))
	nS := len(sortedN)
	for i, nt := range trueN {
		for j, ns := range sortedN {
			m := int(matches[i*nS+j])
			if den := nt + ns - m; den > 0 {
				out[i*nS+j] = float64(m) / float64(den)
			}
		}
	}
	return out
}

// pairUnits runs the Hungarian pairing and fills Units and UnmatchedSorted.
func (r *Result) pairUnits(trueN, sortedN []int) error {
	nT, nS := len(r.TrueIDs), len(r.SortedIDs)
	scores := make([]float64, len(r.Agreement))
	for i, a := range r.Agreement {
		if a >= r.Options.MatchScore {
			scores[i] = a
		}
	}
	pairs, err := MaxWeightAssignment(scores, nT, nS)
	if err != nil {
		return err
	}

	used := make([]bool, nS)
	r.Units = make([]UnitResult, nT)
	for i := range nT {
		u := r.unitResult(i, trueN[i])
		if j := pairs[i]; j >= 0 && scores[i*nS+j] > 0 {
			used[j] = true
			u.fillMatch(r.SortedIDs[j], int(r.Matches[i*nS+j]), sortedN[j])
		}
		r.Units[i] = u
	}
	for j, ok := range used {
		if !ok {
			r.UnmatchedSorted = append(r.UnmatchedSorted, r.SortedIDs[j])
		}
	}
	return nil
}

// unitResult returns the unmatched score of true unit i.
func (r *Result) unitResult(i, n int) UnitResult {
	snr, ok := r.Options.SNR[r.TrueIDs[i]]
	if !ok {
		snr = math.NaN()
	}
	best := 0.0
	for j := range r.SortedIDs {
		best = max(best, r.AgreementAt(i, j))
	}
	return UnitResult{TrueID: r.TrueIDs[i], SNR: snr, NumTrue: n, FN: n, BestAgreement: best}
}

// fillMatch sets the counts and scores of a unit paired with sorted unit id.
func (u *UnitResult) fillMatch(id int64, tp, nSorted int) {
	u.Matched = true
	u.SortedID = id
	u.NumSorted = nSorted
	u.TP, u.FN, u.FP = tp, u.NumTrue-tp, nSorted-tp
	u.Accuracy = ratio(tp, tp+u.FN+u.FP)
	u.Recall = ratio(tp, tp+u.FN)
	u.Precision = ratio(tp, tp+u.FP)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// summarise fills Summary from Units.
func (r *Result) summarise() {
	s := Summary{NumTrue: len(r.TrueIDs), NumSorted: len(r.SortedIDs),
		NumFalsePosUnits: len(r.UnmatchedSorted)}
	var acc, rec, prec, accHigh float64
	for _, u := range r.Units {
		if u.Matched {
			s.NumMatched++
		}
		if u.Accuracy >= r.Options.WellDetected {
			s.NumWellDetected++
		}
		acc += u.Accuracy
		rec += u.Recall
		prec += u.Precision
		if u.SNR >= r.Options.MinSNR {
			s.NumHighSNR++
			accHigh += u.Accuracy
		}
	}
	n := float64(s.NumTrue)
	s.WellDetectedFrac = float64(s.NumWellDetected) / n
	s.MeanAccuracy, s.MeanRecall, s.MeanPrecision = acc/n, rec/n, prec/n
	s.MeanAccuracyHighSNR = accHigh / float64(s.NumHighSNR)
	r.Summary = s
}
