package stream

import (
	"fmt"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
)

// SubscribeSpikes calls fn with the spikes of every valid batch on subj.Spikes, in arrival
// order, from the NATS client's goroutine for this subscription. The slice is reused: fn
// must not retain it. Malformed messages are skipped, counted in Conn.Stats
// (EventDecodeErrors) and logged at most once per 5 s. The subscription is registered with
// the server before it returns; unsubscribe it or close c to stop.
func SubscribeSpikes(c *Conn, subj Subjects, fn func([]SpikeEvent)) (*nats.Subscription,
	error) {
	var batch SpikeBatch
	return c.subscribeEvents(subj.Spikes, func(data []byte) error {
		if err := DecodeSpikeBatch(data, &batch); err != nil {
			return err
		}
		fn(batch.Spikes)
		return nil
	})
}

// SubscribeUnits calls fn with every valid unit event on subj.Units, like SubscribeSpikes.
// e.Related and e.Backfill are reused between calls: fn must not retain them.
func SubscribeUnits(c *Conn, subj Subjects, fn func(e UnitEvent)) (*nats.Subscription,
	error) {
	var e UnitEvent
	return c.subscribeEvents(subj.Units, func(data []byte) error {
		if err := DecodeUnitEvent(data, &e); err != nil {
			return err
		}
		fn(e)
		return nil
	})
}

// SubscribeErrors calls fn with every valid error event on subj.Errors, like
// SubscribeSpikes.
func SubscribeErrors(c *Conn, subj Subjects, fn func(ErrorEvent)) (*nats.Subscription,
	error) {
	return c.subscribeEvents(subj.Errors, func(data []byte) error {
		e, err := DecodeErrorEvent(data)
		if err != nil {
			return err
		}
		fn(e)
		return nil
	})
}

// subscribeEvents subscribes handle to subject, counting and logging its errors.
func (c *Conn) subscribeEvents(subject string,
	handle func([]byte) error) (*nats.Subscription, error) {
	sub, err := c.nc.Subscribe(subject, func(m *nats.Msg) {
		if err := handle(m.Data); err != nil {
			c.decodeErrs.Add(1)
			if n, ok := c.eventWarn.allow(NowNs()); ok {
				c.log.Warn("bad event message", zap.String("subject", subject),
					zap.Error(err), zap.Uint64("count", n))
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("subscribe %s: %w", subject, err)
	}
	if err := c.nc.Flush(); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("subscribe %s: flush: %w", subject, err)
	}
	return sub, nil
}
