package sorting

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/sorting/internal/npy"
)

// example returns a small sorting with an empty unit and equal spike times.
func example(t testing.TB) *Sorting {
	t.Helper()
	s, err := New(30000, []int64{5, 5, 17, 300, 301, 9000}, []int64{3, 1, 3, 0, 1, 3}, 8)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func equalSortings(a, b *Sorting) bool {
	return a.SampleRateHz == b.SampleRateHz && slices.Equal(a.Times, b.Times) &&
		slices.Equal(a.Labels, b.Labels) && slices.Equal(a.UnitIDs, b.UnitIDs)
}

func TestNPZRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, s := range []*Sorting{example(t), {SampleRateHz: 20000}} {
		path := filepath.Join(dir, "sorting.npz")
		if err := WriteNPZ(path, s); err != nil {
			t.Fatal(err)
		}
		got, err := ReadNPZ(path)
		if err != nil {
			t.Fatal(err)
		}
		if !equalSortings(got, s) {
			t.Errorf("round trip: got %+v, want %+v", got, s)
		}
	}
}

// TestNPZLayout checks the archive the way numpy would see it: stored entries named
// NAME.npy with the dtypes and shapes of SpikeInterface's NpzSortingExtractor.
func TestNPZLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.npz")
	if err := WriteNPZ(path, example(t)); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()

	want := map[string]string{
		"unit_ids.npy":           "{'descr': '<i8', 'fortran_order': False, 'shape': (4,), }",
		"num_segment.npy":        "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }",
		"sampling_frequency.npy": "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }",
		"spike_indexes_seg0.npy": "{'descr': '<i8', 'fortran_order': False, 'shape': (6,), }",
		"spike_labels_seg0.npy":  "{'descr': '<i8', 'fortran_order': False, 'shape': (6,), }",
	}
	if len(zr.File) != len(want) {
		t.Errorf("%d entries, want %d", len(zr.File), len(want))
	}
	for _, f := range zr.File {
		dict, ok := want[f.Name]
		if !ok {
			t.Errorf("unexpected entry %s", f.Name)
			continue
		}
		if f.Method != zip.Store {
			t.Errorf("%s: method %d, np.savez stores", f.Name, f.Method)
		}
		raw := readEntry(t, f)
		if !bytes.HasPrefix(raw[10:], []byte(dict)) || string(raw[:8]) != "\x93NUMPY\x01\x00" {
			t.Errorf("%s: header %q", f.Name, raw[:min(len(raw), 80)])
		}
	}
}

func readEntry(t *testing.T, f *zip.File) []byte {
	t.Helper()
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// npzWith builds an npz whose entries are the given raw arrays.
func npzWith(t testing.TB, entries map[string]func(io.Writer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, write := range entries {
		w, err := zw.Create(name + ".npy")
		if err != nil {
			t.Fatal(err)
		}
		if err := write(w); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func ints(v ...int64) func(io.Writer) error {
	return func(w io.Writer) error { return npy.WriteInt64(w, nil, v) }
}

func int32s(v ...int32) func(io.Writer) error {
	return func(w io.Writer) error { return npy.WriteInt32(w, nil, v) }
}

func floats(v ...float64) func(io.Writer) error {
	return func(w io.Writer) error { return npy.WriteFloat64(w, nil, v) }
}

func validEntries() map[string]func(io.Writer) error {
	return map[string]func(io.Writer) error{
		"unit_ids": ints(1, 2), "num_segment": ints(1), "sampling_frequency": floats(30000),
		"spike_indexes_seg0": ints(10, 5), "spike_labels_seg0": ints(1, 2),
	}
}

func TestReadNPZVariants(t *testing.T) {
	// Deflated (np.savez_compressed), int32 labels and unsorted times are all accepted.
	e := validEntries()
	e["spike_labels_seg0"] = int32s(1, 2)
	s, err := ReadNPZBytes(npzWith(t, e))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Times, []int64{5, 10}) || !slices.Equal(s.Labels, []int64{2, 1}) {
		t.Errorf("got %+v", s)
	}

	bad := map[string]func(map[string]func(io.Writer) error){
		"two segments":     func(e map[string]func(io.Writer) error) { e["num_segment"] = ints(2) },
		"missing labels":   func(e map[string]func(io.Writer) error) { delete(e, "spike_labels_seg0") },
		"label not a unit": func(e map[string]func(io.Writer) error) { e["unit_ids"] = ints(1) },
		"repeated ids":     func(e map[string]func(io.Writer) error) { e["unit_ids"] = ints(1, 2, 2) },
		"float times": func(e map[string]func(io.Writer) error) {
			e["spike_indexes_seg0"] = floats(1, 2)
		},
		"two rates": func(e map[string]func(io.Writer) error) {
			e["sampling_frequency"] = floats(1, 2)
		},
		"zero rate": func(e map[string]func(io.Writer) error) {
			e["sampling_frequency"] = floats(0)
		},
		"count mismatch": func(e map[string]func(io.Writer) error) {
			e["spike_indexes_seg0"] = ints(1)
		},
	}
	for name, edit := range bad {
		e := validEntries()
		edit(e)
		if _, err := ReadNPZBytes(npzWith(t, e)); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err %v, want ErrFormat", name, err)
		}
	}
	if _, err := ReadNPZBytes([]byte("not a zip")); !errors.Is(err, ErrFormat) {
		t.Errorf("not a zip: err %v", err)
	}
	if _, err := ReadNPZ(filepath.Join(t.TempDir(), "none.npz")); err == nil {
		t.Error("missing file: no error")
	}
}

func FuzzReadNPZBytes(f *testing.F) {
	f.Add(npzWith(f, validEntries()))
	var b bytes.Buffer
	if err := writeNPZTo(&b, example(f)); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := ReadNPZBytes(in)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("accepted an invalid sorting: %v", err)
		}
	})
}

func TestPhyRoundTripAndFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "phy")
	s := example(t)
	p := probe.Tetrode()
	nU, nSamp, nCh := len(s.UnitIDs), 3, p.NumChannels()
	tmpl := make([]float32, nU*nSamp*nCh)
	tmpl[len(tmpl)-1] = -42
	extra := PhyExtras{
		Probe: p, DatPath: "rec.bin", Templates: tmpl, TemplateSamples: nSamp,
		AmplitudesUV: []float32{10, 20, 30, 40, 50, 60}, Groups: map[int64]string{0: "noise"},
	}
	if err := WritePhy(dir, s, extra); err != nil {
		t.Fatal(err)
	}
	got, err := ReadPhy(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !equalSortings(got, s) {
		t.Errorf("round trip: got %+v, want %+v", got, s)
	}

	params := readText(t, filepath.Join(dir, "params.py"))
	wantParams := "dat_path = \"rec.bin\"\nn_channels_dat = 4\ndtype = \"int16\"\n" +
		"offset = 0\nsample_rate = 30000.0\nhp_filtered = False\n"
	if params != wantParams {
		t.Errorf("params.py:\n%s\nwant\n%s", params, wantParams)
	}
	groups := readText(t, filepath.Join(dir, "cluster_group.tsv"))
	if groups != "cluster_id\tgroup\n0\tnoise\n1\tunsorted\n3\tunsorted\n8\tunsorted\n" {
		t.Errorf("cluster_group.tsv: %q", groups)
	}
	checkPhyArrays(t, dir, s, nU, nSamp, nCh)
}

// checkPhyArrays checks dtype, shape and a few values of each .npy in a phy folder.
func checkPhyArrays(t *testing.T, dir string, s *Sorting, nU, nSamp, nCh int) {
	n := s.NumSpikes()
	want := []struct {
		file  string
		descr string
		shape []int
	}{
		{"spike_times.npy", "<i8", []int{n}},
		{"spike_clusters.npy", "<i4", []int{n}},
		{"spike_templates.npy", "<i4", []int{n}},
		{"templates.npy", "<f4", []int{nU, nSamp, nCh}},
		{"amplitudes.npy", "<f8", []int{n}},
		{"channel_map.npy", "<i4", []int{nCh}},
		{"channel_positions.npy", "<f8", []int{nCh, 2}},
	}
	arrays := map[string]*npy.Array{}
	for _, w := range want {
		raw, err := os.ReadFile(filepath.Join(dir, w.file))
		if err != nil {
			t.Fatal(err)
		}
		a, err := npy.Read(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			t.Fatalf("%s: %v", w.file, err)
		}
		hlen := 10 + int(raw[8]) + int(raw[9])<<8
		if a.Descr != w.descr || !slices.Equal(a.Shape, w.shape) || hlen%64 != 0 {
			t.Errorf("%s: %s %v header %d, want %s %v", w.file, a.Descr, a.Shape, hlen,
				w.descr, w.shape)
		}
		arrays[w.file] = a
	}

	tIdx, _ := arrays["spike_templates.npy"].Int64s()
	if !slices.Equal(tIdx, []int64{2, 1, 2, 0, 1, 2}) {
		t.Errorf("spike_templates %v", tIdx)
	}
	tm, _ := arrays["templates.npy"].Float64s()
	amps, _ := arrays["amplitudes.npy"].Float64s()
	if tm[len(tm)-1] != -42 || amps[5] != 60 {
		t.Errorf("templates last %v, amplitudes %v", tm[len(tm)-1], amps)
	}
	pos, _ := arrays["channel_positions.npy"].Float64s()
	c := probe.Tetrode().Contacts[1]
	if pos[2] != c.XUm || pos[3] != c.YUm {
		t.Errorf("channel 1 at %v, want %v %v", pos[2:4], c.XUm, c.YUm)
	}
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWritePhyDefaultsAndErrors(t *testing.T) {
	dir := t.TempDir()
	s := example(t)
	if err := WritePhy(dir, s, PhyExtras{NumChannels: 2, HighPassFiltered: true}); err != nil {
		t.Fatal(err)
	}
	if p := readText(t, filepath.Join(dir, "params.py")); !strings.Contains(p,
		"hp_filtered = True") || !strings.Contains(p, "dat_path = \"\"") {
		t.Errorf("params.py: %s", p)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "templates.npy"))
	a, _ := npy.Read(bytes.NewReader(raw), int64(len(raw)))
	if !slices.Equal(a.Shape, []int{4, 60, 2}) {
		t.Errorf("default templates shape %v, want 2 ms at 30 kHz", a.Shape)
	}

	big, _ := New(30000, []int64{1}, []int64{1 << 40})
	cases := []struct {
		name  string
		s     *Sorting
		extra PhyExtras
	}{
		{"no channels", s, PhyExtras{}},
		{"probe mismatch", s, PhyExtras{Probe: probe.Tetrode(), NumChannels: 3}},
		{"template size", s, PhyExtras{NumChannels: 2, Templates: make([]float32, 5),
			TemplateSamples: 1}},
		{"amplitude count", s, PhyExtras{NumChannels: 2, AmplitudesUV: []float32{1}}},
		{"id too large", big, PhyExtras{NumChannels: 2}},
		{"bad group", s, PhyExtras{NumChannels: 2, Groups: map[int64]string{1: "a\tb"}}},
		{"dat channels", s, PhyExtras{NumChannels: 2, NumChannelsDat: 1}},
	}
	for _, c := range cases {
		if err := WritePhy(t.TempDir(), c.s, c.extra); !errors.Is(err, ErrPhyExtras) {
			t.Errorf("%s: err %v, want ErrPhyExtras", c.name, err)
		}
	}
	if err := WritePhy(t.TempDir(), &Sorting{}, PhyExtras{NumChannels: 1}); !errors.Is(err,
		ErrInvalid) {
		t.Errorf("invalid sorting: err %v", err)
	}
}

func TestReadPhyKilosortStyle(t *testing.T) {
	// Kilosort writes spike_times as uint64 (N, 1), no spike_clusters.npy, and params.py
	// with single quotes and comments.
	dir := t.TempDir()
	write := func(name string, f func(io.Writer) error) {
		var b bytes.Buffer
		if err := f(&b); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("params.py", func(w io.Writer) error {
		_, err := io.WriteString(w, "# kilosort\ndat_path = 'x.bin'\nsample_rate = 25000.\n"+
			"n_channels_dat = 4\n")
		return err
	})
	write("spike_times.npy", func(w io.Writer) error {
		if err := npy.WriteHeader(w, "<u8", []int{2, 1}); err != nil {
			return err
		}
		_, err := w.Write([]byte{9, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0})
		return err
	})
	write("spike_templates.npy", int32s(4, 2))
	s, err := ReadPhy(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.SampleRateHz != 25000 || !slices.Equal(s.Times, []int64{9, 20}) ||
		!slices.Equal(s.UnitIDs, []int64{2, 4}) {
		t.Errorf("got %+v", s)
	}

	write("params.py", func(w io.Writer) error {
		_, err := io.WriteString(w, "import os\n")
		return err
	})
	if _, err := ReadPhy(dir); !errors.Is(err, ErrFormat) {
		t.Errorf("python code in params.py: err %v", err)
	}
	if _, err := ReadPhy(t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("empty folder: err %v", err)
	}
}

func randomSorting(n, units int) *Sorting {
	r := rand.New(rand.NewPCG(1, 2))
	times := make([]int64, n)
	labels := make([]int64, n)
	for i := range times {
		times[i] = int64(r.IntN(30000 * 600))
		labels[i] = int64(r.IntN(units))
	}
	s, _ := New(30000, times, labels)
	return s
}

func BenchmarkWriteNPZ1M(b *testing.B) {
	s := randomSorting(1_000_000, 300)
	path := filepath.Join(b.TempDir(), "s.npz")
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteNPZ(path, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadNPZ1M(b *testing.B) {
	s := randomSorting(1_000_000, 300)
	path := filepath.Join(b.TempDir(), "s.npz")
	if err := WriteNPZ(path, s); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadNPZ(path); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWritePhy1M(b *testing.B) {
	s := randomSorting(1_000_000, 300)
	dir := b.TempDir()
	extra := PhyExtras{Probe: probe.Neuropixels1()}
	b.ReportAllocs()
	for b.Loop() {
		if err := WritePhy(dir, s, extra); err != nil {
			b.Fatal(err)
		}
	}
}

// TestWriteInteropFixtures writes an npz and a phy folder for eval/interop/check_sorting.py
// when SPIKESTREAM_INTEROP_DIR is set; it is skipped otherwise.
func TestWriteInteropFixtures(t *testing.T) {
	dir := os.Getenv("SPIKESTREAM_INTEROP_DIR")
	if dir == "" {
		t.Skip("SPIKESTREAM_INTEROP_DIR not set")
	}
	s := randomSorting(5000, 7)
	if err := WriteNPZ(filepath.Join(dir, "sorting.npz"), s); err != nil {
		t.Fatal(err)
	}
	extra := PhyExtras{Probe: probe.Poly32(), Groups: map[int64]string{0: "noise"}}
	if err := WritePhy(filepath.Join(dir, "phy"), s, extra); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i, tm := range s.Times {
		fmt.Fprintf(&b, "%d\t%d\n", tm, s.Labels[i])
	}
	if err := os.WriteFile(filepath.Join(dir, "expected.tsv"), []byte(b.String()),
		0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOpen(t *testing.T) {
	root := t.TempDir()
	s := example(t)
	npzDir := filepath.Join(root, "npzdir")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(npzDir, 0o755))
	must(WriteNPZ(filepath.Join(npzDir, "sorting.npz"), s))
	must(WritePhy(filepath.Join(root, "phydir"), s, PhyExtras{NumChannels: 2}))
	must(WritePhy(filepath.Join(root, "outdir", "phy"), s, PhyExtras{NumChannels: 2}))
	cases := []struct{ path, from string }{
		{filepath.Join(npzDir, "sorting.npz"), filepath.Join(npzDir, "sorting.npz")},
		{npzDir, filepath.Join(npzDir, "sorting.npz")},
		{filepath.Join(root, "phydir"), filepath.Join(root, "phydir")},
		{filepath.Join(root, "outdir"), filepath.Join(root, "outdir", "phy")},
	}
	for _, c := range cases {
		got, from, err := Open(c.path)
		if err != nil || from != c.from || !equalSortings(got, s) {
			t.Errorf("%s: from %s err %v", c.path, from, err)
		}
	}
	if _, _, err := Open(root); !errors.Is(err, ErrNoSorting) {
		t.Errorf("empty folder: err %v", err)
	}
	if _, _, err := Open(filepath.Join(root, "none")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing path: err %v", err)
	}
}

func FuzzParsePhyParams(f *testing.F) {
	f.Add("dat_path = 'a.bin'\nsample_rate = 30000.\n# c\n")
	f.Add("x=1\n=2\n")
	f.Fuzz(func(t *testing.T, text string) {
		params, err := ParsePhyParams(strings.NewReader(text))
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			return
		}
		for name := range params {
			if !isPyName(name) {
				t.Fatalf("accepted name %q", name)
			}
		}
	})
}

func BenchmarkReadPhy1M(b *testing.B) {
	s := randomSorting(1_000_000, 300)
	dir := b.TempDir()
	if err := WritePhy(dir, s, PhyExtras{NumChannels: 4}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadPhy(dir); err != nil {
			b.Fatal(err)
		}
	}
}
