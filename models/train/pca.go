package train

import (
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"

	"github.com/spikestream/spikestream/models"
)

// PCASpec is the PCA baseline's input: the embedder's grid and channels, scaled by each
// channel's noise (the classic noise-whitened waveform), without geometry.
var PCASpec = models.InputSpec{Channels: 8, T0Ms: -0.6, DtMs: 0.1, Steps: 17,
	Scale: models.ScaleNoise, ValueScale: 1, OffsetUm: 50}

// PCADim is the number of principal components kept: equal to EmbedDim for a fair
// comparison.
const PCADim = EmbedDim

// FitPCA fits the PCA basis of input spec (PCASpec, or another grid) on up to maxN
// positive examples drawn with seed. It returns the mean (WaveSize) and the components
// (PCADim x WaveSize, row-major) and the fraction of variance they explain.
func FitPCA(ex []*Example, spec models.InputSpec, maxN int, seed uint64) (mean,
	comps []float32, explained float64, err error) {
	var pos []*Example
	for _, e := range ex {
		if e.Positive {
			pos = append(pos, e)
		}
	}
	n, w := min(maxN, len(pos)), spec.WaveSize()
	if n < 4*PCADim {
		return nil, nil, 0, fmt.Errorf("fit pca: %w: %d spikes for %d components", ErrNoData,
			n, PCADim)
	}
	r := rand.New(rand.NewPCG(seed, 6))
	x := mat.NewDense(n, w, nil)
	in := make([]float32, spec.Size())
	for i, k := range r.Perm(len(pos))[:n] {
		spec.Fill(&pos[k].Snip, 0, in)
		for j := 0; j < w; j++ {
			x.Set(i, j, float64(in[j]))
		}
	}
	return pcaBasis(x, w)
}

// pcaBasis computes the leading components of the rows of x.
func pcaBasis(x *mat.Dense, w int) ([]float32, []float32, float64, error) {
	var pc stat.PC
	if !pc.PrincipalComponents(x, nil) {
		return nil, nil, 0, fmt.Errorf("fit pca: decomposition failed")
	}
	var vecs mat.Dense
	pc.VectorsTo(&vecs)
	vars := pc.VarsTo(nil)
	total, kept := 0.0, 0.0
	for i, v := range vars {
		total += v
		if i < PCADim {
			kept += v
		}
	}
	mean := make([]float32, w)
	for j := 0; j < w; j++ {
		mean[j] = float32(stat.Mean(mat.Col(nil, j, x), nil))
	}
	comps := make([]float32, PCADim*w)
	for k := 0; k < PCADim; k++ {
		for j := 0; j < w; j++ {
			comps[k*w+j] = float32(vecs.At(j, k))
		}
	}
	return mean, comps, kept / total, nil
}
