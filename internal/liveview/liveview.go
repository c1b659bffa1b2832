// Package liveview serves a live web page of a stream's sorting: a spike raster by unit and
// a table of units, fed by server-sent events that carry the stream's spike and unit events
// as JSON. It is a consumer of the bus like any other; nothing in the pipeline waits for it.
package liveview

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/spikestream/spikestream/stream"
)

//go:embed page.html
var page []byte

// flushEvery is how often buffered spikes are sent to browsers: a browser redraws at
// most this often, and batching keeps the message rate low on busy probes.
const flushEvery = 100 * time.Millisecond

// clientBuffer is the number of messages a browser may fall behind before it misses some
// (counted in Dropped).
const clientBuffer = 64

// maxSpikesPerFlush bounds one message; beyond it spikes are counted as dropped.
const maxSpikesPerFlush = 5000

// Hub subscribes to one stream's events and fans them out to connected browsers. Its
// methods are safe for concurrent use.
type Hub struct {
	stream string
	rateHz float64
	subs   []*nats.Subscription
	stop   context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	pending []spikeJSON
	clients map[chan []byte]struct{}

	dropped atomic.Uint64
}

type spikeJSON struct {
	T    float64 `json:"t"`
	Unit uint32  `json:"u"`
	Ch   uint16  `json:"c"`
	Amp  float32 `json:"a"`
	X    float32 `json:"x"`
	Y    float32 `json:"y"`
}

// New subscribes to subj's spike and unit events on conn and starts the goroutine that
// batches spikes for browsers; Close stops it. rateHz converts unit events' sample indices
// to seconds (0: learnt from the first spike event).
func New(conn *stream.Conn, subj stream.Subjects, rateHz float64) (*Hub, error) {
	ctx, cancel := context.WithCancel(context.Background())
	h := &Hub{stream: subj.Stream, rateHz: rateHz, stop: cancel, done: make(chan struct{}),
		clients: map[chan []byte]struct{}{}}
	s1, err := stream.SubscribeSpikes(conn, subj, h.addSpikes)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("live view: %w", err)
	}
	s2, err := stream.SubscribeUnits(conn, subj, h.addUnit)
	if err != nil {
		s1.Unsubscribe()
		cancel()
		return nil, fmt.Errorf("live view: %w", err)
	}
	h.subs = []*nats.Subscription{s1, s2}
	go h.run(ctx)
	return h, nil
}

// Dropped returns how many spikes or messages browsers missed because they fell behind.
func (h *Hub) Dropped() uint64 { return h.dropped.Load() }

// Close unsubscribes, stops the batching goroutine and disconnects browsers.
func (h *Hub) Close() {
	for _, s := range h.subs {
		s.Unsubscribe()
	}
	h.stop()
	<-h.done
}

func (h *Hub) addSpikes(ev []stream.SpikeEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range ev {
		if h.rateHz == 0 && e.TimeS > 0 {
			h.rateHz = float64(e.SampleIndex) / e.TimeS // learn the rate from the events
		}
		if len(h.pending) >= maxSpikesPerFlush {
			h.dropped.Add(1)
			continue
		}
		h.pending = append(h.pending, spikeJSON{T: e.TimeS, Unit: e.UnitID, Ch: e.PeakChannel,
			Amp: e.AmplitudeUV, X: e.XUm, Y: e.YUm})
	}
}

func (h *Hub) addUnit(e stream.UnitEvent) {
	var tS float64
	h.mu.Lock()
	if h.rateHz > 0 {
		tS = float64(e.SampleIndex) / h.rateHz
	}
	h.mu.Unlock()
	msg, err := json.Marshal(struct {
		Type string  `json:"type"`
		TS   float64 `json:"t_s"`
		stream.UnitEvent
	}{"unit", tS, e})
	if err == nil {
		h.broadcast(msg)
	}
}

// run flushes pending spikes every flushEvery until ctx is done, then closes every client.
func (h *Hub) run(ctx context.Context) {
	defer close(h.done)
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			h.mu.Lock()
			for c := range h.clients {
				close(c)
				delete(h.clients, c)
			}
			h.mu.Unlock()
			return
		case <-tick.C:
			h.flush()
		}
	}
}

func (h *Hub) flush() {
	h.mu.Lock()
	batch := h.pending
	h.pending = nil
	h.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	msg, err := json.Marshal(struct {
		Type   string      `json:"type"`
		Spikes []spikeJSON `json:"spikes"`
	}{"spikes", batch})
	if err == nil {
		h.broadcast(msg)
	}
}

// broadcast queues msg for every client without blocking; a full client misses it.
func (h *Hub) broadcast(msg []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		select {
		case c <- msg:
		default:
			h.dropped.Add(1)
		}
	}
}

// Handler serves the page at / and the event stream at /events.
func (h *Hub) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	})
	mux.HandleFunc("GET /events", h.serveEvents)
	return mux
}

// serveEvents streams messages to one browser as server-sent events until it leaves or the
// hub closes.
func (h *Hub) serveEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	c := make(chan []byte, clientBuffer)
	h.mu.Lock()
	h.clients[c] = struct{}{}
	h.mu.Unlock()
	defer h.remove(c)

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	fmt.Fprintf(w, "event: hello\ndata: {\"stream\":%q}\n\n", h.stream)
	fl.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case msg, ok := <-c:
			if !ok {
				return
			}
			fmt.Fprintf(w, "data: %s\n\n", msg)
			fl.Flush()
		}
	}
}

func (h *Hub) remove(c chan []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c]; ok {
		delete(h.clients, c)
		close(c)
	}
}
