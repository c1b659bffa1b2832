package eval

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/sim"
	"github.com/spikestream/spikestream/sorting"
)

const unitsHeader = "id\tclass\tx_um\ty_um\tz_um\tpeak_channel\tpeak_uv\tsnr\trate_hz\tn_spikes\n"

func TestReadUnitsTSV(t *testing.T) {
	good := unitsHeader +
		"0\tpyramidal-large\t10\t-20.5\t30\t3\t120\t12\t4.5\t270\n" +
		"\n" +
		"7\tfs-interneuron\t0\t0\t15\t1\t60\t6\t20\t1200\r\n"
	units, err := ReadUnitsTSV(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	want := []TruthUnit{
		{ID: 0, Class: "pyramidal-large", XUm: 10, YUm: -20.5, ZUm: 30, PeakChannel: 3,
			PeakUV: 120, SNR: 12, RateHz: 4.5, NumSpikes: 270},
		{ID: 7, Class: "fs-interneuron", ZUm: 15, PeakChannel: 1, PeakUV: 60, SNR: 6,
			RateHz: 20, NumSpikes: 1200},
	}
	if !slices.Equal(units, want) {
		t.Errorf("got %+v\nwant %+v", units, want)
	}

	minimal, err := ReadUnitsTSV(strings.NewReader("snr\tid\textra\n3.5\t4\tx\n"))
	if err != nil || len(minimal) != 1 || minimal[0].ID != 4 || minimal[0].SNR != 3.5 ||
		!math.IsNaN(minimal[0].PeakUV) || minimal[0].PeakChannel != -1 {
		t.Errorf("minimal: %+v %v", minimal, err)
	}

	bad := map[string]string{
		"empty":      "",
		"no snr":     "id\tclass\n1\tx\n",
		"bad number": "id\tsnr\n1\tlots\n",
		"bad id":     "id\tsnr\n1.5\t3\n",
		"repeated":   "id\tsnr\n1\t3\n1\t4\n",
		"short row":  "class\tid\tsnr\nx\n",
	}
	for name, text := range bad {
		if _, err := ReadUnitsTSV(strings.NewReader(text)); !errors.Is(err, ErrTruth) {
			t.Errorf("%s: err %v", name, err)
		}
	}
}

func FuzzReadUnitsTSV(f *testing.F) {
	f.Add(unitsHeader + "0\tp\t1\t2\t3\t4\t5\t6\t7\t8\n")
	f.Add("id\tsnr\n1\t2\n")
	f.Fuzz(func(t *testing.T, text string) {
		units, err := ReadUnitsTSV(strings.NewReader(text))
		if err != nil && !errors.Is(err, ErrTruth) {
			t.Fatalf("error %v does not wrap ErrTruth", err)
		}
		seen := map[int64]bool{}
		for _, u := range units {
			if seen[u.ID] {
				t.Fatalf("repeated id %d accepted", u.ID)
			}
			seen[u.ID] = true
		}
	})
}

func TestReadTruth(t *testing.T) {
	dir := t.TempDir()
	s, err := sorting.New(30000, []int64{10, 20, 30}, []int64{0, 2, 0})
	must(t, err)
	must(t, sorting.WriteNPZ(filepath.Join(dir, TruthNPZ), s))
	units := "id\tsnr\n0\t8\n1\t3\n2\t5.5\n"
	must(t, os.WriteFile(filepath.Join(dir, UnitsTSV), []byte(units), 0o644))

	tr, err := ReadTruth(dir)
	must(t, err)
	// Unit 1 never fired but is still a true unit.
	if !slices.Equal(tr.Sorting.UnitIDs, []int64{0, 1, 2}) || tr.SNR()[2] != 5.5 {
		t.Errorf("got ids %v snr %v", tr.Sorting.UnitIDs, tr.SNR())
	}

	must(t, os.WriteFile(filepath.Join(dir, UnitsTSV), []byte("id\tsnr\n0\t8\n"), 0o644))
	if _, err := ReadTruth(dir); !errors.Is(err, ErrTruth) {
		t.Errorf("unit 2 missing from units.tsv: err %v", err)
	}
	if _, err := ReadTruth(t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("empty folder: err %v", err)
	}
}

func TestTruthFromRecording(t *testing.T) {
	rec := &sim.Recording{Probe: probe.Tetrode(), SampleRateHz: 20000,
		Truth: []sim.TruthSpike{{Sample: 5, Unit: 1}, {Sample: 9, Unit: 1}},
		Units: []sim.UnitInfo{{ID: 0, SNR: 4}, {ID: 1, SNR: 9, Class: "fs"}}}
	tr, err := TruthFromRecording(rec)
	must(t, err)
	if !slices.Equal(tr.Sorting.UnitIDs, []int64{0, 1}) || tr.Sorting.SampleRateHz != 20000 ||
		tr.Units[1].Class != "fs" || tr.SNR()[0] != 4 {
		t.Errorf("got %+v", tr)
	}
	rec.Truth[0].Unit = 5
	if _, err := TruthFromRecording(rec); !errors.Is(err, ErrTruth) {
		t.Errorf("out-of-range unit: err %v", err)
	}
}

// TestReadTruthOfSimDir checks the contract with the simulator's folder writer: a
// recording written by sim.Recording.WriteDir reads back as the same truth.
func TestReadTruthOfSimDir(t *testing.T) {
	p := probe.Tetrode()
	rec := &sim.Recording{Probe: p, SampleRateHz: 30000, UVPerBit: 0.195, NumSamples: 300,
		Samples:         make([]int16, 300*p.NumChannels()),
		Truth:           []sim.TruthSpike{{Sample: 40, Unit: 1}, {Sample: 90, Unit: 0}},
		Units:           []sim.UnitInfo{{ID: 0, Class: "a", SNR: 7.5}, {ID: 1, SNR: 3, PeakUV: 30}},
		Templates:       make([]float32, 2*4*p.NumChannels()),
		TemplateSamples: 4, TemplatePre: 1,
	}
	dir := t.TempDir()
	must(t, rec.WriteDir(dir))
	tr, err := ReadTruth(dir)
	must(t, err)
	want, err := TruthFromRecording(rec)
	must(t, err)
	if !slices.Equal(tr.Sorting.Times, want.Sorting.Times) ||
		!slices.Equal(tr.Sorting.Labels, want.Sorting.Labels) || tr.Units[0].SNR != 7.5 ||
		tr.Units[1].PeakUV != 30 || tr.Units[0].Class != "a" {
		t.Errorf("read %+v\nwant %+v", tr, want)
	}
}
