package assign

import "slices"

// Two neurons on one channel with one waveform shape differ only in amplitude: the
// embedder sees the shape, and their centre-of-mass positions coincide. Amplitude alone
// is also what bursts change: a neuron's second and later spikes in a burst are smaller,
// so its amplitudes can show two modes too. The two cases differ in time. A burst's small
// spikes each follow one of the neuron's spikes by a few ms; another neuron's small spikes
// follow the unit's spikes no more often than its large ones do.

// Burst test constants: a spike "follows" when another member fired between
// violationMinS and burstWindowS before it; the small mode is a burst tail when its share
// of followers exceeds the large mode's by more than burstExcess.
const (
	burstWindowS = 10e-3
	burstExcess  = 0.3
)

// TODO: the amplitude is the trough depth on the peak channel, one sample of a signal with
// 10 uV RMS noise: at 40-70 uV its log has an SD of roughly 0.15-0.25 (from the noise
// alone), so neurons less than about 1.5x apart in amplitude overlap and stay one unit. A
// template-fitted amplitude (each spike's least-squares scale against its unit's mean
// waveform) would separate far closer pairs; the assigner does not keep waveforms yet.

// ampModes bisects pts on log amplitude and reports whether the halves are two neurons: a
// split at base d', at least minSide points on each side, and a smaller mode that is not
// a burst tail of the larger. The labels (0 or 1 per point) are valid until the
// separator's next call.
func (s *separator) ampModes(pts []point, base float64, minSide int) ([]uint8, bool) {
	labels, excess := s.ampSplit(pts, base)
	if excess <= 0 {
		return labels, false
	}
	var n [2]int
	var amp [2]float64
	for i, l := range labels {
		n[l]++
		amp[l] += float64(pts[i].logAmp)
	}
	if min(n[0], n[1]) < minSide {
		return labels, false
	}
	small := uint8(0)
	if amp[1]/float64(n[1]) < amp[0]/float64(n[0]) {
		small = 1
	}
	return labels, !s.burstTail(pts, labels, small)
}

// burstTail reports whether the points labelled small follow another point of pts within
// burstWindowS markedly more often than the other points do.
func (s *separator) burstTail(pts []point, labels []uint8, small uint8) bool {
	s.times = s.times[:0]
	for i := range pts {
		s.times = append(s.times, pts[i].timeS)
	}
	times := s.times
	slices.Sort(times)
	var follows, n [2]float64
	for i := range pts {
		side := 0
		if labels[i] == small {
			side = 1
		}
		n[side]++
		if followsAny(times, pts[i].timeS) {
			follows[side]++
		}
	}
	return follows[1]/n[1]-follows[0]/n[0] > burstExcess
}

// followsAny reports whether sorted times hold a time between violationMinS and
// burstWindowS before tS.
func followsAny(times []float64, tS float64) bool {
	i, _ := slices.BinarySearch(times, tS-burstWindowS)
	return i < len(times) && times[i] <= tS-violationMinS
}
