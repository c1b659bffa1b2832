package pipeline

// ThresholdScorer is the classical detector's scorer: every candidate that crossed the
// amplitude threshold counts as a spike. It is the baseline the learned detector is compared
// against.
type ThresholdScorer struct{}

// Score returns 1 for every candidate.
func (ThresholdScorer) Score(*Snippet) float32 { return 1 }
