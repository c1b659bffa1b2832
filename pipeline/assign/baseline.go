package assign

import (
	"math"

	"github.com/spikestream/spikestream/pipeline"
	"github.com/spikestream/spikestream/stream"
)

// BaselineConfig sets the nearest-centroid baseline. Zero values take the defaults in
// brackets.
type BaselineConfig struct {
	// RadiusEmb is the Euclidean distance in embedding space beyond which a spike founds a
	// new unit instead of joining the nearest centroid [3 sqrt(Dim), for embeddings in noise
	// units]. It must suit the embedder's scale.
	RadiusEmb float64
	// MaxUnits caps the units; once reached, every spike joins its nearest centroid [4096].
	MaxUnits int
	// RadiusUm, when positive, makes only the units whose mean position lies within this
	// distance of a spike's estimated position candidates for it, as classical sorters work
	// per channel group; a spike with no candidate founds a unit [0: every unit competes].
	RadiusUm float64
}

// radiusPerSqrtDim sets the default RadiusEmb: this many times the square root of the
// embedding dimension (for the PCA baseline embedder, whose scores are in noise units).
const radiusPerSqrtDim = 3

// NearestCentroid is the baseline assigner: the leader algorithm. Each spike joins the unit
// with the nearest centroid in embedding space when that is within RadiusEmb (the centroid
// becomes the running mean of its members), and otherwise founds a new unit at once. It
// labels every spike immediately, has no pool, never merges, splits or retires, and ignores
// amplitude; position only restricts the candidates when RadiusUm is set. It is what the
// Online assigner should beat.
//
// Assign must be called from one goroutine; the sink is called from it for each new unit.
// Assign allocates only when it founds a unit; its cost grows linearly with the units.
type NearestCentroid struct {
	cfg    BaselineConfig
	sink   pipeline.UnitSink
	dim    int
	means  []float32 // units x dim
	pos    []float32 // units x 2: running mean position, um
	counts []uint64
}

// NewNearestCentroid returns the baseline assigner; sink (nil to discard) receives a
// UnitCreated for each new unit. Non-positive config values take their defaults.
func NewNearestCentroid(cfg BaselineConfig, sink pipeline.UnitSink) *NearestCentroid {
	if !(cfg.RadiusEmb > 0) || math.IsInf(cfg.RadiusEmb, 0) {
		cfg.RadiusEmb = 0 // set from the dimension by the first spike
	}
	if cfg.MaxUnits <= 0 {
		cfg.MaxUnits = 4096
	}
	if !(cfg.RadiusUm > 0) || math.IsInf(cfg.RadiusUm, 0) {
		cfg.RadiusUm = 0
	}
	return &NearestCentroid{cfg: cfg, sink: sink}
}

// Assign labels sp with the nearest unit or a new one. A spike whose embedding length
// differs from the first spike's is labelled 0.
func (nc *NearestCentroid) Assign(sp *pipeline.Spike) {
	sp.Unit = 0
	if nc.dim == 0 {
		nc.dim = len(sp.Embedding)
		if nc.cfg.RadiusEmb == 0 {
			nc.cfg.RadiusEmb = radiusPerSqrtDim * math.Sqrt(float64(nc.dim))
		}
	}
	if len(sp.Embedding) != nc.dim || nc.dim == 0 {
		return
	}
	best, bestD2 := nc.nearest(sp, nc.cfg.RadiusUm)
	if best < 0 && len(nc.counts) >= nc.cfg.MaxUnits {
		best, bestD2 = nc.nearest(sp, 0)
	}
	r2 := nc.cfg.RadiusEmb * nc.cfg.RadiusEmb
	if best < 0 || (bestD2 > r2 && len(nc.counts) < nc.cfg.MaxUnits) {
		best = nc.found(sp)
	}
	nc.counts[best]++
	w := float32(1 / float64(nc.counts[best]))
	m := nc.means[best*nc.dim : (best+1)*nc.dim]
	for k, v := range sp.Embedding {
		m[k] += w * (v - m[k])
	}
	p := nc.pos[2*best : 2*best+2]
	p[0] += w * (sp.XUm - p[0])
	p[1] += w * (sp.YUm - p[1])
	sp.Unit = uint32(best + 1)
}

// nearest returns the index of the centroid nearest to sp's embedding among the units within
// radiusUm of sp's position (all units when radiusUm is 0) and its squared distance; -1 if
// none.
func (nc *NearestCentroid) nearest(sp *pipeline.Spike, radiusUm float64) (int, float64) {
	e := sp.Embedding
	best, bestD2 := -1, math.Inf(1)
	r2 := float32(radiusUm * radiusUm)
	for u := range nc.counts {
		if dx, dy := nc.pos[2*u]-sp.XUm, nc.pos[2*u+1]-sp.YUm; r2 > 0 && dx*dx+dy*dy > r2 {
			continue
		}
		m := nc.means[u*nc.dim : (u+1)*nc.dim]
		var d2 float32
		for k, v := range e {
			d := v - m[k]
			d2 += d * d
		}
		if float64(d2) < bestD2 {
			best, bestD2 = u, float64(d2)
		}
	}
	return best, bestD2
}

// found adds a unit centred on sp, reports it and returns its index.
func (nc *NearestCentroid) found(sp *pipeline.Spike) int {
	nc.means = append(nc.means, sp.Embedding...)
	nc.pos = append(nc.pos, sp.XUm, sp.YUm)
	nc.counts = append(nc.counts, 0)
	u := len(nc.counts) - 1
	if nc.sink != nil {
		nc.sink(stream.UnitEvent{
			Kind: stream.UnitCreated, UnitID: uint32(u + 1), SampleIndex: sp.Sample,
			PeakChannel: uint16(max(sp.PeakChannel, 0)), AmplitudeUV: sp.AmplitudeUV,
			XUm: sp.XUm, YUm: sp.YUm, NumSpikes: 1,
		})
	}
	return u
}

// Units returns the number of units founded so far.
func (nc *NearestCentroid) Units() int { return len(nc.counts) }
