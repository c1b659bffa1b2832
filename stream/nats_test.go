package stream

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"net"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// testConn starts an in-process embedded server (no TCP) and closes it with the test.
func testConn(t *testing.T, opt ConnOptions) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Connect(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func testSubjects(t *testing.T, name string) Subjects {
	t.Helper()
	s, err := SubjectsFor(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConnectEmbedded(t *testing.T) {
	tests := []struct {
		name    string
		port    int
		wantURL bool
	}{{"in-process only", 0, false}, {"random TCP port", -1, true}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := testConn(t, ConnOptions{ListenPort: tc.port})
			if (c.URL() != "") != tc.wantURL || !c.Embedded() {
				t.Fatalf("URL %q embedded %v", c.URL(), c.Embedded())
			}
			got := make(chan string, 1)
			sub, err := c.NATS().Subscribe("x", func(m *nats.Msg) { got <- string(m.Data) })
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = sub.Unsubscribe() }()
			if err := c.NATS().Publish("x", []byte("hi")); err != nil {
				t.Fatal(err)
			}
			select {
			case s := <-got:
				if s != "hi" {
					t.Fatalf("got %q", s)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no message")
			}
			if tc.wantURL {
				// Another process would connect by URL; a second client stands in for it.
				nc, err := nats.Connect(c.URL())
				if err != nil {
					t.Fatalf("second client: %v", err)
				}
				nc.Close()
			}
			c.Close()
			c.Close() // safe twice
			if !c.NATS().IsClosed() {
				t.Fatal("connection still open after Close")
			}
		})
	}
}

// rawRecording returns n samples x ch channels of random int16, little-endian interleaved.
func rawRecording(ch, n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, 2*ch*n)
	for i := 0; i < len(b); i += 2 {
		binary.LittleEndian.PutUint16(b[i:], uint16(rng.Uint32()))
	}
	return b
}

// collect reads arrivals until end of stream, appending sample bytes; it releases them.
func collect(t *testing.T, fs *FrameSub, delay time.Duration) (data []byte, gaps int64,
	frames int) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case a, ok := <-fs.C():
			if !ok {
				t.Fatal("C closed before end of stream")
			}
			if a.EndOfStream {
				Release(a)
				return data, gaps, frames
			}
			frames++
			gaps += a.GapSamples
			data = putInt16sAppend(data, a.Frame.I16)
			Release(a)
			time.Sleep(delay)
		case <-timeout:
			t.Fatal("timed out waiting for end of stream")
		}
	}
}

func putInt16sAppend(dst []byte, x []int16) []byte {
	for _, v := range x {
		dst = binary.LittleEndian.AppendUint16(dst, uint16(v))
	}
	return dst
}

func TestReplayIntoFrameSub(t *testing.T) {
	tests := []struct {
		name     string
		ch, n    int
		speed    float64
		trailing int // bytes of a truncated last sample
		delay    time.Duration
		sub      SubOptions
		window   int
	}{
		{"max speed", 32, 3000, 0, 0, 0, SubOptions{}, 0},
		{"max speed truncated", 5, 1001, 0, 3, 0, SubOptions{}, 0},
		{"max speed slow consumer tiny queue", 16, 600, 0, 0, 200 * time.Microsecond,
			SubOptions{PendingFrames: 8, Buffer: 1, AckEvery: 2}, 4},
		{"real time 60 ms", 4, 1800, 1, 0, 0, SubOptions{}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := testConn(t, ConnOptions{})
			subj := testSubjects(t, "replay")
			fs, err := SubscribeFrames(context.Background(), c, subj, tc.sub)
			if err != nil {
				t.Fatal(err)
			}
			defer fs.Close()
			src := rawRecording(tc.ch, tc.n, 7)
			src = append(src, make([]byte, tc.trailing)...)

			var mu sync.Mutex
			var pubs []Published
			opt := ReplayOptions{Channels: tc.ch, SampleRateHz: 30000, UVPerUnit: 0.195,
				Speed: tc.speed, Window: tc.window, OnPublish: func(p Published) {
					mu.Lock()
					pubs = append(pubs, p)
					mu.Unlock()
				}}
			type result struct {
				st  ReplayStats
				err error
			}
			done := make(chan result, 1)
			go func() {
				st, err := Replay(context.Background(), c, subj, bytes.NewReader(src), opt)
				done <- result{st, err}
			}()
			got, gaps, frames := collect(t, fs, tc.delay)
			res := <-done

			checkReplay(t, res.st, res.err, tc.trailing, tc.n, frames)
			if !bytes.Equal(got, src[:len(src)-tc.trailing]) || gaps != 0 {
				t.Fatalf("received %d bytes (gaps %d), sent %d", len(got), gaps,
					len(src)-tc.trailing)
			}
			if st := fs.Stats(); st.ClientDropped+st.LostFrames+st.DecodeErrors != 0 {
				t.Fatalf("losses: %+v", st)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(pubs) != frames+1 || !pubs[len(pubs)-1].EndOfStream {
				t.Fatalf("OnPublish called %d times for %d frames + end", len(pubs), frames)
			}
			if tc.speed == 1 {
				checkPacing(t, pubs, res.st)
			}
		})
	}
}

func checkReplay(t *testing.T, st ReplayStats, err error, trailing, n, frames int) {
	t.Helper()
	if trailing > 0 && !errors.Is(err, ErrTruncated) || trailing == 0 && err != nil {
		t.Fatalf("replay error %v (trailing %d)", err, trailing)
	}
	if st.Samples != int64(n) || st.Frames != uint64(frames) || st.NextSample != int64(n) {
		t.Fatalf("stats %+v, want %d samples in %d frames", st, n, frames)
	}
	if want := (n + 29) / 30; frames != want {
		t.Fatalf("%d frames of 1 ms, want %d", frames, want)
	}
}

// checkPacing checks a Speed 1 replay kept to the sample clock.
func checkPacing(t *testing.T, pubs []Published, st ReplayStats) {
	t.Helper()
	first, last := pubs[0], pubs[len(pubs)-2]
	spanNs := last.NowNs - first.NowNs
	wantNs := int64(float64(last.FirstSample-first.FirstSample) * 1e9 / 30000)
	// A loaded machine may oversleep; the replay must then say so in MaxLateNs. Frames
	// never run ahead of the sample clock, and lateness does not accumulate.
	early := wantNs - spanNs - st.MaxLateNs
	late := spanNs - wantNs - st.MaxLateNs
	if early > int64(time.Millisecond) || late > 20*int64(time.Millisecond) {
		t.Fatalf("frames spread over %v, sample clock says %v", time.Duration(spanNs),
			time.Duration(wantNs))
	}
	s := last.FirstSample + 5
	// Samples are dated by the schedule: the frame's last sample at DueNs.
	if age := last.DueNs - last.AcquiredNs(s); age != int64(math.Round(24*1e9/30000.0)) {
		t.Fatalf("sample %d of frame %+v is %d ns old", s, last, age)
	}
	if last.DueNs > last.NowNs {
		t.Fatalf("frame published before it was due: %+v", last)
	}
	if st.Elapsed < 55*time.Millisecond {
		t.Fatalf("60 ms recording replayed in %v", st.Elapsed)
	}
}

func TestReplayOptionErrors(t *testing.T) {
	c := testConn(t, ConnOptions{})
	subj := testSubjects(t, "opts")
	good := ReplayOptions{Channels: 2, SampleRateHz: 1000, UVPerUnit: 1, Speed: 1}
	bad := []func(o *ReplayOptions){
		func(o *ReplayOptions) { o.Channels = 0 },
		func(o *ReplayOptions) { o.SampleRateHz = math.Inf(1) },
		func(o *ReplayOptions) { o.UVPerUnit = 0 },
		func(o *ReplayOptions) { o.Speed = -1 },
		func(o *ReplayOptions) { o.FrameMs = -1 },
	}
	for i, edit := range bad {
		o := good
		edit(&o)
		_, err := Replay(context.Background(), c, subj, bytes.NewReader(nil), o)
		if !errors.Is(err, ErrBadOptions) {
			t.Errorf("case %d: got %v", i, err)
		}
	}
}

// publishFrame encodes and publishes f on subj.Raw.
func publishFrame(t *testing.T, c *Conn, subj Subjects, f *Frame) {
	t.Helper()
	b, err := EncodeFrame(nil, f)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.NATS().Publish(subj.Raw, b); err != nil {
		t.Fatal(err)
	}
}

func recv(t *testing.T, fs *FrameSub) *Arrival {
	t.Helper()
	select {
	case a := <-fs.C():
		return a
	case <-time.After(5 * time.Second):
		t.Fatal("no arrival")
		return nil
	}
}

func TestFrameSubBadInput(t *testing.T) {
	c := testConn(t, ConnOptions{})
	subj := testSubjects(t, "bad")
	events := make(chan ErrorEvent, 64)
	if _, err := SubscribeErrors(c, subj, func(e ErrorEvent) { events <- e }); err != nil {
		t.Fatal(err)
	}
	fs, err := SubscribeFrames(context.Background(), c, subj, SubOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	fl := func(seq uint64, first int64, x ...float32) *Frame {
		return &Frame{Seq: seq, FirstSample: first, Channels: 2, SamplesPerChannel: len(x) / 2,
			Type: Float32, UVPerUnit: 1, SampleRateHz: 1000, F32: x}
	}
	nan, inf := float32(math.NaN()), float32(math.Inf(-1))
	publishFrame(t, c, subj, fl(1, 0, 1, 2, 3, 4))
	_ = c.NATS().Publish(subj.Raw, []byte("garbage"))
	publishFrame(t, c, subj, fl(1, 0, 1, 2, 3, 4)) // duplicate
	publishFrame(t, c, subj, &Frame{Seq: 2, FirstSample: 2, Channels: 3, SamplesPerChannel: 1,
		Type: Float32, UVPerUnit: 1, SampleRateHz: 1000, F32: []float32{1, 2, 3}}) // channels
	publishFrame(t, c, subj, fl(3, 5, nan, 2, 3, inf)) // lost seq 2, 3 samples skipped

	a1, a2 := recv(t, fs), recv(t, fs)
	if a1.Frame.Seq != 1 || a1.GapSamples != 0 || a2.Frame.Seq != 3 || a2.GapSamples != 3 {
		t.Fatalf("arrivals %+v %+v", a1, a2)
	}
	if a2.Frame.F32[0] != 0 || a2.Frame.F32[3] != 0 || a2.Frame.F32[1] != 2 {
		t.Fatalf("non-finite samples not replaced: %v", a2.Frame.F32)
	}
	Release(a1)
	Release(a2)
	want := FrameStats{Frames: 2, DecodeErrors: 1, Duplicates: 1, ChannelMismatch: 1,
		LostFrames: 1, GapSamples: 3, NonFiniteSamples: 2}
	got := fs.Stats()
	got.Bytes, got.Acks, got.BlockedNs = 0, 0, 0
	if got != want {
		t.Fatalf("stats\n got %+v\nwant %+v", got, want)
	}
	checkErrorEvents(t, events, []string{"decode", "duplicate", "channels", "seq_gap",
		"sample_gap", "non_finite"})
}

func checkErrorEvents(t *testing.T, events chan ErrorEvent, kinds []string) {
	t.Helper()
	seen := map[string]bool{}
	deadline := time.After(5 * time.Second)
	for len(seen) < len(kinds) {
		select {
		case e := <-events:
			if e.Count == 0 || e.Detail == "" {
				t.Fatalf("empty error event %+v", e)
			}
			seen[e.Kind] = true
		case <-deadline:
			t.Fatalf("error events seen %v, want %v", seen, kinds)
		}
	}
	for _, k := range kinds {
		if !seen[k] {
			t.Fatalf("no %q error event; saw %v", k, seen)
		}
	}
}

func TestFrameSubStopsAndClosesC(t *testing.T) {
	c := testConn(t, ConnOptions{})
	subj := testSubjects(t, "stop")
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	fs, err := SubscribeFrames(ctx, c, subj, SubOptions{Buffer: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 { // fill C and block the goroutine on it
		publishFrame(t, c, subj, &Frame{Seq: uint64(i + 1), FirstSample: int64(i),
			Channels: 1, SamplesPerChannel: 1, Type: Int16, UVPerUnit: 1, SampleRateHz: 1,
			I16: []int16{1}})
	}
	time.Sleep(20 * time.Millisecond)
	cancel()
	for range fs.C() { // must end: C is closed once the goroutine stops
	}
	fs.Close()
	waitGoroutines(t, before)
}

// waitGoroutines fails when the goroutine count stays above before.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	for range 100 {
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%d goroutines, %d before", runtime.NumGoroutine(), before)
}

func TestEventPublishSubscribe(t *testing.T) {
	c := testConn(t, ConnOptions{MaxPayloadBytes: 4096})
	subj := testSubjects(t, "events")
	var mu sync.Mutex
	var spikes []SpikeEvent
	var units []UnitEvent
	var jsonSpikes int
	_, err := SubscribeSpikes(c, subj, func(s []SpikeEvent) {
		mu.Lock()
		spikes = append(spikes, s...)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = SubscribeUnits(c, subj, func(e UnitEvent) {
		e.Related = append([]uint32(nil), e.Related...)
		e.Backfill = append([]SpikeRef(nil), e.Backfill...)
		mu.Lock()
		units = append(units, e)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.NATS().Subscribe(subj.SpikesJSON+".>", nil) // unrelated: must not match
	jsub, _ := c.NATS().Subscribe(subj.SpikesJSON, func(m *nats.Msg) {
		var b SpikeBatch
		if err := json.Unmarshal(m.Data, &b); err != nil {
			t.Errorf("spikes.json: %v", err)
		}
		mu.Lock()
		jsonSpikes += len(b.Spikes)
		mu.Unlock()
	})
	defer func() { _ = jsub.Unsubscribe() }()

	p := NewEventPublisher(c, subj, PubOptions{JSONMirror: true})
	sent := testSpikes(300) // 300 x 48 bytes > 4096: split into several batches
	u := testUnitEvent()
	if err := p.PublishSpikes(sent); err != nil {
		t.Fatal(err)
	}
	if err := p.PublishUnit(u); err != nil {
		t.Fatal(err)
	}
	_ = c.NATS().Publish(subj.Spikes, []byte("junk"))
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	wantBatches := (300 + 84) / 85 // (4096-24)/48 = 84 spikes per message
	waitFor(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(spikes) == 300 && len(units) == 1 && jsonSpikes == 300 &&
			c.Stats().EventDecodeErrors == 1
	})
	if st := p.Stats(); st.Batches != uint64(wantBatches) || st.Spikes != 300 || st.Units != 1 {
		t.Fatalf("publisher stats %+v", st)
	}
	mu.Lock()
	defer mu.Unlock()
	for i := range sent {
		if spikes[i] != sent[i] {
			t.Fatalf("spike %d: got %+v want %+v", i, spikes[i], sent[i])
		}
	}
	if units[0].UnitID != u.UnitID || len(units[0].Backfill) != 3 || units[0].Related[1] != 99 {
		t.Fatalf("unit event %+v", units[0])
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 500 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition not met within 5 s")
}

// freePort returns a TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startServer(t *testing.T, port int) *server.Server {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, NoLog: true,
		NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(5 * time.Second) {
		t.Fatal("server not ready")
	}
	return s
}

func TestReconnectAfterServerRestart(t *testing.T) {
	port := freePort(t)
	srv := startServer(t, port)
	c := testConn(t, ConnOptions{URL: srv.ClientURL(), ReconnectWait: 20 * time.Millisecond})
	if c.Embedded() {
		t.Fatal("URL given, yet embedded")
	}
	got := make(chan struct{}, 16)
	if _, err := c.NATS().Subscribe("ping", func(*nats.Msg) { got <- struct{}{} }); err != nil {
		t.Fatal(err)
	}

	srv.Shutdown()
	srv.WaitForShutdown()
	waitFor(t, func() bool { return c.Stats().Disconnects >= 1 })
	srv = startServer(t, port)
	defer srv.Shutdown()
	waitFor(t, func() bool { return c.Stats().Reconnects >= 1 })

	if err := c.NATS().Publish("ping", nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-got: // the subscription was restored on the new server
	case <-time.After(5 * time.Second):
		t.Fatal("no message after reconnect")
	}
	if st := c.Stats(); st.Disconnects != 1 || st.Reconnects != 1 {
		t.Fatalf("stats %+v, want one disconnect and one reconnect", st)
	}
}

func BenchmarkFrameSubNeuropixels1ms(b *testing.B) {
	c, err := Connect(context.Background(), ConnOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	subj, _ := SubjectsFor("bench")
	fs, err := SubscribeFrames(context.Background(), c, subj, SubOptions{NoAck: true})
	if err != nil {
		b.Fatal(err)
	}
	defer fs.Close()
	f := npFrame(1)
	buf, _ := EncodeFrame(nil, f)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = EncodeFrame(buf[:0], f)
		if err := c.NATS().Publish(subj.Raw, buf); err != nil {
			b.Fatal(err)
		}
		Release(<-fs.C())
		f.Seq++
		f.FirstSample += 30
	}
}

func TestFrameSubCountsClientDrops(t *testing.T) {
	// A live source does not wait: past the client-side queue, frames are dropped by the
	// NATS client, and the drops show up in the counters, the seq gaps and an error event.
	c := testConn(t, ConnOptions{})
	subj := testSubjects(t, "drops")
	events := make(chan ErrorEvent, 64)
	if _, err := SubscribeErrors(c, subj, func(e ErrorEvent) { events <- e }); err != nil {
		t.Fatal(err)
	}
	fs, err := SubscribeFrames(context.Background(), c, subj,
		SubOptions{PendingFrames: 4, Buffer: 1, AckInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	frame := func(i int) *Frame {
		return &Frame{Seq: uint64(i + 1), FirstSample: int64(i), Channels: 1,
			SamplesPerChannel: 1, Type: Int16, UVPerUnit: 1, SampleRateHz: 1, I16: []int16{1}}
	}
	const sent = 200
	for i := range sent {
		publishFrame(t, c, subj, frame(i))
	}
	if err := c.NATS().Flush(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	got := drainIdle(fs, 200*time.Millisecond)
	publishFrame(t, c, subj, frame(sent)) // a frame after any dropped tail shows its gap
	Release(recv(t, fs))
	st := fs.Stats()
	if st.ClientDropped == 0 || uint64(got)+st.ClientDropped != sent ||
		st.LostFrames != st.ClientDropped || st.GapSamples != st.ClientDropped ||
		c.Stats().SlowConsumers == 0 {
		t.Fatalf("received %d of %d; frame stats %+v; conn %+v", got, sent, st, c.Stats())
	}
	checkErrorEvents(t, events, []string{"client_dropped", "seq_gap"})
}

// drainIdle takes and releases arrivals until none comes for idle; it returns the count.
func drainIdle(fs *FrameSub, idle time.Duration) int {
	n := 0
	for {
		select {
		case a := <-fs.C():
			n++
			Release(a)
		case <-time.After(idle):
			return n
		}
	}
}

func TestPublishErrorsWrapSentinels(t *testing.T) {
	c := testConn(t, ConnOptions{MaxPayloadBytes: 1024})
	subj := testSubjects(t, "limits")
	_, err := Replay(context.Background(), c, subj, bytes.NewReader(nil),
		ReplayOptions{Channels: 384, SampleRateHz: 30000, UVPerUnit: 1, Speed: 1})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize frames: got %v, want ErrTooLarge", err)
	}
	p := NewEventPublisher(c, subj, PubOptions{})
	c.Close()
	if err := p.PublishSpikes(testSpikes(1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("publish after Close: got %v, want ErrClosed", err)
	}
	if err := p.PublishError("", "x", 0); !errors.Is(err, ErrBadHeader) {
		t.Fatalf("empty kind: got %v", err)
	}
}

func TestConnectCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	for _, port := range []int{0, -1} {
		c, err := Connect(context.Background(), ConnOptions{ListenPort: port})
		if err != nil {
			t.Fatal(err)
		}
		fs, err := SubscribeFrames(context.Background(), c, testSubjects(t, "leak"),
			SubOptions{})
		if err != nil {
			t.Fatal(err)
		}
		fs.Close()
		c.Close()
	}
	waitGoroutines(t, before)
}

func TestConnectUnreachableURL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	url := "nats://127.0.0.1:" + strconv.Itoa(freePort(t))
	if c, err := Connect(ctx, ConnOptions{URL: url}); err == nil {
		c.Close()
		t.Fatal("connected to a port nobody listens on")
	}
}
