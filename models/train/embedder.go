package train

import (
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/spikestream/spikestream/models"
)

// EmbedderSpec is the embedder's input: 8 channels, 0.1 ms steps from -0.6 to +1.0 ms,
// scaled by the trough depth, with log depth as an extra input. (0.05 ms steps cost twice
// as much for no better held-out purity: 0.846 against 0.855.) Config.GridEndMs moves the
// grid's end (WithGridEnd).
var EmbedderSpec = models.InputSpec{Channels: 8, T0Ms: -0.6, DtMs: 0.1, Steps: 17,
	Scale: models.ScalePeak, ValueScale: 1, OffsetUm: 50}

// EmbedDim is the embedding length.
const EmbedDim = 16

// EmbedderFit is the default embedder training setting: Batch is the number of distinct
// units per step (two views each).
var EmbedderFit = FitConfig{Hidden: []int{48, 32}, Steps: 5000, Batch: 48, LearnRate: 2e-3,
	Seed: 2, Epochs: 6, Augment: Augment{JitterSamples: 0.5, AmpLo: 0.8, AmpHi: 1.25,
		NoiseFrac: 0.5, OverlapP: 0.2, OverlapMs: 0.8, DropP: 0.15}}

// minEmbedUnits is the fewest units the contrastive loss can learn anything from.
const minEmbedUnits = 4

// defaultTemperature scales cosine similarities in the contrastive loss when
// FitConfig.Temperature is 0.
const defaultTemperature = 0.1

// unitPool groups positive examples by unit and units by recording.
type unitPool struct {
	byUnit   map[int][]*Example
	recUnits [][]int // units with at least two examples, per recording
	all      []int
}

func newUnitPool(sets [][]*Example) *unitPool {
	p := &unitPool{byUnit: map[int][]*Example{}}
	for _, set := range sets {
		for _, ex := range set {
			if ex.Positive {
				p.byUnit[ex.Unit] = append(p.byUnit[ex.Unit], ex)
			}
		}
	}
	for _, set := range sets {
		seen, units := map[int]bool{}, []int(nil)
		for _, ex := range set {
			if ex.Positive && !seen[ex.Unit] && len(p.byUnit[ex.Unit]) >= 2 {
				seen[ex.Unit] = true
				units = append(units, ex.Unit)
			}
		}
		if len(units) > 0 {
			p.recUnits = append(p.recUnits, units)
			p.all = append(p.all, units...)
		}
	}
	return p
}

// draw picks n distinct units: those of one random recording first (hard negatives share
// a probe and neighbourhood statistics), then random others.
func (p *unitPool) draw(r *rand.Rand, n int, dst []int) []int {
	dst = dst[:0]
	seen := map[int]bool{}
	for len(dst) < n {
		rec := p.recUnits[r.IntN(len(p.recUnits))]
		for _, k := range r.Perm(len(rec)) {
			if u := rec[k]; !seen[u] && len(dst) < n {
				seen[u] = true
				dst = append(dst, u)
			}
		}
		if len(seen) >= len(p.all) {
			break
		}
	}
	return dst
}

// EmbedderResult is a trained embedder and its validation figures.
type EmbedderResult struct {
	Net     *models.MLP
	Metrics map[string]float64 // val_nn_purity, loss
}

// TrainEmbedder fits the embedder with a symmetric contrastive (InfoNCE) loss: two
// augmented views of each of Batch units (fewer when the data hold fewer units), every
// other unit in the batch a negative. sets
// hold each training recording's examples; val is scored by nearest-neighbour purity.
func TrainEmbedder(cfg FitConfig, sets [][]*Example, val [][]*Example,
	progress io.Writer) (*EmbedderResult, error) {
	pool := newUnitPool(sets)
	if len(pool.all) < minEmbedUnits {
		return nil, fmt.Errorf("train embedder: %w: %d units with two spikes or more",
			ErrNoData, len(pool.all))
	}
	if len(pool.all) < cfg.Batch {
		fmt.Fprintf(progress, "embedder: only %d units; batch cut from %d\n", len(pool.all),
			cfg.Batch)
		cfg.Batch = len(pool.all)
	}
	if cfg.Input.Steps == 0 {
		cfg.Input = EmbedderSpec
	}
	spec := cfg.Input
	var flat []*Example
	for _, u := range pool.all {
		flat = append(flat, pool.byUnit[u]...)
	}
	mean, invStd := inputStats(spec, flat, 4000, cfg.Seed)
	g := G.NewGraph()
	net := newGNet(g, append(append([]int{spec.Size()}, cfg.Hidden...), EmbedDim), cfg.Seed)
	a := G.NewMatrix(g, tensor.Float32, G.WithShape(cfg.Batch, spec.Size()), G.WithName("a"))
	b := G.NewMatrix(g, tensor.Float32, G.WithShape(cfg.Batch, spec.Size()), G.WithName("b"))
	temp := cfg.Temperature
	if temp == 0 {
		temp = defaultTemperature
	}
	loss, err := infoNCE(net, a, b, cfg.Batch, temp)
	if err != nil {
		return nil, fmt.Errorf("train embedder: build graph: %w", err)
	}
	tr, err := newTrainer(g, net, loss, cfg)
	if err != nil {
		return nil, fmt.Errorf("train embedder: %w", err)
	}
	defer tr.close()
	return runEmbedderFit(cfg, tr, pool, flat, val, a, b, mean, invStd, progress)
}

// runEmbedderFit is the optimisation loop of TrainEmbedder.
func runEmbedderFit(cfg FitConfig, tr *trainer, pool *unitPool, flat []*Example,
	val [][]*Example, a, b *G.Node, mean, invStd []float32,
	progress io.Writer) (*EmbedderResult, error) {
	spec, n := cfg.Input, cfg.Input.Size()
	aug := newAugmenter(cfg.Augment, cfg.Seed+1, flat)
	r := rand.New(rand.NewPCG(cfg.Seed, 4))
	xa, xb := make([]float32, cfg.Batch*n), make([]float32, cfg.Batch*n)
	units := make([]int, 0, cfg.Batch)
	res := &EmbedderResult{}
	start := time.Now()
	for step := 1; step <= cfg.Steps; step++ {
		units = pool.draw(r, cfg.Batch, units)
		for i, u := range units {
			exs := pool.byUnit[u]
			j := r.IntN(len(exs))
			k := (j + 1 + r.IntN(len(exs)-1)) % len(exs)
			aug.fill(spec, exs[j], xa[i*n:(i+1)*n])
			aug.fill(spec, exs[k], xb[i*n:(i+1)*n])
			standardise(xa[i*n:(i+1)*n], mean, invStd)
			standardise(xb[i*n:(i+1)*n], mean, invStd)
		}
		l, err := tr.step(map[*G.Node][]float32{a: xa, b: xb})
		if err != nil {
			return nil, fmt.Errorf("train embedder: step %d: %w", step, err)
		}
		if step%max(1, cfg.Steps/cfg.Epochs) == 0 || step == cfg.Steps {
			res.Net = tr.net.export(mean, invStd)
			res.Metrics = map[string]float64{"loss": l,
				"val_nn_purity": meanPurity(embedSets(res.Net, spec, val))}
			fmt.Fprintf(progress, "embedder step %5d/%d loss %.4f val nn-purity %.4f (%.0fs)\n",
				step, cfg.Steps, l, res.Metrics["val_nn_purity"], time.Since(start).Seconds())
		}
	}
	return res, nil
}

// infoNCE adds the symmetric InfoNCE loss of L2-normalised net(a) against net(b) with
// cosine similarities divided by temperature: row i of a and row i of b are views of the
// same unit, every other pairing is a negative.
func infoNCE(net *gnet, a, b *G.Node, batch int, temperature float64) (*G.Node, error) {
	ea, err := net.apply(a)
	if err != nil {
		return nil, err
	}
	eb, err := net.apply(b)
	if err != nil {
		return nil, err
	}
	if ea, err = l2Rows(ea, batch); err != nil {
		return nil, err
	}
	if eb, err = l2Rows(eb, batch); err != nil {
		return nil, err
	}
	sim := G.Must(G.Mul(ea, G.Must(G.Transpose(eb))))
	sim = G.Must(G.Mul(sim, G.NewConstant(float32(1/temperature))))
	eye := make([]float32, batch*batch)
	for i := 0; i < batch; i++ {
		eye[i*batch+i] = 1
	}
	id := G.NewConstant(tensor.New(tensor.WithShape(batch, batch), tensor.WithBacking(eye)))
	l1 := G.Must(G.Sum(G.Must(G.HadamardProd(G.Must(G.LogSoftMax(sim)), id))))
	l2 := G.Must(G.Sum(G.Must(G.HadamardProd(G.Must(G.LogSoftMax(G.Must(G.Transpose(sim)))), id))))
	total := G.Must(G.Add(l1, l2))
	return G.Mul(total, G.NewConstant(float32(-0.5/float64(batch))))
}
