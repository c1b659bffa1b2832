package app

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/stream"
)

func natsServer(t *testing.T, port int) *server.Server {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, NoLog: true,
		NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(5 * time.Second) {
		t.Fatal("nats server not ready")
	}
	return s
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// A live sort against an external server survives the server's restart in mid-stream: the
// sorter and the replayer reconnect, the stream resumes (any frames lost in the outage are
// counted and the filters reset across the gap), and spikes after the restart are still
// detected and labelled.
func TestLiveSortSurvivesServerRestart(t *testing.T) {
	rec := simulate(t, probe.Tetrode(), 4, 6, 21)
	port := freePort(t)
	srv := natsServer(t, port)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	opts := stream.ConnOptions{URL: srv.ClientURL(), ReconnectWait: 50 * time.Millisecond}
	sortConn, err := stream.Connect(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer sortConn.Close()
	pubConn, err := stream.Connect(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer pubConn.Close()

	srt, err := NewSorter(ctx, sortConn, SorterConfig{Stream: "restart", Probe: rec.Probe,
		Method: Baseline})
	if err != nil {
		t.Fatal(err)
	}
	col, err := NewCollector(sortConn, srt.Subjects(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer col.Close()
	done := make(chan error, 1)
	go func() { done <- srt.Run(ctx) }()
	go func() {
		stream.Replay(ctx, pubConn, srt.Subjects(), NewInt16Reader(rec.Samples),
			stream.ReplayOptions{Channels: 4, SampleRateHz: rec.SampleRateHz,
				UVPerUnit: float32(rec.UVPerBit), Speed: 1})
	}()

	time.Sleep(2 * time.Second)
	srv.Shutdown()
	srv.WaitForShutdown()
	time.Sleep(300 * time.Millisecond)
	srv = natsServer(t, port)
	defer srv.Shutdown()

	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("sorter did not reach the end of the stream after the restart")
	}
	if st := sortConn.Stats(); st.Reconnects < 1 {
		t.Errorf("sorter connection did not reconnect: %+v", st)
	}
	fs := srt.FrameStats()
	t.Logf("after restart: %s; %d spikes published", BusSummary(fs), srt.Published())
	if fs.EndOfStreams != 1 {
		t.Errorf("end of stream not seen: %+v", fs)
	}
	if err := col.Wait(ctx, srt.Published(), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	after := 0
	for _, e := range col.Events() {
		if e.TimeS > 3 {
			after++
		}
	}
	if after == 0 {
		t.Errorf("no spike events after the restart (of %d)", srt.Published())
	}
}
