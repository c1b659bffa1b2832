package assign

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/spikestream/spikestream/pipeline"
	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/stream"
)

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		p    *probe.Probe
		want error
	}{
		{"defaults", Config{}, probe.Tetrode(), nil},
		{"no probe", Config{}, nil, ErrNoProbe},
		{"empty probe", Config{}, &probe.Probe{}, ErrNoProbe},
		{"dim too large", Config{Dim: MaxDim + 1}, probe.Tetrode(), ErrBadConfig},
		{"negative radius", Config{NeighbourRadiusUm: -1}, probe.Tetrode(), ErrBadConfig},
		{"NaN tau", Config{CentroidTauS: math.NaN()}, probe.Tetrode(), ErrBadConfig},
		{"tiny MinSpikes", Config{MinSpikes: 2}, probe.Tetrode(), ErrBadConfig},
		{"negative pool", Config{PoolSize: -1}, probe.Tetrode(), ErrBadConfig},
		{"ring too small", Config{RecentSpikes: 40}, probe.Tetrode(), ErrBadConfig},
		{"merge above split", Config{MergeDPrime: 5}, probe.Tetrode(), ErrBadConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := New(tc.cfg, tc.p, nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("New: error %v, want %v", err, tc.want)
			}
			if (o != nil) != (tc.want == nil) {
				t.Fatalf("New returned %v with error %v", o, err)
			}
		})
	}
}

func TestAssignRejectsBadSpikes(t *testing.T) {
	o, err := New(Config{Dim: 4}, probe.Tetrode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		sp   pipeline.Spike
		ok   bool
	}{
		{"good", pipeline.Spike{Embedding: []float32{1, 2, 3, 4}}, true},
		{"wrong dim", pipeline.Spike{Embedding: []float32{1, 2, 3}}, false},
		{"no embedding", pipeline.Spike{}, false},
		{"NaN embedding", pipeline.Spike{Embedding: []float32{1, float32(math.NaN()), 3, 4}},
			false},
		{"Inf position", pipeline.Spike{Embedding: []float32{1, 2, 3, 4},
			XUm: float32(math.Inf(1))}, false},
		{"NaN amplitude", pipeline.Spike{Embedding: []float32{1, 2, 3, 4},
			AmplitudeUV: float32(math.NaN())}, false},
	}
	for _, tc := range tests {
		before := o.Stats()
		tc.sp.Unit = 99
		o.Assign(&tc.sp)
		after := o.Stats()
		if tc.sp.Unit != 0 {
			t.Errorf("%s: unit %d, want 0", tc.name, tc.sp.Unit)
		}
		if got := after.Rejected - before.Rejected; got != map[bool]uint64{true: 0, false: 1}[tc.ok] {
			t.Errorf("%s: rejected count +%d", tc.name, got)
		}
		if got := after.Unassigned - before.Unassigned; got != map[bool]uint64{true: 1}[tc.ok] {
			t.Errorf("%s: unassigned count +%d", tc.name, got)
		}
	}
}

func TestPoolOverflowIsCounted(t *testing.T) {
	const size, n = 64, 200
	o, err := New(Config{PoolSize: size, ClusterEveryS: 1e6}, probe.Poly32(), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < n; i++ {
		sp := pipeline.Spike{Embedding: []float32{r.Float32(), r.Float32()},
			XUm: 10, YUm: 10 * float32(i), AmplitudeUV: 50}
		sp.Sample = int64(i)
		o.Assign(&sp)
	}
	st := o.Stats()
	if st.PoolSize != size || st.PoolDrops != n-size || st.Unassigned != n {
		t.Fatalf("pool %d drops %d unassigned %d, want %d %d %d",
			st.PoolSize, st.PoolDrops, st.Unassigned, size, n-size, n)
	}
	o.mu.Lock()
	oldest := o.pool.at(0).seq
	o.mu.Unlock()
	if oldest != n-size+1 {
		t.Errorf("oldest pooled spike is #%d, want #%d (overflow drops the oldest)",
			oldest, n-size+1)
	}
}

func TestRunStopsAndPasses(t *testing.T) {
	base := runtime.NumGoroutine()
	var mu sync.Mutex
	var created int
	sink := func(ev stream.UnitEvent) {
		mu.Lock()
		defer mu.Unlock()
		if ev.Kind == stream.UnitCreated {
			created++
		}
	}
	o, err := New(Config{}, probe.Poly32(), sink)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- o.Run(ctx) }()
	waitFor(t, func() bool { return o.active.Load() })
	if err := o.Run(ctx); !errors.Is(err, ErrRunning) {
		t.Errorf("second Run: %v, want ErrRunning", err)
	}

	units := staticUnits(1, 3, 8)
	for _, s := range genStream(2, units, 30, 8) {
		o.Assign(&s.sp)
	}
	waitFor(t, func() bool { return o.Stats().UnitsLive == 3 })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v after cancel, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	mu.Lock()
	if created != 3 {
		t.Errorf("%d UnitCreated events, want 3", created)
	}
	mu.Unlock()
	waitFor(t, func() bool { return runtime.NumGoroutine() <= base })
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); {
		if cond() {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatal("condition not reached within 5 s")
}

func TestIDsNeverReused(t *testing.T) {
	const dim = 8
	units := staticUnits(21, 6, dim)
	units[0].stopS = 20  // retired
	units[1].startS = 60 // created late
	spikes := genStream(22, units, 200, dim)
	_, rc := runSync(t, Config{RetireAfterS: 30}, probe.Poly32(), spikes)
	seen := map[uint32]bool{}
	var last uint32
	for _, ev := range rc.events {
		if ev.Kind != stream.UnitCreated && ev.Kind != stream.UnitSplit {
			continue
		}
		if seen[ev.UnitID] || ev.UnitID <= last {
			t.Errorf("id %d announced again or out of order (last %d)", ev.UnitID, last)
		}
		seen[ev.UnitID], last = true, ev.UnitID
	}
	retired := rc.kinds(stream.UnitRetired)
	if len(retired) == 0 {
		t.Fatalf("no unit retired after its source stopped; events %d", len(rc.events))
	}
	labels := rc.finalLabels(spikes)
	gone := retired[0].UnitID
	for i, s := range spikes {
		if float64(s.sp.Sample)/synthRateHz > 60 && labels[i] == gone {
			t.Fatalf("retired id %d used again at sample %d", gone, s.sp.Sample)
		}
	}
}
