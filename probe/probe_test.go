package probe

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestBuiltinsRoundTrip(t *testing.T) {
	for _, name := range []string{"tetrode", "poly32", "neuropixels1"} {
		p, err := Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := p.WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		q, err := Parse(&buf)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if q.Name != name || q.NumChannels() != p.NumChannels() {
			t.Fatalf("%s: got %q with %d channels", name, q.Name, q.NumChannels())
		}
		for i := range p.Contacts {
			if p.Contacts[i].XUm != q.Contacts[i].XUm || p.Contacts[i].YUm != q.Contacts[i].YUm {
				t.Fatalf("%s: contact %d moved", name, i)
			}
		}
	}
}

func TestShippedFilesMatchBuiltins(t *testing.T) {
	for _, name := range []string{"tetrode", "poly32", "neuropixels1"} {
		p, err := Load("../configs/probes/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Builtin(name)
		if p.NumChannels() != b.NumChannels() {
			t.Errorf("%s: file has %d channels, built-in %d", name, p.NumChannels(), b.NumChannels())
		}
	}
}

func TestNeuropixelsGeometry(t *testing.T) {
	p := Neuropixels1()
	if p.NumChannels() != 384 {
		t.Fatalf("%d channels", p.NumChannels())
	}
	minX, maxX, minY, maxY := p.Extent()
	if minX != 11 || maxX != 59 || minY != 0 || maxY != 3820 {
		t.Errorf("extent x %g-%g y %g-%g", minX, maxX, minY, maxY)
	}
	nb := p.Neighbours(100, 25, 0)
	if nb[0] != 100 {
		t.Errorf("neighbours start with %d", nb[0])
	}
	for _, ch := range nb {
		if d := p.DistanceUm(100, ch); d > 25 {
			t.Errorf("neighbour %d at %g um", ch, d)
		}
	}
}

func TestDeviceChannelOrderAndShanks(t *testing.T) {
	js := `{"specification":"probeinterface","version":"0.2.21","probes":[{"ndim":2,
	 "si_units":"um","contact_positions":[[0,0],[0,20],[0,40]],
	 "shank_ids":["a","a","b"],"device_channel_indices":[2,0,1]}]}`
	p, err := Parse(strings.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	if p.Contacts[0].YUm != 20 || p.Contacts[1].YUm != 40 || p.Contacts[2].YUm != 0 {
		t.Errorf("order %+v", p.Contacts)
	}
	if !math.IsInf(p.DistanceUm(0, 1), 1) {
		t.Error("contacts on different shanks should be infinitely apart")
	}
}

func TestParseRejects(t *testing.T) {
	cases := map[string]string{
		"not json":      `{`,
		"no probes":     `{"probes":[]}`,
		"no contacts":   `{"probes":[{"contact_positions":[]}]}`,
		"bad units":     `{"probes":[{"si_units":"mm","contact_positions":[[0,0]]}]}`,
		"short pos":     `{"probes":[{"contact_positions":[[0]]}]}`,
		"wiring length": `{"probes":[{"contact_positions":[[0,0],[1,1]],"device_channel_indices":[0]}]}`,
		"wiring gap":    `{"probes":[{"contact_positions":[[0,0],[1,1]],"device_channel_indices":[0,5]}]}`,
		"none wired":    `{"probes":[{"contact_positions":[[0,0]],"device_channel_indices":[-1]}]}`,
	}
	for name, js := range cases {
		if _, err := Parse(strings.NewReader(js)); !errors.Is(err, ErrBadProbe) {
			t.Errorf("%s: %v, want ErrBadProbe", name, err)
		}
	}
	if _, err := Resolve("no-such-probe"); err == nil {
		t.Error("unknown probe name resolved")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(`{"probes":[{"contact_positions":[[0,0],[25,0]]}]}`)
	f.Add(`{"probes":[{"contact_positions":[[0,0],[0,1]],"device_channel_indices":[-1,0]}]}`)
	f.Fuzz(func(t *testing.T, js string) {
		p, err := Parse(strings.NewReader(js))
		if err != nil {
			if !errors.Is(err, ErrBadProbe) {
				t.Fatalf("error not wrapped: %v", err)
			}
			return
		}
		if p.NumChannels() == 0 {
			t.Fatal("parsed a probe without channels")
		}
		for i := range p.Contacts {
			p.Neighbours(i, 50, 4)
		}
	})
}
