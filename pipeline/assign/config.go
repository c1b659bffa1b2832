package assign

import (
	"fmt"
	"math"
)

// MaxDim is the largest embedding dimension the assigner accepts. Unit and pool state keep
// embeddings in fixed arrays of this size so that the hot path never allocates.
const MaxDim = 32

// Config sets the online assigner. Zero values take the defaults in brackets. Times are in
// seconds of stream time (sample index / sample rate), distances in um.
type Config struct {
	// SampleRateHz converts sample indices to stream time when a spike carries no rate of its
	// own (Spike.SampleRateHz takes precedence when set) [30000].
	SampleRateHz float64
	// Dim is the embedding length; 0 takes it from the first spike. At most MaxDim [0].
	Dim int

	// NeighbourRadiusUm: only live units whose position lies within this distance of a
	// spike's estimated position are candidates for it [100].
	NeighbourRadiusUm float64
	// GateSD sets each unit's acceptance gate at the running mean plus GateSD running
	// standard deviations of its members' normalised distance. Real embeddings have heavier
	// tails than a Gaussian: 5 labelled more spikes correctly than 3 or 4 on simulated
	// recordings through the live front end [5].
	GateSD float64

	// CentroidTauS is the time constant with which centroids follow drift [30].
	CentroidTauS float64
	// PositionTauS is the time constant of unit positions and amplitudes [10].
	PositionTauS float64
	// SpreadTauS is the time constant of variances and gate statistics [60].
	SpreadTauS float64

	// PoolSize bounds the pool of unmatched spikes; when it is full the oldest spike is
	// overwritten and counted in Stats.PoolDrops. Each pooled spike takes about 180 bytes
	// [8192, or 64 per probe channel if more: 24576 on Neuropixels 1.0].
	PoolSize int
	// PoolMaxAgeS: pool spikes older than this are discarded at the next pass, counted in
	// Stats.PoolExpired [60].
	PoolMaxAgeS float64
	// MinSpikes is the evidence needed to found a unit: pool spikes in one cluster [30].
	MinSpikes int
	// ClusterCellUm is the side of the square cells that partition the probe for pool
	// clustering; each pass clusters every cell together with its 8 neighbours [40].
	ClusterCellUm float64
	// MaxPosSDUm rejects a pool cluster whose position spread (RMS per axis) exceeds it:
	// one neuron's spikes come from one place [25].
	MaxPosSDUm float64
	// MaxSpreadRatio rejects a pool cluster whose mean per-dimension embedding variance
	// exceeds this multiple of the median over live units and the pass's other clusters:
	// diffuse background spikes do not make a unit [4].
	MaxSpreadRatio float64
	// ClusterEveryS is the stream time between background passes (clustering, merge,
	// split, retire) [1].
	ClusterEveryS float64

	// SplitDPrime: a cluster or unit is split in two when the best two-means split of its
	// embeddings or of its positions separates the halves by more than this many pooled
	// standard deviations along the axis joining them (a unimodal Gaussian gives ~2.7) [4].
	SplitDPrime float64
	// MergeDPrime: two nearby units merge when the union of their recent members would not
	// be split at this separation; keep it below SplitDPrime for hysteresis [3.3].
	MergeDPrime float64
	// RefractoryMs: two units at the same place and amplitude whose spike trains almost
	// never come this close to each other (at most a tenth of the coincidences independent
	// trains would give, which must be at least 10) are one neuron and merge, whatever their
	// embeddings; the same test vetoes splits [1.5].
	RefractoryMs float64
	// RecentSpikes is the number of recent members each unit keeps for split and merge
	// tests [256].
	RecentSpikes int
	// SpikeTimeHistory is the number of member spike times each unit keeps for the
	// refractory tests (8 bytes each): the evidence grows with the time two units share, so
	// slow units need a history much longer than RecentSpikes [2048].
	SpikeTimeHistory int
	// RetireAfterS: a unit with no member for this long is retired [120].
	RetireAfterS float64
	// UpdateEveryS: a live unit emits at most one UnitUpdated summary per this interval,
	// and only when it gained members since the last one [10].
	UpdateEveryS float64

	// Synchronous runs the background pass inside Assign whenever ClusterEveryS of stream
	// time has passed, in the caller's goroutine, so results depend only on the input. It
	// suits tests and offline runs; Assign then takes the pass's time every ClusterEveryS.
	Synchronous bool
}

// withDefaults returns c with zero fields replaced by their defaults.
func (c Config) withDefaults() Config {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.SampleRateHz, 30000)
	def(&c.NeighbourRadiusUm, 100)
	def(&c.GateSD, 5)
	def(&c.CentroidTauS, 30)
	def(&c.PositionTauS, 10)
	def(&c.SpreadTauS, 60)
	def(&c.PoolMaxAgeS, 60)
	defInt(&c.MinSpikes, 30)
	def(&c.ClusterCellUm, 40)
	def(&c.MaxPosSDUm, 25)
	def(&c.MaxSpreadRatio, 4)
	def(&c.ClusterEveryS, 1)
	def(&c.SplitDPrime, 4)
	def(&c.MergeDPrime, 3.3)
	def(&c.RefractoryMs, 1.5)
	defInt(&c.RecentSpikes, 256)
	defInt(&c.SpikeTimeHistory, 2048)
	def(&c.RetireAfterS, 120)
	def(&c.UpdateEveryS, 10)
	return c
}

// validate reports the first out-of-range field of a defaulted config.
func (c Config) validate() error {
	pos := []struct {
		name string
		v    float64
	}{
		{"SampleRateHz", c.SampleRateHz}, {"NeighbourRadiusUm", c.NeighbourRadiusUm},
		{"GateSD", c.GateSD}, {"CentroidTauS", c.CentroidTauS},
		{"PositionTauS", c.PositionTauS}, {"SpreadTauS", c.SpreadTauS},
		{"PoolMaxAgeS", c.PoolMaxAgeS}, {"ClusterCellUm", c.ClusterCellUm},
		{"MaxPosSDUm", c.MaxPosSDUm}, {"MaxSpreadRatio", c.MaxSpreadRatio},
		{"ClusterEveryS", c.ClusterEveryS},
		{"SplitDPrime", c.SplitDPrime}, {"MergeDPrime", c.MergeDPrime},
		{"RefractoryMs", c.RefractoryMs},
		{"RetireAfterS", c.RetireAfterS}, {"UpdateEveryS", c.UpdateEveryS},
	}
	for _, p := range pos {
		if !(p.v > 0) || math.IsInf(p.v, 0) {
			return fmt.Errorf("%w: %s = %v, want a finite value > 0", ErrBadConfig, p.name, p.v)
		}
	}
	if c.Dim < 0 || c.Dim > MaxDim {
		return fmt.Errorf("%w: Dim = %d, want 0..%d", ErrBadConfig, c.Dim, MaxDim)
	}
	if c.PoolSize < 1 || c.MinSpikes < 4 || c.RecentSpikes < 2*c.MinSpikes {
		return fmt.Errorf("%w: PoolSize %d (>= 1), MinSpikes %d (>= 4), RecentSpikes %d "+
			"(>= 2*MinSpikes)", ErrBadConfig, c.PoolSize, c.MinSpikes, c.RecentSpikes)
	}
	if c.SpikeTimeHistory < c.RecentSpikes {
		return fmt.Errorf("%w: SpikeTimeHistory %d, want >= RecentSpikes %d", ErrBadConfig,
			c.SpikeTimeHistory, c.RecentSpikes)
	}
	if c.MergeDPrime >= c.SplitDPrime {
		return fmt.Errorf("%w: MergeDPrime %v must be below SplitDPrime %v",
			ErrBadConfig, c.MergeDPrime, c.SplitDPrime)
	}
	return nil
}
