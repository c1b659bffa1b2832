package pipeline

import (
	"context"
	"math"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/stream"
)

// peakEmbedder embeds a snippet as its peak channel's trough depth: enough for tests.
type peakEmbedder struct{}

func (peakEmbedder) Dim() int { return 1 }
func (peakEmbedder) Embed(s *Snippet, dst []float32) {
	dst[0] = -s.At(0, s.Pre)
}

// channelAssigner labels a spike with its peak channel + 1.
type channelAssigner struct{}

func (channelAssigner) Assign(sp *Spike) { sp.Unit = uint32(sp.PeakChannel + 1) }

type collectOutput struct {
	mu     sync.Mutex
	events []stream.SpikeEvent
}

func (c *collectOutput) Spikes(b []stream.SpikeEvent) error {
	c.mu.Lock()
	c.events = append(c.events, b...)
	c.mu.Unlock()
	return nil
}

// frames cuts an int16 recording into arrivals of frameSamples samples per channel.
func frames(samples []int16, nch int, rateHz float64, frameSamples int) []*stream.Arrival {
	var out []*stream.Arrival
	n := len(samples) / nch
	for k, seq := 0, uint64(0); k < n; k, seq = k+frameSamples, seq+1 {
		m := min(frameSamples, n-k)
		out = append(out, &stream.Arrival{
			ArrivalNs: stream.NowNs(),
			Frame: stream.Frame{Seq: seq, FirstSample: int64(k), Channels: nch,
				SamplesPerChannel: m, Type: stream.Int16, UVPerUnit: 1, SampleRateHz: rateHz,
				I16: samples[k*nch : (k+m)*nch]},
		})
	}
	return out
}

func runPipeline(t *testing.T, p *probe.Probe, rateHz float64, arrivals []*stream.Arrival) (
	*collectOutput, *Metrics) {
	t.Helper()
	out := &collectOutput{}
	m := NewMetrics(nil, "test")
	pl, err := New(Config{}, Deps{Probe: p, SampleRateHz: rateHz, Embedder: peakEmbedder{},
		Assigner: channelAssigner{}, Output: out, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	in := make(chan *stream.Arrival, 8)
	go func() {
		for _, a := range arrivals {
			in <- a
		}
		close(in)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := pl.Run(ctx, in); err != nil {
		t.Fatal(err)
	}
	return out, m
}

func matchCount(truth []int64, events []stream.SpikeEvent, tol int64) int {
	hit := 0
	for _, s := range truth {
		for _, e := range events {
			if d := e.SampleIndex - s; d >= -tol && d <= tol {
				hit++
				break
			}
		}
	}
	return hit
}

func TestPipelineLabelsInjectedSpikes(t *testing.T) {
	before := runtime.NumGoroutine()
	p := probe.Tetrode()
	const rateHz = 30000
	samples, truth := synthRecording(p, rateHz, 1, 10, 120, 9)
	out, m := runPipeline(t, p, rateHz, frames(samples, 4, rateHz, 30))

	tol := int64(math.Round(0.4e-3 * rateHz))
	if hit := matchCount(truth, out.events, tol); hit < len(truth)*97/100 {
		t.Errorf("%d of %d injected spikes came out within 0.4 ms", hit, len(truth))
	}
	if extra := len(out.events) - len(truth); extra > len(truth)/50 {
		t.Errorf("%d events for %d spikes", len(out.events), len(truth))
	}
	for _, e := range out.events {
		if e.UnitID != uint32(e.PeakChannel)+1 || e.AmplitudeUV <= 0 {
			t.Fatalf("bad event %+v", e)
		}
	}
	if got := testutil.ToFloat64(m.Spikes); int(got) != len(out.events) {
		t.Errorf("spikes counter %g, events %d", got, len(out.events))
	}
	time.Sleep(50 * time.Millisecond)
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("goroutines: %d before, %d after", before, after)
	}
}

// A gap resets the filters and detection: spikes after the gap still come out and the
// reset is counted; a frame of the wrong shape is dropped and counted.
func TestPipelineGapAndBadFrame(t *testing.T) {
	p := probe.Tetrode()
	const rateHz = 30000
	samples, truth := synthRecording(p, rateHz, 1, 10, 120, 10)
	arr := frames(samples, 4, rateHz, 30)
	// Lose 100 ms in the middle.
	arr = append(arr[:400], arr[500:]...)
	arr[400].GapSamples = 3000
	bad := *arr[10]
	bad.Frame.Channels = 3
	arr = append(arr[:11], append([]*stream.Arrival{&bad}, arr[11:]...)...)

	out, m := runPipeline(t, p, rateHz, arr)
	var after []int64
	for _, s := range truth {
		if s > 15000+3000 {
			after = append(after, s)
		}
	}
	if hit := matchCount(after, out.events, 12); hit < len(after)*95/100 {
		t.Errorf("after the gap: %d of %d spikes", hit, len(after))
	}
	if r := testutil.ToFloat64(m.Resets); r != 2 {
		t.Errorf("resets %g, want 2 (start and gap)", r)
	}
	if d := testutil.ToFloat64(m.Drops.WithLabelValues(DropBadFrame)); d != 1 {
		t.Errorf("bad frames %g, want 1", d)
	}
}

func TestPipelineRejectsBadDeps(t *testing.T) {
	if _, err := New(Config{}, Deps{}); err == nil {
		t.Error("empty deps accepted")
	}
	_, err := New(Config{}, Deps{Probe: probe.Tetrode(), SampleRateHz: 5000,
		Embedder: peakEmbedder{}, Assigner: channelAssigner{}, Output: &collectOutput{}})
	if err == nil {
		t.Error("5 kHz accepted")
	}
}

// BenchmarkPipeline384 runs 1 s of a 384-channel recording through every stage (with
// trivial embedder and assigner) from in-memory frames; x_realtime is recording seconds
// per wall second.
func BenchmarkPipeline384(b *testing.B) {
	p := probe.Neuropixels1()
	const rateHz = 30000
	samples, _ := synthRecording(p, rateHz, 1, 10, 100, 4)
	arr := frames(samples, 384, rateHz, 30)
	b.ReportAllocs()
	var elapsed time.Duration
	for b.Loop() {
		pl, err := New(Config{}, Deps{Probe: p, SampleRateHz: rateHz, Embedder: peakEmbedder{},
			Assigner: channelAssigner{}, Output: &collectOutput{}})
		if err != nil {
			b.Fatal(err)
		}
		in := make(chan *stream.Arrival, 16)
		go func() {
			for _, a := range arr {
				in <- a
			}
			close(in)
		}()
		start := time.Now()
		if err := pl.Run(context.Background(), in); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "x_realtime")
}
