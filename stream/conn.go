package stream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
)

// ConnOptions configures Connect. Zero values take the defaults in brackets.
type ConnOptions struct {
	// URL of an external NATS server. Empty starts an embedded server in-process.
	URL string
	// ListenPort is the embedded server's TCP port: -1 picks a free port, 0 accepts
	// in-process connections only (no TCP), > 0 listens on that port of ListenHost.
	ListenPort int
	// ListenHost is the embedded server's listen address ["127.0.0.1"].
	ListenHost string
	// Name is the client name shown by the server ["spikestream"].
	Name string
	// ReconnectWait is the pause between reconnect attempts to an external server [250ms].
	ReconnectWait time.Duration
	// DrainTimeout bounds Close's drain of pending messages [5s].
	DrainTimeout time.Duration
	// MaxPayloadBytes is the embedded server's message size limit [8 MiB].
	MaxPayloadBytes int32
	// Log receives connection events under component "stream"; nil means zap.NewNop().
	Log *zap.Logger
}

// ConnStats is a snapshot of a connection's counters, cumulative since Connect.
type ConnStats struct {
	Disconnects   uint64 // times the link to the server was lost
	Reconnects    uint64 // times it came back
	AsyncErrors   uint64 // asynchronous errors reported by the client (all kinds)
	SlowConsumers uint64 // async errors that were slow-consumer drops
	// EventDecodeErrors counts malformed messages seen by SubscribeSpikes, SubscribeUnits,
	// SubscribeErrors and the acks subscription of Replay.
	EventDecodeErrors uint64
}

// Conn is a NATS connection, with the embedded server it started if any. Its methods are
// safe for concurrent use.
type Conn struct {
	nc     *nats.Conn
	srv    *server.Server // nil when connected to an external URL
	url    string
	log    *zap.Logger
	closed chan struct{} // closed by the client's ClosedHandler
	once   sync.Once
	// closing is set by Close so that the disconnect it causes is not counted or logged.
	closing atomic.Bool

	disconnects, reconnects, asyncErrs, slowCons, decodeErrs atomic.Uint64
	warn, eventWarn                                          rateLimiter
}

// Connect opens a connection. With opt.URL empty it starts an embedded nats-server and
// connects to it; otherwise it connects to opt.URL and then reconnects forever whenever
// the link drops. ctx bounds the initial start and connect only. The caller must Close the
// returned Conn.
func Connect(ctx context.Context, opt ConnOptions) (*Conn, error) {
	opt = opt.withDefaults()
	c := &Conn{log: opt.Log.With(zap.String("component", "stream")),
		closed: make(chan struct{})}
	c.warn.every, c.eventWarn.every = 5*time.Second, 5*time.Second

	nopts := c.clientOptions(opt)
	if opt.URL == "" {
		if err := c.startEmbedded(ctx, opt); err != nil {
			return nil, err
		}
		if c.srv != nil && opt.ListenPort == 0 {
			nopts = append(nopts, nats.InProcessServer(c.srv))
		}
	} else {
		c.url = opt.URL
	}
	if err := c.dial(ctx, nopts); err != nil {
		c.shutdownServer()
		return nil, err
	}
	c.log.Info("connected", zap.String("url", c.nc.ConnectedUrlRedacted()),
		zap.Bool("embedded", c.srv != nil))
	return c, nil
}

func (o ConnOptions) withDefaults() ConnOptions {
	if o.ListenHost == "" {
		o.ListenHost = "127.0.0.1"
	}
	if o.Name == "" {
		o.Name = "spikestream"
	}
	if o.ReconnectWait <= 0 {
		o.ReconnectWait = 250 * time.Millisecond
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = 5 * time.Second
	}
	if o.MaxPayloadBytes <= 0 {
		o.MaxPayloadBytes = 8 << 20
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	return o
}

// startEmbedded starts an in-process nats-server and waits until it accepts clients.
func (c *Conn) startEmbedded(ctx context.Context, opt ConnOptions) error {
	sopts := &server.Options{
		Host:       opt.ListenHost,
		Port:       opt.ListenPort,
		DontListen: opt.ListenPort == 0,
		NoLog:      true,
		NoSigs:     true,
		MaxPayload: opt.MaxPayloadBytes,
	}
	if opt.ListenPort == 0 {
		sopts.Port = server.RANDOM_PORT // ignored: DontListen opens no listener
	}
	srv, err := server.NewServer(sopts)
	if err != nil {
		return fmt.Errorf("start embedded nats-server: %w", err)
	}
	srv.Start()
	wait := 5 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		wait = time.Until(dl)
	}
	if !srv.ReadyForConnections(wait) {
		srv.Shutdown()
		return fmt.Errorf("start embedded nats-server: not ready within %v", wait)
	}
	c.srv = srv
	if opt.ListenPort != 0 {
		c.url = srv.ClientURL()
	}
	return nil
}

// dial connects the client, bounded by ctx.
func (c *Conn) dial(ctx context.Context, nopts []nats.Option) error {
	if dl, ok := ctx.Deadline(); ok {
		nopts = append(nopts, nats.Timeout(time.Until(dl)))
	}
	url := c.url
	if url == "" {
		url = nats.DefaultURL // unused by an in-process connection
	}
	nc, err := nats.Connect(url, nopts...)
	if err != nil {
		return fmt.Errorf("connect to nats %q: %w", c.url, err)
	}
	c.nc = nc
	return nil
}

// clientOptions returns the nats.go options: infinite reconnects, counted and logged.
func (c *Conn) clientOptions(opt ConnOptions) []nats.Option {
	return []nats.Option{
		nats.Name(opt.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(opt.ReconnectWait),
		nats.DrainTimeout(opt.DrainTimeout),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if c.closing.Load() {
				return // our own Close, not a lost link
			}
			c.disconnects.Add(1)
			c.log.Warn("disconnected from nats", zap.Error(err))
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			c.reconnects.Add(1)
			c.log.Info("reconnected to nats", zap.String("url", nc.ConnectedUrlRedacted()))
		}),
		nats.ClosedHandler(func(*nats.Conn) { close(c.closed) }),
		nats.ErrorHandler(c.asyncError),
	}
}

// asyncError counts client errors; the warning is rate-limited.
func (c *Conn) asyncError(_ *nats.Conn, sub *nats.Subscription, err error) {
	c.asyncErrs.Add(1)
	if errors.Is(err, nats.ErrSlowConsumer) {
		c.slowCons.Add(1)
	}
	if n, ok := c.warn.allow(NowNs()); ok {
		subj := ""
		if sub != nil {
			subj = sub.Subject
		}
		c.log.Warn("nats async error", zap.Error(err), zap.String("subject", subj),
			zap.Uint64("count", n))
	}
}

// publish sends data on subject; a failure is wrapped with the subject, and also with
// ErrClosed when the connection has been closed or is draining.
func (c *Conn) publish(subject string, data []byte) error {
	err := c.nc.Publish(subject, data)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrConnectionDraining):
		return fmt.Errorf("publish on %s: %w: %w", subject, ErrClosed, err)
	case errors.Is(err, nats.ErrMaxPayload):
		return fmt.Errorf("publish %d bytes on %s: %w: %w", len(data), subject, ErrTooLarge, err)
	}
	return fmt.Errorf("publish on %s: %w", subject, err)
}

// NATS returns the underlying client connection, for publishing or subscribing directly.
// Do not close it; call Close.
func (c *Conn) NATS() *nats.Conn { return c.nc }

// URL returns the server URL other processes can connect to: the external URL, the
// embedded server's client URL, or "" for an embedded server without TCP (ListenPort 0).
func (c *Conn) URL() string { return c.url }

// Embedded reports whether the Conn runs its own in-process server.
func (c *Conn) Embedded() bool { return c.srv != nil }

// Stats returns a snapshot of the connection counters. Safe for concurrent use.
func (c *Conn) Stats() ConnStats {
	return ConnStats{
		Disconnects:       c.disconnects.Load(),
		Reconnects:        c.reconnects.Load(),
		AsyncErrors:       c.asyncErrs.Load(),
		SlowConsumers:     c.slowCons.Load(),
		EventDecodeErrors: c.decodeErrs.Load(),
	}
}

// Close drains the connection (pending publishes are flushed, subscriptions finish the
// messages they hold), waits for it to close, then shuts the embedded server down. It is
// safe to call more than once and from several goroutines.
func (c *Conn) Close() {
	c.once.Do(func() {
		c.closing.Store(true)
		if err := c.nc.Drain(); err != nil {
			c.nc.Close()
		}
		select {
		case <-c.closed:
		case <-time.After(10 * time.Second):
			c.log.Warn("nats drain did not finish; closing")
			c.nc.Close()
			<-c.closed
		}
		c.shutdownServer()
		c.log.Debug("connection closed")
	})
}

func (c *Conn) shutdownServer() {
	if c.srv != nil {
		c.srv.Shutdown()
		c.srv.WaitForShutdown()
	}
}
