package train

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/spikestream/spikestream/models"
)

// EvalNoiseUV are the held-out noise levels of the evaluation; training never uses them.
var EvalNoiseUV = []float64{6, 10, 15}

// EvalSeed is the base seed of evaluation recordings, far from any training seed.
const EvalSeed = 1_000_000

// liveSD and liveScore are the live pipeline's defaults with the learned detector:
// candidates at liveSD noise SD, kept when they score at least liveScore.
const (
	liveSD    = 4
	liveScore = 0.5
)

// baselineSD is the threshold of the amplitude baseline compared against: the live
// pipeline's default detection threshold, in noise SD.
const baselineSD = 5

// EvalConfig sets an evaluation on held-out simulations.
type EvalConfig struct {
	Generate   GenerateFunc
	Seed       int64   // base seed [EvalSeed]
	PerNoise   int     // recordings per noise level, cycling through probes [3]
	DurationS  float64 // seconds per recording [20]
	Detector   *models.Detector
	Embedder   *models.Embedder
	PCA        *models.PCA
	Progress   io.Writer
	FigurePath string // PR figure (PNG); empty for none
}

// DetectRow is one noise level's detection figures. Recall counts truth spikes (every
// spike of every simulated unit, however small); precision counts candidates kept.
type DetectRow struct {
	NoiseUV                          float64
	Truth                            int
	BaseRecall, BasePrec, BaseFPPerS float64  // amplitude threshold at baselineSD
	DetRecall, DetPrec, DetFPPerS    float64  // detector at the same false-positive rate
	OwnRecall, OwnPrec, OwnFPPerS    float64  // detector at its own threshold
	LiveRecall, LivePrec, LiveFPPerS float64  // candidates >= liveSD kept at score >= 0.5
	curves                           [2]curve // detector, threshold: over all candidates
}

// EmbedRow is one noise level's embedding figures (means over recordings).
type EmbedRow struct {
	NoiseUV                  float64
	Spikes                   int
	EmbPurity, EmbClusterAcc float64
	PCAPurity, PCAClusterAcc float64
	// Median spike-to-own-centroid and centroid-to-nearest-other-centroid distances.
	EmbWithin, EmbBetween float64
	PCAWithin, PCABetween float64
}

// EvalResult is the outcome of Evaluate.
type EvalResult struct {
	Detect []DetectRow
	Embed  []EmbedRow
	Groups []GroupRow // per probe, then per sample rate
}

// GroupRow gathers the recordings of one probe or one sample rate over all noise levels.
type GroupRow struct {
	Group  string // e.g. "tetrode" or "30 kHz"
	Detect DetectRow
	Embed  EmbedRow
}

// Evaluate simulates held-out recordings at each EvalNoiseUV level and scores the detector
// against amplitude thresholding and the embedder against PCA.
func Evaluate(ctx context.Context, cfg EvalConfig) (*EvalResult, error) {
	if cfg.Seed == 0 {
		cfg.Seed = EvalSeed
	}
	if cfg.PerNoise == 0 {
		cfg.PerNoise = 3
	}
	c := Config{Generate: cfg.Generate, DurationS: cfg.DurationS, MaxExamples: 1 << 30,
		Progress: cfg.Progress}
	c.withDefaults()
	res := &EvalResult{}
	var all []*RecordingSet
	for i, noise := range EvalNoiseUV {
		sets, err := Collect(ctx, c, cfg.PerNoise, cfg.Seed+int64(100*i), []float64{noise},
			0)
		if err != nil {
			return nil, fmt.Errorf("evaluate at %g uV: %w", noise, err)
		}
		res.Detect = append(res.Detect, evalDetect(cfg.Detector, sets, noise))
		res.Embed = append(res.Embed, evalEmbed(cfg, sets, noise))
		all = append(all, sets...)
	}
	res.Groups = groupRows(cfg, all)
	if cfg.FigurePath != "" {
		if err := plotPR(res.Detect, cfg.FigurePath); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// groupRows scores the recordings of each probe and of each sample rate together.
func groupRows(cfg EvalConfig, all []*RecordingSet) []GroupRow {
	var keys []string
	groups := map[string][]*RecordingSet{}
	for _, name := range ProbeNames {
		keys = append(keys, name)
	}
	for _, r := range TrainRatesHz {
		keys = append(keys, fmt.Sprintf("%.0f kHz", r/1000))
	}
	for _, rs := range all {
		groups[rs.Probe] = append(groups[rs.Probe], rs)
		k := fmt.Sprintf("%.0f kHz", rs.RateHz/1000)
		groups[k] = append(groups[k], rs)
	}
	var rows []GroupRow
	for _, k := range keys {
		if sets := groups[k]; len(sets) > 0 {
			rows = append(rows, GroupRow{Group: k, Detect: evalDetect(cfg.Detector, sets, 0),
				Embed: evalEmbed(cfg, sets, 0)})
		}
	}
	return rows
}

// curve is a precision-recall curve swept over score thresholds, highest first.
type curve struct {
	score, recall, prec, fpPerS []float64
}

// sweep orders candidates by score and accumulates recall, precision and false positives
// per second at each distinct score.
func sweep(sets []*RecordingSet, score func(ex *Example) float64) curve {
	type item struct {
		s        float64
		set, idx int
	}
	var items []item
	truth, dur := 0, 0.0
	for si, rs := range sets {
		truth += rs.NumTruth
		dur += rs.DurationS
		for j := range rs.Examples {
			items = append(items, item{score(&rs.Examples[j]), si, j})
		}
	}
	sort.Slice(items, func(a, b int) bool { return items[a].s > items[b].s })
	covered := make([]map[int]bool, len(sets))
	for i := range covered {
		covered[i] = map[int]bool{}
	}
	var c curve
	found, tp, fp := 0, 0, 0
	for k, it := range items {
		ex := &sets[it.set].Examples[it.idx]
		if ex.Positive {
			tp++
			if !covered[it.set][ex.TruthIdx] {
				covered[it.set][ex.TruthIdx] = true
				found++
			}
		} else {
			fp++
		}
		if k+1 < len(items) && items[k+1].s == it.s {
			continue
		}
		c.score = append(c.score, it.s)
		c.recall = append(c.recall, float64(found)/float64(max(truth, 1)))
		c.prec = append(c.prec, float64(tp)/float64(tp+fp))
		c.fpPerS = append(c.fpPerS, float64(fp)/dur)
	}
	return c
}

// at returns the curve point of the lowest threshold that is still >= th.
func (c curve) at(th float64) (recall, prec, fpPerS float64) {
	k := sort.Search(len(c.score), func(i int) bool { return c.score[i] < th }) - 1
	if k < 0 {
		return 0, 1, 0
	}
	return c.recall[k], c.prec[k], c.fpPerS[k]
}

// atFP returns the curve point with the most recall whose false-positive rate is at most
// fpPerS.
func (c curve) atFP(fpPerS float64) (recall, prec, fp float64) {
	recall, prec = 0, 1
	for k := range c.score {
		if c.fpPerS[k] <= fpPerS {
			recall, prec, fp = c.recall[k], c.prec[k], c.fpPerS[k]
		}
	}
	return recall, prec, fp
}

// evalDetect scores every candidate with the detector and with its amplitude.
func evalDetect(d *models.Detector, sets []*RecordingSet, noise float64) DetectRow {
	det := sweep(sets, func(ex *Example) float64 { return float64(d.Score(&ex.Snip)) })
	base := sweep(sets, func(ex *Example) float64 { return float64(ex.AmpSD) })
	row := DetectRow{NoiseUV: noise, curves: [2]curve{det, base}}
	for _, rs := range sets {
		row.Truth += rs.NumTruth
	}
	row.BaseRecall, row.BasePrec, row.BaseFPPerS = base.at(baselineSD)
	row.DetRecall, row.DetPrec, row.DetFPPerS = det.atFP(row.BaseFPPerS)
	row.OwnRecall, row.OwnPrec, row.OwnFPPerS = det.at(float64(d.Threshold()))
	live := sweep(sets, func(ex *Example) float64 {
		if ex.AmpSD < liveSD {
			return -1
		}
		return float64(d.Score(&ex.Snip))
	})
	row.LiveRecall, row.LivePrec, row.LiveFPPerS = live.at(liveScore)
	return row
}

// evalEmbed compares the embedder with PCA on the positive candidates of each recording.
func evalEmbed(cfg EvalConfig, sets []*RecordingSet, noise float64) EmbedRow {
	ps := pointers(sets)
	emb := embedWith(func(ex *Example, dst []float32) { cfg.Embedder.Embed(&ex.Snip, dst) },
		cfg.Embedder.Dim(), ps)
	pca := embedWith(pcaEmbed(cfg.PCA), cfg.PCA.Dim(), ps)
	row := EmbedRow{NoiseUV: noise}
	for i := range emb {
		row.Spikes += len(emb[i].x)
		row.EmbPurity += nnPurity(emb[i]) / float64(len(emb))
		row.EmbClusterAcc += clusterAccuracy(emb[i], uint64(i)) / float64(len(emb))
		w, b := spread(emb[i])
		row.EmbWithin += w / float64(len(emb))
		row.EmbBetween += b / float64(len(emb))
	}
	for i := range pca {
		row.PCAPurity += nnPurity(pca[i]) / float64(len(pca))
		row.PCAClusterAcc += clusterAccuracy(pca[i], uint64(i)) / float64(len(pca))
		w, b := spread(pca[i])
		row.PCAWithin += w / float64(len(pca))
		row.PCABetween += b / float64(len(pca))
	}
	return row
}

// WriteMarkdown writes the result as two markdown tables.
func (r *EvalResult) WriteMarkdown(w io.Writer) {
	fmt.Fprintf(w, "Recall / precision / false positives per second.\n\n"+
		"| noise uV | truth spikes | threshold %d SD | detector at equal FP/s |"+
		" detector, %d SD candidates, score >= %.1f | detector at its own cut |\n"+
		"|---|---|---|---|---|---|\n", baselineSD, liveSD, liveScore)
	for _, d := range r.Detect {
		fmt.Fprintf(w, "| %.0f | %d | %.3f / %.3f / %.2f | %.3f / %.3f / %.2f |"+
			" %.3f / %.3f / %.2f | %.3f / %.3f / %.2f |\n", d.NoiseUV, d.Truth,
			d.BaseRecall, d.BasePrec, d.BaseFPPerS, d.DetRecall, d.DetPrec, d.DetFPPerS,
			d.LiveRecall, d.LivePrec, d.LiveFPPerS, d.OwnRecall, d.OwnPrec, d.OwnFPPerS)
	}
	fmt.Fprintf(w, "\n| noise uV | spikes | embedder NN purity | PCA NN purity |"+
		" embedder k-means acc | PCA k-means acc | embedder within / between |"+
		" PCA within / between |\n|---|---|---|---|---|---|---|---|\n")
	for _, e := range r.Embed {
		fmt.Fprintf(w, "| %.0f | %d | %.3f | %.3f | %.3f | %.3f | %.3f / %.3f |"+
			" %.2f / %.2f |\n", e.NoiseUV, e.Spikes, e.EmbPurity, e.PCAPurity,
			e.EmbClusterAcc, e.PCAClusterAcc, e.EmbWithin, e.EmbBetween, e.PCAWithin,
			e.PCABetween)
	}
	fmt.Fprintf(w, "\nPer probe and per sample rate, all noise levels together.\n\n"+
		"| recordings | truth spikes |"+
		" threshold %d SD | detector at equal FP/s | embedder NN purity | PCA NN purity |\n"+
		"|---|---|---|---|---|---|\n", baselineSD)
	for _, g := range r.Groups {
		d, e := g.Detect, g.Embed
		fmt.Fprintf(w, "| %s | %d | %.3f / %.3f / %.2f | %.3f / %.3f / %.2f | %.3f | %.3f |\n",
			g.Group, d.Truth, d.BaseRecall, d.BasePrec, d.BaseFPPerS, d.DetRecall, d.DetPrec,
			d.DetFPPerS, e.EmbPurity, e.PCAPurity)
	}
}
