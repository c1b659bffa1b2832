package stream

import (
	"errors"
	"math"
	"testing"
)

func TestSubjectsFor(t *testing.T) {
	s, err := SubjectsFor("probe-A_1")
	if err != nil {
		t.Fatal(err)
	}
	want := Subjects{Stream: "probe-A_1", Raw: "spikestream.probe-A_1.raw",
		Spikes: "spikestream.probe-A_1.spikes", SpikesJSON: "spikestream.probe-A_1.spikes.json",
		Units: "spikestream.probe-A_1.units", UnitsJSON: "spikestream.probe-A_1.units.json",
		Errors: "spikestream.probe-A_1.errors", Ack: "spikestream.probe-A_1.ack"}
	if s != want {
		t.Fatalf("got %+v", s)
	}
	long := string(make([]byte, MaxStreamNameBytes+1))
	for _, bad := range []string{"", "a.b", "*", ">", "a b", "tab\t", "é", long} {
		if _, err := SubjectsFor(bad); !errors.Is(err, ErrBadStreamName) {
			t.Errorf("%q: got %v, want ErrBadStreamName", bad, err)
		}
	}
}

// vf builds a frame header for validator tests: seq, first sample, 4 channels x 10.
func vf(seq uint64, first int64) *Frame {
	return &Frame{Seq: seq, FirstSample: first, Channels: 4, SamplesPerChannel: 10,
		Type: Int16, UVPerUnit: 0.195, SampleRateHz: 30000}
}

func TestValidator(t *testing.T) {
	eos := func(seq uint64, first int64) *Frame {
		f := vf(seq, first)
		f.EndOfStream, f.SamplesPerChannel = true, 0
		return f
	}
	withCh := func(f *Frame, ch int) *Frame { f.Channels = ch; return f }
	withRate := func(f *Frame, r float64) *Frame { f.SampleRateHz = r; return f }
	type step struct {
		f      *Frame
		accept bool
		gap    int64
		resync bool
		kinds  []problem
	}
	tests := []struct {
		name  string
		want  int // SubOptions.Channels
		steps []step
	}{
		{"contiguous", 0, []step{
			{f: vf(1, 0), accept: true}, {f: vf(2, 10), accept: true}, {f: vf(3, 20), accept: true},
		}},
		{"lost frame gives seq and sample gap", 0, []step{
			{f: vf(1, 0), accept: true},
			{f: vf(3, 20), accept: true, gap: 10, kinds: []problem{probSeqGap, probSampleGap}},
			{f: vf(4, 30), accept: true},
		}},
		{"duplicate and out of order dropped", 0, []step{
			{f: vf(1, 0), accept: true}, {f: vf(2, 10), accept: true},
			{f: vf(2, 10), kinds: []problem{probDuplicate}},
			{f: vf(1, 0), kinds: []problem{probOutOfOrder}},
			{f: vf(3, 20), accept: true},
		}},
		{"overlap dropped", 0, []step{
			{f: vf(1, 0), accept: true}, {f: vf(2, 5), kinds: []problem{probOverlap}},
		}},
		{"channel change dropped", 0, []step{
			{f: vf(1, 0), accept: true}, {f: withCh(vf(2, 10), 8), kinds: []problem{probChannels}},
			{f: vf(3, 20), accept: true, gap: 10, kinds: []problem{probSeqGap, probSampleGap}},
		}},
		{"fixed channels", 8, []step{
			{f: vf(1, 0), kinds: []problem{probChannels}},
			{f: withCh(vf(2, 10), 8), accept: true},
		}},
		{"rate change dropped", 0, []step{
			{f: vf(1, 0), accept: true},
			{f: withRate(vf(2, 10), 20000), kinds: []problem{probRate}},
		}},
		{"end of stream then new recording", 0, []step{
			{f: vf(1, 0), accept: true}, {f: eos(2, 10), accept: true},
			{f: eos(2, 10), kinds: []problem{probDuplicate}},
			{f: withCh(vf(1, 0), 16), accept: true, resync: true},
			{f: withCh(vf(2, 10), 16), accept: true},
		}},
		{"publisher restart resyncs after 3 rejections", 0, []step{
			{f: vf(50, 500), accept: true},
			{f: vf(1, 0), kinds: []problem{probOutOfOrder}},
			{f: vf(2, 10), kinds: []problem{probOutOfOrder}},
			{f: vf(3, 20), accept: true, resync: true, gap: 20 - 510, kinds: []problem{probResync}},
			{f: vf(4, 30), accept: true},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := validator{wantChannels: tc.want, resyncAfter: 3}
			for i, st := range tc.steps {
				vd := v.check(st.f)
				if vd.accept != st.accept || vd.gap != st.gap || vd.resync != st.resync {
					t.Fatalf("step %d: accept %v gap %d resync %v, want %v %d %v", i,
						vd.accept, vd.gap, vd.resync, st.accept, st.gap, st.resync)
				}
				if vd.nFind != len(st.kinds) {
					t.Fatalf("step %d: findings %+v, want kinds %v", i,
						vd.findings[:vd.nFind], st.kinds)
				}
				for j, k := range st.kinds {
					if vd.findings[j].kind != k {
						t.Fatalf("step %d: finding %d is %v, want %v", i, j,
							vd.findings[j].kind, k)
					}
				}
			}
		})
	}
}

func TestScrubNonFinite(t *testing.T) {
	inf := float32(math.Inf(1))
	x := []float32{1, float32(math.NaN()), -inf, inf, -2, math.MaxFloat32}
	if n := scrubNonFinite(x); n != 3 {
		t.Fatalf("replaced %d, want 3", n)
	}
	want := []float32{1, 0, 0, 0, -2, math.MaxFloat32}
	for i := range x {
		if x[i] != want[i] {
			t.Fatalf("got %v", x)
		}
	}
}

func TestRateLimiter(t *testing.T) {
	r := rateLimiter{every: 1000}
	steps := []struct {
		now  int64
		n    uint64
		pass bool
	}{{0, 1, true}, {10, 0, false}, {500, 0, false}, {1000, 3, true}, {1001, 0, false}}
	for i, s := range steps {
		n, ok := r.allow(s.now)
		if n != s.n || ok != s.pass {
			t.Fatalf("step %d: got %d %v, want %d %v", i, n, ok, s.n, s.pass)
		}
	}
}

func BenchmarkValidatorCheck(b *testing.B) {
	v := validator{resyncAfter: 16}
	f := vf(1, 0)
	b.ReportAllocs()
	for b.Loop() {
		if vd := v.check(f); !vd.accept {
			b.Fatal("rejected")
		}
		f.Seq++
		f.FirstSample += 10
	}
}

// FuzzValidator drives the validator with frame sequences built from the fuzz input and
// checks its promises: accepted frames move forward in seq and samples, GapSamples is the
// distance from the previous accepted frame, and only a resync or a new recording may go
// back.
func FuzzValidator(f *testing.F) {
	f.Add([]byte{1, 10, 4, 1, 10, 4, 0, 10, 4, 2, 30, 4})
	f.Add([]byte{1, 10, 4, 255, 0, 4, 255, 0, 4, 255, 0, 4, 1, 10, 8})
	f.Fuzz(func(t *testing.T, ops []byte) {
		v := validator{resyncAfter: 3}
		var seq uint64 = 100
		var first int64 = 1000
		var prevSeq uint64
		var prevEnd int64
		have := false
		for i := 0; i+2 < len(ops); i += 3 {
			seq += uint64(int8(ops[i]))    // may repeat or go back
			first += int64(int8(ops[i+1])) // may overlap or skip
			fr := vf(seq, first)
			fr.Channels = 1 + int(ops[i+2]%3) // channel changes now and then
			eos := ops[i+2] == 255
			if eos {
				fr.EndOfStream, fr.SamplesPerChannel = true, 0
			}
			vd := v.check(fr)
			if !vd.accept {
				continue
			}
			fresh := !have || vd.resync
			if !fresh && !eos && (fr.Seq <= prevSeq || vd.gap != fr.FirstSample-prevEnd ||
				vd.gap < 0) {
				t.Fatalf("op %d: accepted seq %d first %d after seq %d end %d, gap %d",
					i/3, fr.Seq, fr.FirstSample, prevSeq, prevEnd, vd.gap)
			}
			have = !eos
			prevSeq, prevEnd = fr.Seq, fr.FirstSample+int64(fr.SamplesPerChannel)
		}
	})
}
