package app

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/spikestream/spikestream/sorting"
	"github.com/spikestream/spikestream/stream"
)

// Collector gathers a stream's spike and unit events, as any consumer on the bus would, and
// turns them into a final sorting: spikes published before their unit existed are
// relabelled from UnitCreated/UnitSplit backfills, and merged units are folded into the
// unit that survived.
type Collector struct {
	mu       sync.Mutex
	spikes   []stream.SpikeEvent
	backfill map[stream.SpikeRef]uint32
	mergedTo map[uint32]uint32
	units    []stream.UnitEvent
	subs     []*nats.Subscription
	onSpikes func([]stream.SpikeEvent)
	onUnit   func(stream.UnitEvent)
}

// NewCollector subscribes to subj's spike and unit events on conn. onSpikes and onUnit, if
// not nil, also see every event (from NATS delivery goroutines).
func NewCollector(conn *stream.Conn, subj stream.Subjects, onSpikes func([]stream.SpikeEvent),
	onUnit func(stream.UnitEvent)) (*Collector, error) {
	c := &Collector{backfill: map[stream.SpikeRef]uint32{}, mergedTo: map[uint32]uint32{},
		onSpikes: onSpikes, onUnit: onUnit}
	s1, err := stream.SubscribeSpikes(conn, subj, c.addSpikes)
	if err != nil {
		return nil, fmt.Errorf("subscribe spikes: %w", err)
	}
	s2, err := stream.SubscribeUnits(conn, subj, c.addUnit)
	if err != nil {
		s1.Unsubscribe()
		return nil, fmt.Errorf("subscribe units: %w", err)
	}
	c.subs = []*nats.Subscription{s1, s2}
	return c, nil
}

// addSpikes runs the hook before counting the events, under the lock, so that Wait
// returning means every hook call has finished.
func (c *Collector) addSpikes(b []stream.SpikeEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.onSpikes != nil {
		c.onSpikes(b)
	}
	c.spikes = append(c.spikes, b...)
}

// addUnit records a unit event. The subscription reuses e.Related and e.Backfill between
// calls, so the stored event gets copies of its own.
func (c *Collector) addUnit(e stream.UnitEvent) {
	e.Related, e.Backfill = slices.Clone(e.Related), slices.Clone(e.Backfill)
	c.mu.Lock()
	c.units = append(c.units, e)
	switch e.Kind {
	case stream.UnitCreated, stream.UnitSplit:
		for _, r := range e.Backfill {
			c.backfill[r] = e.UnitID
		}
	case stream.UnitMerged:
		if len(e.Related) > 0 {
			c.mergedTo[e.UnitID] = e.Related[0]
		}
	}
	c.mu.Unlock()
	if c.onUnit != nil {
		c.onUnit(e)
	}
}

// Wait blocks until at least n spike events have arrived, ctx is done or timeout passes.
func (c *Collector) Wait(ctx context.Context, n uint64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c.mu.Lock()
		got := uint64(len(c.spikes))
		c.mu.Unlock()
		if got >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("collector: %d of %d spike events arrived", got, n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// Close unsubscribes.
func (c *Collector) Close() {
	for _, s := range c.subs {
		s.Unsubscribe()
	}
}

// Events returns a copy of the spike events as published, in arrival order.
func (c *Collector) Events() []stream.SpikeEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]stream.SpikeEvent(nil), c.spikes...)
}

// UnitEvents returns a copy of the unit events received.
func (c *Collector) UnitEvents() []stream.UnitEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]stream.UnitEvent(nil), c.units...)
}

// finalLabel returns the unit a spike belongs to once backfills and merges are applied;
// 0 means it never joined a unit. A backfill overrides the published label: UnitCreated
// backfills spikes published as 0, UnitSplit those published under the parent, and the
// latest event about a spike wins.
func (c *Collector) finalLabel(e stream.SpikeEvent) uint32 {
	u := e.UnitID
	if b, ok := c.backfill[stream.SpikeRef{SampleIndex: e.SampleIndex,
		PeakChannel: e.PeakChannel}]; ok {
		u = b
	}
	for range 64 { // merge chains are short; the bound guards against a cycle
		next, ok := c.mergedTo[u]
		if !ok {
			break
		}
		u = next
	}
	return u
}

// Sorting returns the final sorting at rateHz, with the events behind each spike in the
// same order (for amplitudes). Unassigned spikes are kept with label 0 when keepUnassigned
// is set, else dropped.
func (c *Collector) Sorting(rateHz float64, keepUnassigned bool) (*sorting.Sorting,
	[]stream.SpikeEvent, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var times, labels []int64
	var kept []stream.SpikeEvent
	for _, e := range c.spikes {
		u := c.finalLabel(e)
		if u == 0 && !keepUnassigned {
			continue
		}
		times = append(times, e.SampleIndex)
		labels = append(labels, int64(u))
		kept = append(kept, e)
	}
	s, err := sorting.New(rateHz, times, labels)
	if err != nil {
		return nil, nil, err
	}
	return s, orderByTime(kept), nil
}

// orderByTime sorts events stably by sample index, matching sorting.New's order.
func orderByTime(ev []stream.SpikeEvent) []stream.SpikeEvent {
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].SampleIndex < ev[j].SampleIndex })
	return ev
}
