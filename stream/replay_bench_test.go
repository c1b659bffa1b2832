package stream

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"
)

// BenchmarkReplayMaxSpeedNeuropixels replays 1 s of 384-channel, 30 kHz int16 data at
// Speed 0 through an in-process server into a FrameSub whose consumer releases every
// arrival. It reports how many times faster than real time the bus runs.
func BenchmarkReplayMaxSpeedNeuropixels(b *testing.B) {
	c, err := Connect(context.Background(), ConnOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	subj, _ := SubjectsFor("benchreplay")
	fs, err := SubscribeFrames(context.Background(), c, subj, SubOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer fs.Close()
	go func() {
		for a := range fs.C() {
			Release(a)
		}
	}()
	src := rawRecording(384, 30000, 1)
	opt := ReplayOptions{Channels: 384, SampleRateHz: 30000, UVPerUnit: 2.34}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	var elapsed time.Duration
	for b.Loop() {
		st, err := Replay(context.Background(), c, subj, bytes.NewReader(src), opt)
		if err != nil {
			b.Fatal(err)
		}
		elapsed += st.Elapsed
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "x_realtime")
}

// BenchmarkFrameHopLatency measures publish-to-arrival time of 1 ms Neuropixels frames
// over an in-process server, one frame in flight at a time, and reports the median.
func BenchmarkFrameHopLatency(b *testing.B) {
	c, err := Connect(context.Background(), ConnOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	subj, _ := SubjectsFor("benchhop")
	fs, err := SubscribeFrames(context.Background(), c, subj, SubOptions{NoAck: true})
	if err != nil {
		b.Fatal(err)
	}
	defer fs.Close()
	f := npFrame(1)
	var buf []byte
	var hops []int64
	for b.Loop() {
		buf, _ = EncodeFrame(buf[:0], f)
		t0 := NowNs()
		if err := c.NATS().Publish(subj.Raw, buf); err != nil {
			b.Fatal(err)
		}
		a := <-fs.C()
		hops = append(hops, a.ArrivalNs-t0)
		Release(a)
		f.Seq++
		f.FirstSample += 30
	}
	slices.Sort(hops)
	b.ReportMetric(float64(hops[len(hops)/2])/1e3, "median_us")
	b.ReportMetric(float64(hops[len(hops)*99/100])/1e3, "p99_us")
}
