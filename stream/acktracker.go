package stream

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// ackTracker follows the acks of the consumers of one stream during one max-speed replay.
// update is called from the NATS client's goroutine, the rest from the replayer's.
//
// A consumer's effective ack is the seq it reports when that seq belongs to this replay
// (0 < seq <= published). Otherwise, it has taken nothing of this replay yet (a fresh
// consumer, or one still reporting a previous recording), and its effective ack is the seq
// published when it was first heard from: it cannot receive frames sent before it appeared,
// so waiting for them would deadlock.
type ackTracker struct {
	staleNs   int64
	notify    chan struct{} // capacity 1: "an ack arrived"
	published atomic.Uint64 // highest seq published so far

	mu        sync.Mutex
	consumers map[uint32]consumerAck
}

type consumerAck struct {
	eff     uint64 // effective ack, see ackTracker
	joinSeq uint64 // published seq when the consumer was first heard from
	lastNs  int64  // NowNs of its latest ack
}

func newAckTracker(staleAfter time.Duration) *ackTracker {
	return &ackTracker{staleNs: int64(staleAfter), notify: make(chan struct{}, 1),
		consumers: make(map[uint32]consumerAck)}
}

// update records ack a received at nowNs.
func (t *ackTracker) update(a Ack, nowNs int64) {
	pub := t.published.Load()
	t.mu.Lock()
	if a.Leaving {
		delete(t.consumers, a.ConsumerID)
		t.mu.Unlock()
		t.signal()
		return
	}
	c, seen := t.consumers[a.ConsumerID]
	if !seen {
		c.joinSeq = pub
	}
	c.lastNs, c.eff = nowNs, c.joinSeq
	if a.Seq > 0 && a.Seq <= pub {
		c.eff = max(a.Seq, c.joinSeq)
	}
	t.consumers[a.ConsumerID] = c
	t.mu.Unlock()
	t.signal()
}

// signal wakes a waiting replayer without blocking.
func (t *ackTracker) signal() {
	select {
	case t.notify <- struct{}{}:
	default:
	}
}

// lowest returns the lowest effective ack over the live consumers and how many are live.
// Stale consumers are forgotten.
func (t *ackTracker) lowest(nowNs int64) (uint64, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var low uint64
	live := 0
	for id, c := range t.consumers {
		if nowNs-c.lastNs > t.staleNs {
			delete(t.consumers, id)
			continue
		}
		if live == 0 || c.eff < low {
			low = c.eff
		}
		live++
	}
	return low, live
}

// waitWindow blocks until at least `consumers` consumers are live and seq is at most
// window beyond the lowest of their acks.
func (t *ackTracker) waitWindow(ctx context.Context, seq uint64, consumers, window int) error {
	return t.wait(ctx, func(low uint64, live int) bool {
		return live >= consumers && seq <= low+uint64(window)
	})
}

// waitDrained blocks until every live consumer has acked seq, or none is live.
func (t *ackTracker) waitDrained(ctx context.Context, seq uint64) error {
	return t.wait(ctx, func(low uint64, live int) bool { return live == 0 || low >= seq })
}

// wait polls ok on every ack, and every 50 ms to notice stale consumers.
func (t *ackTracker) wait(ctx context.Context, ok func(low uint64, live int) bool) error {
	var tick *time.Ticker
	for {
		if ok(t.lowest(NowNs())) {
			return nil
		}
		if tick == nil {
			tick = time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
		}
		select {
		case <-t.notify:
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("replay: waiting for consumer acks: %w", ctx.Err())
		}
	}
}
