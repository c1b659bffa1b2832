// Package assign gives spikes unit identities online: each spike is labelled at once by
// matching it against the live units near its position, and a background pass finds new
// units among the spikes that matched none, merges units that became indistinguishable,
// splits units that became bimodal and retires silent ones. Unit ids start at 1, are never
// reused or renumbered within a session, and 0 means "not assigned".
//
// # Matching
//
// A unit is a diagonal Gaussian over the spike embedding, the estimated position (um) and
// the log trough amplitude. A spike's normalised distance to a unit is its Mahalanobis
// distance under that Gaussian over the degrees of freedom (Dim + 3), about 1 for a member.
// Candidates are the units within NeighbourRadiusUm of the spike, found through a grid over
// the probe, so the cost depends on the local unit density, not the probe size. A unit
// admits a spike when the distance is under its gate: the running mean plus GateSD running
// standard deviations of its own members' distances (clamped to a band around what a
// Gaussian unit would give). Among the units that admit it, the spike goes to the one with
// the highest likelihood. Means, positions, variances and gates are exponential moving
// averages whose weights come from time constants in seconds of stream time, so a burst
// weighs no more than its duration and units follow slow drift.
//
// # The pool and new units
//
// A spike that no unit admits is published as unit 0 and kept in a bounded FIFO pool
// (PoolSize; when full the oldest spike is overwritten and counted in Stats.PoolDrops; pool
// spikes older than PoolMaxAgeS are discarded). Every ClusterEveryS of stream time a pass
// clusters the pool per neighbourhood (a ClusterCellUm cell and its 8 neighbours), in the
// manner of ISO-SPLIT: k-means over-clusters the neighbourhood into groups of about five
// spikes, then neighbouring groups are merged while their union shows no significant split
// (two-means on embeddings and on positions; a split counts when the halves are more than
// SplitDPrime pooled standard deviations apart along the axis joining them, with a
// correction for small samples). A resulting cluster becomes a unit when it has MinSpikes
// spikes, a position spread within MaxPosSDUm and an embedding spread within MaxSpreadRatio
// times the typical live unit's. It is announced by stream.UnitCreated whose Backfill lists
// the pool spikes that founded it and the pool spikes its founding model admits. A
// neighbourhood is clustered again only when enough new spikes have arrived in it.
//
// # Warm-up
//
// At the start there are no units: every spike is published as 0 and pooled. A unit exists
// from the first pass after MinSpikes of its spikes are in the pool: with the defaults
// (30 spikes, a pass every second of stream time) at best about 4 s for a 10 Hz unit and
// 7 s for a 5 Hz unit; on a simulated 32-channel recording through the live front end the
// first labels came 2-5 s in for 15-22 Hz units and 18-44 s in for 0.8-3 Hz units. Its
// earlier spikes are relabelled through Backfill. Units firing so slowly that
// MinSpikes spikes span more than PoolMaxAgeS (0.5 Hz with the defaults) are never founded.
// While the pool overflows (spikes arriving faster than units claim them, e.g. in the first
// seconds of a dense Neuropixels recording or under heavy background activity) the oldest
// pooled spikes are lost and the slowest units wait longer. In the first passes
// MaxSpreadRatio can compare a cluster only with the other clusters of the same pass, so a
// warm-up cluster may still be a mixture of neighbours; the split test separates it later.
// For an offline run, call ClusterNow after the last Assign so that units founded by the
// final spikes are announced and backfilled.
//
// # Lifecycle
//
// Two nearby units whose models are not clearly separate are merged when their recent
// members together show no split at MergeDPrime: the older (smaller) id survives and the
// younger is announced by stream.UnitMerged with Related[0] the survivor, unless their
// spike trains come within RefractoryMs of each other at least half as often as independent
// trains would (given at least 8 such coincidences expected): two neurons with one shape
// stay two units. Two units at the same place and amplitude also merge, whatever their
// embeddings, when their spike trains share a refractory period (far fewer spikes within
// RefractoryMs of each other than independent trains would give): one neuron whose waveform
// took two shapes, as when drift moves its peak channel or its spikes peak on either of two
// channels. These tests count pairs between 0.5 ms and RefractoryMs apart only: the
// detector reports one spike of a closer pair on nearby channels, so below 0.5 ms any two
// units look refractory (on simulated tetrodes, counting from 0 merged 50 pairs of distinct
// neurons against 92 true pairs). The evidence grows with both rates and the time the two
// units have existed together (each unit keeps SpikeTimeHistory spike times): about 40 s
// for two 8 Hz shapes, minutes for slow units. "The same place" means within MergeDPrime in
// position, or within twice that on stronger evidence, since the two shapes of a neuron
// that peaks on two channels give two centre-of-mass positions. A unit that falls silent
// just as another, at its place and amplitude and firing at a similar rate, begins is the
// same neuron handed over to a new shape (drift moved its peak channel, and the old shape
// stopped before the refractory test could decide): the younger id merges into the older,
// which takes the new shape's model. Drift often hands a neuron over more slowly, through a
// crossfade: for tens of seconds its spikes are shared between the old shape and the new
// one before the old falls silent. Such a pair (at the same place, within twice the usual
// position limit since the silent unit's position no longer follows the drift, and at the
// same amplitude) is merged the same way when, over the overlap, the two units together
// fired about as often as the new one fires alone afterwards and the new one fired below
// that rate: one neuron's train shared between two shapes, not two neurons adding their
// rates.
//
// A slow neuron between two channels peaks on either, and the embedder, which sees the
// waveform from the peak channel, gives it one shape per channel: two units firing side by
// side for the whole session, too slowly for the refractory test. Two units within 10 um
// and 15 % in amplitude that peak on different channels and have fired together for a
// minute are merged as such twins unless their trains come within RefractoryMs of each
// other more than once and more than a quarter as often as independent trains would. Where
// a third unit of similar amplitude sits within 10 um of them (units crowd on a dense
// tetrode), place and amplitude do not single out a neuron and the twin test is skipped.
// Units merged by the refractory, handoff, crossfade or twin tests split again only on
// evidence that the halves fire independently.
//
// A unit whose recent members split at SplitDPrime into two halves of MinSpikes each, by one
// two-means bisection or by clustering them as the pool is clustered, is split, unless the
// halves share a refractory period. Failing those, its members are bisected on amplitude
// alone: two neurons with one shape on one channel differ only there. Bursts give one
// neuron a second, smaller amplitude mode too, so an amplitude split counts only when the
// smaller spikes follow another member within 10 ms hardly more often than the larger ones
// do; a pair whose union would split that way is not merged by closeness either. On a
// split the larger half keeps the id, the other gets a new id announced by
// stream.UnitSplit with Related[0] the parent and Backfill the recent members that moved
// (published earlier under the parent's id, not 0).
//
// One neuron almost never fires twice within its refractory period; a unit that holds two
// neurons does, in proportion to the product of their rates. A unit whose spike-time
// history has more such violations (intervals between 0.5 ms and 0.9 RefractoryMs) than 10 %
// of foreign spikes would give, and at least 5, is contaminated. A pair whose joint train,
// over the time both histories cover, would be contaminated is two neurons whatever the
// refractory, crossfade or twin tests saw (overlapping spikes, whose waveforms are
// corrupted, go to neither unit and hide the coincidences): it merges only by closeness,
// and then only if its amplitudes do not split either. Contamination does not lower the
// split threshold: neighbours' overlapping spikes make true units look contaminated too.
//
// A unit without members for RetireAfterS is retired (stream.UnitRetired). Live units that
// gained members send stream.UnitUpdated at most once per UpdateEveryS.
//
// # Concurrency
//
// Assign is called from one goroutine and holds the state mutex only for one match; it
// never allocates. A pass holds the mutex while it snapshots the pool and chooses candidates,
// and while it applies its decisions, giving it up whenever it has held it for 100 us so
// that Assign waits at most about that long; the clustering runs without it. Registering
// the units founded in one pass is still one locked piece. Stats.PassMaxLockUs reports the
// longest hold in wall-clock time (a preempted thread makes it longer); it is largest in
// warm-up passes that found dozens of units. Run
// performs the passes in the caller's goroutine when Assign signals that one is due;
// ClusterNow runs one pass at once. Lock order: passMu (one pass at a time) before mu (the
// state). Events go to the sink from the goroutine
// that runs the pass, never while the state mutex is held, so a spike can carry a new id
// slightly before its UnitCreated arrives. With Config.Synchronous, Assign runs due passes
// itself and results depend only on the input.
//
// NearestCentroid is the simple leader-style baseline this assigner should beat.
package assign
