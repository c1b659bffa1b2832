package assign

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/spikestream/spikestream/pipeline"
	"github.com/spikestream/spikestream/probe"
)

// Online is the online unit assigner; see the package documentation. It implements
// pipeline.Assigner and pipeline.Runner.
//
// Lock order: passMu before mu. Assign takes only mu, for the few microseconds of one
// match. A pass holds passMu throughout and mu only while it snapshots and applies; the
// clustering itself and the sink calls run without mu.
type Online struct {
	cfg    Config
	probe  *probe.Probe
	sink   pipeline.UnitSink
	lim    limits
	kick   chan struct{} // capacity 1: Assign's "a pass is due" signal to Run
	active atomic.Bool   // a Run is in progress

	passMu sync.Mutex // serialises passes; guards ps
	ps     passState

	mu          sync.Mutex // guards everything below
	dim         int
	units       []*unit // live units
	index       unitIndex
	pool        pool
	nextID      uint32
	seq         uint64
	nowS        float64
	nowSample   int64
	nextPassS   float64
	splitCursor uint32 // id after which the next round of split checks starts
	st          Stats
}

// Stats are cumulative counters and current sizes, for monitoring.
type Stats struct {
	UnitsLive    int    // live units now
	UnitsCreated uint64 // units founded from the pool
	UnitsMerged  uint64 // units absorbed into an older unit
	UnitsSplit   uint64 // units split off an existing unit
	UnitsRetired uint64 // units retired after silence
	PoolSize     int    // unmatched spikes held now
	PoolDrops    uint64 // pool spikes overwritten because the pool was full
	PoolExpired  uint64 // pool spikes discarded for age
	Assigned     uint64 // spikes labelled at once with a live unit
	Unassigned   uint64 // spikes labelled 0 and put in the pool
	Backfilled   uint64 // pool spikes later given to a new unit through Backfill
	Rejected     uint64 // spikes with a bad embedding or position, labelled 0, not pooled
	Passes       uint64 // background passes run
	// PassLockHolds counts the pieces in which passes held the state mutex, and
	// PassLockHoldsOver1ms those that held it over 1 ms (each could have delayed Assign
	// that long). PassMaxLockUs is the longest hold, wall-clock us; LastPassMs is the
	// wall-clock duration of the latest pass, ms.
	PassLockHolds        uint64
	PassLockHoldsOver1ms uint64
	PassMaxLockUs        float64
	LastPassMs           float64
}

// New returns an online assigner for probe p that reports unit lifecycle events to sink
// (nil discards them). Call Run in a goroutine unless cfg.Synchronous is set. New allocates
// the pool; units allocate their member rings when created.
func New(cfg Config, p *probe.Probe, sink pipeline.UnitSink) (*Online, error) {
	if p == nil || p.NumChannels() == 0 {
		return nil, ErrNoProbe
	}
	if cfg.PoolSize == 0 {
		cfg.PoolSize = max(8192, 64*p.NumChannels())
	}
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("new assigner: %w", err)
	}
	minX, maxX, minY, maxY := p.Extent()
	o := &Online{
		cfg: cfg, probe: p, sink: sink,
		lim:  limits{gateSD: float32(cfg.GateSD), maxVarPos: float32(cfg.MaxPosSDUm * cfg.MaxPosSDUm)},
		kick: make(chan struct{}, 1), dim: cfg.Dim, nextID: 1,
		pool:      newPool(cfg.PoolSize),
		nextPassS: cfg.ClusterEveryS,
	}
	o.index.g = newGrid(minX, maxX, minY, maxY, cfg.NeighbourRadiusUm)
	o.index.rebuild(nil)
	o.ps.init(cfg, newGrid(minX, maxX, minY, maxY, cfg.ClusterCellUm))
	return o, nil
}

// Assign labels sp with a live unit, or with 0 and keeps it in the pool. It must be called
// from one goroutine, in sample order. It does not allocate; it takes the state mutex for one
// match (a few microseconds). In Synchronous mode it runs a due pass before returning.
func (o *Online) Assign(sp *pipeline.Spike) {
	sp.Unit = 0
	var p point
	ok := o.toPoint(sp, &p)

	o.mu.Lock()
	if !ok || !o.fixDim(len(sp.Embedding)) {
		o.st.Rejected++
		o.mu.Unlock()
		return
	}
	o.seq++
	p.seq = o.seq
	if p.timeS >= o.nowS {
		o.nowS, o.nowSample = p.timeS, p.sample
	}
	if u := o.match(&p); u != nil {
		sp.Unit = u.id
		o.st.Assigned++
	} else {
		o.pool.push(&p)
		o.st.Unassigned++
	}
	due := o.nowS >= o.nextPassS
	if due {
		o.nextPassS = o.nowS + o.cfg.ClusterEveryS
	}
	o.mu.Unlock()

	if !due {
		return
	}
	if o.cfg.Synchronous {
		o.ClusterNow()
		return
	}
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// toPoint copies sp into p; false when the spike cannot be used.
func (o *Online) toPoint(sp *pipeline.Spike, p *point) bool {
	n := len(sp.Embedding)
	if n == 0 || n > MaxDim || !finite32(sp.XUm) || !finite32(sp.YUm) ||
		!finite32(sp.AmplitudeUV) {
		return false
	}
	for k, v := range sp.Embedding {
		if !finite32(v) {
			return false
		}
		p.emb[k] = v
	}
	rateHz := sp.SampleRateHz
	if !(rateHz > 0) {
		rateHz = o.cfg.SampleRateHz
	}
	p.xUm, p.yUm = sp.XUm, sp.YUm
	p.logAmp = float32(math.Log(math.Max(float64(sp.AmplitudeUV), 1)))
	p.sample = sp.Sample
	p.timeS = float64(sp.Sample) / rateHz
	p.channel = uint16(max(sp.PeakChannel, 0))
	return true
}

func finite32(v float32) bool { return v == v && v < math.MaxFloat32 && v > -math.MaxFloat32 }

// fixDim accepts an embedding of length n, fixing the dimension on the first spike. Caller
// holds mu.
func (o *Online) fixDim(n int) bool {
	if o.dim == 0 {
		o.dim = n
	}
	return n == o.dim
}

// match finds the best live unit within NeighbourRadiusUm whose gate admits p, updates it
// with p and returns it; nil when none admits p. Caller holds mu.
func (o *Online) match(p *point) *unit {
	u, q := bestCandidate(&o.index, o.units, p, o.cfg.NeighbourRadiusUm)
	if u != nil {
		o.absorb(u, p, q)
	}
	return u
}

// bestCandidate returns the unit of units (indexed by ix) within radiusUm of p whose gate
// admits p with the highest likelihood, and p's normalised distance to it; nil if none.
func bestCandidate(ix *unitIndex, units []*unit, p *point, radiusUm float64) (*unit, float32) {
	cx, cy := ix.g.cellXY(p.xUm, p.yUm)
	r2 := float32(radiusUm * radiusUm)
	var best *unit
	var bestScore, bestQ float32
	for y := max(cy-1, 0); y <= min(cy+1, ix.g.ny-1); y++ {
		for x := max(cx-1, 0); x <= min(cx+1, ix.g.nx-1); x++ {
			c := y*ix.g.nx + x
			for _, i := range ix.idx[ix.start[c]:ix.start[c+1]] {
				if int(i) >= len(units) {
					continue // defensive: the index must never outlive a shrink of units
				}
				u := units[i]
				dx, dy := u.m.xUm-p.xUm, u.m.yUm-p.yUm
				if dx*dx+dy*dy > r2 {
					continue
				}
				q := u.m.normDist(p)
				if q > u.m.gate {
					continue
				}
				score := q*u.m.dof + u.m.logDet
				if best == nil || score < bestScore {
					best, bestScore, bestQ = u, score, q
				}
			}
		}
	}
	return best, bestQ
}

// absorb adds member p (normalised distance q) to u. Caller holds mu.
func (o *Online) absorb(u *unit, p *point, q float32) {
	dtS := max(p.timeS-u.lastS, 0)
	r := rates{
		centroid: emaWeight(dtS, o.cfg.CentroidTauS, u.n+1),
		position: emaWeight(dtS, o.cfg.PositionTauS, u.n+1),
		spread:   emaWeight(dtS, o.cfg.SpreadTauS, u.n+1),
	}
	u.m.update(p, q, r)
	u.recent.push(p)
	u.times.push(p.timeS)
	u.n++
	u.lastS = max(u.lastS, p.timeS)
}

// Stats returns a snapshot of the counters. Safe to call from any goroutine.
func (o *Online) Stats() Stats {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.st
	s.UnitsLive = len(o.units)
	s.PoolSize = o.pool.n
	s.PoolDrops = o.pool.drops
	return s
}

// Run performs background passes whenever Assign reports that ClusterEveryS of stream time
// has passed, until ctx is done; it then returns nil. In Synchronous mode it only waits for
// ctx. A second concurrent Run returns ErrRunning at once. Run starts no goroutine.
func (o *Online) Run(ctx context.Context) error {
	if !o.active.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer o.active.Store(false)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-o.kick:
			if !o.cfg.Synchronous {
				o.ClusterNow()
			}
		}
	}
}

// ClusterNow runs one background pass in the caller's goroutine: expire and cluster the pool,
// found new units, merge, split and retire units and send their events to the sink. Passes
// never overlap; a call made during another pass waits for it. Safe from any goroutine.
func (o *Online) ClusterNow() {
	o.passMu.Lock()
	defer o.passMu.Unlock()
	o.pass()
}
