package app

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/sorting"
)

const np1Meta = `imSampRate=30000
nSavedChans=385
snsApLfSy=384,0,1
imAiRangeMax=0.6
imMaxInt=512
~imroTbl=(0,384)(0 0 0 500 250 1)(1 0 0 500 250 1)
`

func TestSpikeGLXMeta(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.ap.meta")
	if err := os.WriteFile(p, []byte(np1Meta), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := ReadSpikeGLXMeta(p)
	if err != nil {
		t.Fatal(err)
	}
	if m.SampleRateHz != 30000 || m.SavedChannels != 385 || m.NeuralChans != 384 ||
		math.Abs(m.UVPerBit-2.34375) > 1e-9 {
		t.Errorf("meta %+v", m)
	}
	bad := map[string]string{
		"no rate":    strings.Replace(np1Meta, "imSampRate=30000\n", "", 1),
		"not kv":     np1Meta + "garbage\n",
		"bad gain":   strings.Replace(np1Meta, "0 0 0 500", "0 0 0 x", 1),
		"no imroTbl": strings.Replace(np1Meta, "~imroTbl", "~other", 1),
	}
	for name, body := range bad {
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadSpikeGLXMeta(p); !errors.Is(err, ErrBadInput) {
			t.Errorf("%s: %v, want ErrBadInput", name, err)
		}
	}
}

func TestDropTrailingChannels(t *testing.T) {
	var src []byte
	for s := 0; s < 1000; s++ {
		for ch := 0; ch < 5; ch++ {
			src = append(src, byte(ch), byte(s))
		}
	}
	got, err := io.ReadAll(DropTrailingChannels(bytes.NewReader(src), 5, 4))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1000*4*2 {
		t.Fatalf("%d bytes", len(got))
	}
	for i := 0; i < len(got); i += 2 {
		if int(got[i]) != (i/2)%4 || got[i+1] != byte(i/8) {
			t.Fatalf("byte %d: %d %d", i, got[i], got[i+1])
		}
	}
	_, err = io.ReadAll(DropTrailingChannels(bytes.NewReader(src[:len(src)-3]), 5, 4))
	if !errors.Is(err, ErrBadInput) {
		t.Errorf("partial sample: %v", err)
	}
}

// A SpikeGLX-style file (4 neural channels and a sync word) sorts like the plain one.
func TestSortFileSkipsSyncChannel(t *testing.T) {
	rec := simulate(t, probe.Tetrode(), 4, 10, 12)
	dir := t.TempDir()
	var buf bytes.Buffer
	for i := 0; i < rec.NumSamples; i++ {
		for ch := 0; ch < 4; ch++ {
			v := uint16(rec.Samples[i*4+ch])
			buf.Write([]byte{byte(v), byte(v >> 8)})
		}
		buf.Write([]byte{0x55, 0x00}) // sync word
	}
	path := filepath.Join(dir, "rec.bin")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "sorted")
	res, err := SortFile(context.Background(), FileOptions{Input: RawInput{Path: path,
		Channels: 4, FileChannels: 5, SampleRateHz: rec.SampleRateHz, UVPerBit: rec.UVPerBit,
		Probe: rec.Probe}, OutDir: out, Method: Baseline})
	if err != nil {
		t.Fatal(err)
	}
	tol := int64(0.4e-3*rec.SampleRateHz + 0.5)
	if frac := labelledWithin(rec, res.Sorting, tol, 5); !(frac >= 0.8) {
		t.Errorf("%.3f of SNR>=5 spikes found through the 5-channel file", frac)
	}
	if _, err := sorting.ReadPhy(out); err != nil {
		t.Fatal(err)
	}
}

func TestOpenEphysMeta(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "structure.oebin")
	js := `{"continuous":[{"sample_rate":30000,"num_channels":3,"channels":[
	 {"channel_name":"CH1","bit_volts":0.195},{"channel_name":"CH2","bit_volts":0.195},
	 {"channel_name":"ADC1","bit_volts":0.00015}]}]}`
	if err := os.WriteFile(p, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := ReadOpenEphys(p)
	if err != nil {
		t.Fatal(err)
	}
	if m.SampleRateHz != 30000 || m.SavedChannels != 3 || m.NeuralChans != 2 ||
		m.UVPerBit != 0.195 {
		t.Errorf("meta %+v", m)
	}
	for _, body := range []string{`{`, `{"continuous":[]}`,
		`{"continuous":[{"num_channels":1,"channels":[{"channel_name":"ADC1"}]}]}`} {
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadOpenEphys(p); !errors.Is(err, ErrBadInput) {
			t.Errorf("%s: %v", body, err)
		}
	}
}
