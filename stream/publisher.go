package stream

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
)

// PubOptions configures an EventPublisher.
type PubOptions struct {
	// JSONMirror also publishes every spike batch on Subjects.SpikesJSON and every unit
	// event on Subjects.UnitsJSON, as JSON, for debugging and browsers. It allocates.
	JSONMirror bool
}

// PubStats is a snapshot of an EventPublisher's counters.
type PubStats struct {
	Batches uint64 // spike batch messages published
	Spikes  uint64 // spike events published
	Units   uint64 // unit events published
	Errors  uint64 // error events published
}

// EventPublisher publishes a stream's spike, unit and error events. It reuses one encode
// buffer, so its Publish methods must be called from one goroutine at a time; Stats is
// safe for concurrent use.
type EventPublisher struct {
	c     *Conn
	subj  Subjects
	opt   PubOptions
	buf   []byte
	batch SpikeBatch
	seq   uint64

	batches, spikes, units, errs atomic.Uint64
}

// NewEventPublisher returns a publisher for subj's event subjects on c.
func NewEventPublisher(c *Conn, subj Subjects, opt PubOptions) *EventPublisher {
	return &EventPublisher{c: c, subj: subj, opt: opt}
}

// maxSpikesPerMessage is how many spike records fit in one message under the server's
// payload limit.
func (p *EventPublisher) maxSpikesPerMessage() int {
	n := (int(p.c.nc.MaxPayload()) - SpikeHeaderBytes) / SpikeRecordBytes
	return max(n, 1)
}

// PublishSpikes publishes ev as one spike batch, or several when ev exceeds the server's
// payload limit; each batch gets the next seq. An empty ev publishes nothing. It does not
// retain ev and allocates only with the JSON mirror on. After the Conn is closed the error
// wraps ErrClosed.
func (p *EventPublisher) PublishSpikes(ev []SpikeEvent) error {
	limit := p.maxSpikesPerMessage()
	for len(ev) > 0 {
		n := min(len(ev), limit)
		if err := p.publishBatch(ev[:n]); err != nil {
			return err
		}
		ev = ev[n:]
	}
	return nil
}

func (p *EventPublisher) publishBatch(ev []SpikeEvent) error {
	p.seq++
	p.batch = SpikeBatch{Seq: p.seq, Spikes: ev}
	defer func() { p.batch.Spikes = nil }()
	var err error
	if p.buf, err = EncodeSpikeBatch(p.buf[:0], &p.batch); err != nil {
		return fmt.Errorf("publish spikes: %w", err)
	}
	if err := p.c.publish(p.subj.Spikes, p.buf); err != nil {
		return fmt.Errorf("publish spikes: %w", err)
	}
	p.batches.Add(1)
	p.spikes.Add(uint64(len(ev)))
	if p.opt.JSONMirror {
		return p.publishSpikesJSON(p.batch)
	}
	return nil
}

// publishSpikesJSON mirrors b as JSON, halving it until each part fits the payload limit;
// the parts share b.Seq.
func (p *EventPublisher) publishSpikesJSON(b SpikeBatch) error {
	js, err := json.Marshal(&b)
	if err != nil {
		return fmt.Errorf("publish json on %s: %w", p.subj.SpikesJSON, err)
	}
	if int64(len(js)) > p.c.nc.MaxPayload() && len(b.Spikes) > 1 {
		half := len(b.Spikes) / 2
		if err := p.publishSpikesJSON(SpikeBatch{Seq: b.Seq, Spikes: b.Spikes[:half]}); err != nil {
			return err
		}
		return p.publishSpikesJSON(SpikeBatch{Seq: b.Seq, Spikes: b.Spikes[half:]})
	}
	if err := p.c.publish(p.subj.SpikesJSON, js); err != nil {
		return fmt.Errorf("publish json: %w", err)
	}
	return nil
}

func (p *EventPublisher) publishJSON(subject string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("publish json on %s: %w", subject, err)
	}
	if err := p.c.publish(subject, b); err != nil {
		return fmt.Errorf("publish json: %w", err)
	}
	return nil
}

// PublishUnit publishes one unit lifecycle event. It does not retain e's slices.
func (p *EventPublisher) PublishUnit(e UnitEvent) error {
	var err error
	if p.buf, err = EncodeUnitEvent(p.buf[:0], &e); err != nil {
		return fmt.Errorf("publish unit: %w", err)
	}
	if err := p.c.publish(p.subj.Units, p.buf); err != nil {
		return fmt.Errorf("publish unit: %w", err)
	}
	p.units.Add(1)
	if p.opt.JSONMirror {
		return p.publishJSON(p.subj.UnitsJSON, &e)
	}
	return nil
}

// PublishError publishes one error event with Count 1. It allocates (JSON).
func (p *EventPublisher) PublishError(kind, detail string, seq uint64) error {
	if kind == "" {
		return fmt.Errorf("publish error event: %w: empty kind", ErrBadHeader)
	}
	b, err := EncodeErrorEvent(ErrorEvent{Kind: kind, Detail: detail, Seq: seq, Count: 1})
	if err != nil {
		return err
	}
	if err := p.c.publish(p.subj.Errors, b); err != nil {
		return fmt.Errorf("publish error event: %w", err)
	}
	p.errs.Add(1)
	return nil
}

// Flush waits until the server has received everything published so far.
func (p *EventPublisher) Flush() error {
	if err := p.c.nc.Flush(); err != nil {
		return fmt.Errorf("flush events: %w", err)
	}
	return nil
}

// Stats returns a snapshot of the counters. Safe for concurrent use.
func (p *EventPublisher) Stats() PubStats {
	return PubStats{Batches: p.batches.Load(), Spikes: p.spikes.Load(),
		Units: p.units.Load(), Errors: p.errs.Load()}
}
