package stream

import (
	"bytes"
	"context"
	"testing"

	"github.com/nats-io/nats.go"
	"time"
)

func TestAckTrackerEffectiveAck(t *testing.T) {
	tr := newAckTracker(time.Second)
	steps := []struct {
		published uint64
		ack       Ack
		nowNs     int64
		wantLow   uint64
		wantLive  int
	}{
		{0, Ack{ConsumerID: 1, Seq: 0}, 0, 0, 1},                        // hello before any frame
		{10, Ack{ConsumerID: 1, Seq: 8}, 1, 8, 1},                       // normal progress
		{10, Ack{ConsumerID: 2, Seq: 5000, EndOfStream: true}, 2, 8, 2}, // previous recording
		{40, Ack{ConsumerID: 2, Seq: 5000, EndOfStream: true}, 3, 8, 2}, // still idle: join 10
		{40, Ack{ConsumerID: 1, Seq: 40}, 4, 10, 2},
		{50, Ack{ConsumerID: 3, Seq: 0}, 5, 10, 3},    // late joiner starts at 50
		{50, Ack{ConsumerID: 2, Seq: 50}, 6, 40, 3},   // 2 caught up; 1 lowest
		{50, Ack{ConsumerID: 1, Seq: 50}, 2e9, 50, 1}, // 2 and 3 went stale
	}
	for i, s := range steps {
		tr.published.Store(s.published)
		tr.update(s.ack, s.nowNs)
		low, live := tr.lowest(s.nowNs)
		if low != s.wantLow || live != s.wantLive {
			t.Fatalf("step %d: low %d live %d, want %d %d", i, low, live, s.wantLow,
				s.wantLive)
		}
	}
}

func TestReplayTwiceAndLateConsumer(t *testing.T) {
	c := testConn(t, ConnOptions{})
	subj := testSubjects(t, "twice")
	first, err := SubscribeFrames(context.Background(), c, subj, SubOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	opt := ReplayOptions{Channels: 8, SampleRateHz: 30000, UVPerUnit: 1}
	for run := range 2 {
		src := rawRecording(8, 9000, uint64(run))
		done := make(chan error, 1)
		go func() {
			_, err := Replay(context.Background(), c, subj, bytes.NewReader(src), opt)
			done <- err
		}()
		lateDone := make(chan int, 1)
		if run == 1 {
			late, err := SubscribeFrames(context.Background(), c, subj, SubOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer late.Close()
			go func() { // it sees a suffix of the run, then the end
				var n int
				for a := range late.C() {
					n += len(a.Frame.I16)
					if a.EndOfStream {
						break
					}
				}
				lateDone <- n
			}()
		}
		got, _, _ := collect(t, first, 0)
		if err := <-done; err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if !bytes.Equal(got, src) {
			t.Fatalf("run %d: received %d bytes of %d", run, len(got), len(src))
		}
		if run == 1 && <-lateDone > len(src)/2 {
			t.Fatal("late consumer saw more samples than were sent")
		}
	}
	if st := first.Stats(); st.EndOfStreams != 2 || st.LostFrames != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestReplayWaitsForStalledConsumer(t *testing.T) {
	// The consumer stops reading for longer than StaleAfter; its heartbeats continue while
	// it is blocked, so the replayer waits instead of overrunning its small queue.
	c := testConn(t, ConnOptions{})
	subj := testSubjects(t, "stall")
	fs, err := SubscribeFrames(context.Background(), c, subj,
		SubOptions{PendingFrames: 8, Buffer: 1, AckInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	src := rawRecording(4, 3000, 3)
	done := make(chan error, 1)
	go func() {
		_, err := Replay(context.Background(), c, subj, bytes.NewReader(src),
			ReplayOptions{Channels: 4, SampleRateHz: 30000, UVPerUnit: 1, Window: 4,
				StaleAfter: 50 * time.Millisecond})
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	got, _, _ := collect(t, fs, 0)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, src) || fs.Stats().ClientDropped != 0 {
		t.Fatalf("received %d of %d bytes, stats %+v", len(got), len(src), fs.Stats())
	}
}

func TestRealTimeReplayResendsUnackedEnd(t *testing.T) {
	// A hand-made consumer "loses" the first end-of-stream frame and acks the second.
	c := testConn(t, ConnOptions{})
	subj := testSubjects(t, "resend")
	nc := c.NATS()
	var ends int
	sub, err := nc.Subscribe(subj.Raw, func(m *nats.Msg) {
		var f Frame
		if DecodeFrame(m.Data, &f) != nil || !f.EndOfStream {
			return
		}
		if ends++; ends == 2 {
			_ = nc.Publish(subj.Ack, EncodeAck(nil, Ack{ConsumerID: 9, Seq: f.Seq,
				EndOfStream: true}))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	hello := func() { _ = nc.Publish(subj.Ack, EncodeAck(nil, Ack{ConsumerID: 9})) }

	src := rawRecording(2, 300, 5) // 10 ms
	st, err := Replay(context.Background(), c, subj, bytes.NewReader(src),
		ReplayOptions{Channels: 2, SampleRateHz: 30000, UVPerUnit: 1, Speed: 1,
			OnPublish: func(p Published) {
				if p.Seq == 1 {
					hello()
				}
			}})
	if err != nil {
		t.Fatal(err)
	}
	if st.EndResends != 1 || ends != 2 {
		t.Fatalf("%d resends, consumer saw %d ends; want 1 and 2", st.EndResends, ends)
	}
}
