package sim

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"codeberg.org/sbinet/npyio"

	"github.com/spikestream/spikestream/sorting"
)

// ReadDir reads a recording directory written by WriteDir. The Config is rebuilt from
// meta.json with the probe from probe.json. Errors wrap ErrBadDir when the files are
// missing, malformed or disagree with each other. It allocates the whole recording.
func ReadDir(dir string) (*Recording, error) {
	m, err := readMeta(dir)
	if err != nil {
		return nil, err
	}
	p, err := readProbe(dir)
	if err != nil {
		return nil, err
	}
	if p.NumChannels() != m.NumChannels {
		return nil, fmt.Errorf("%w: probe has %d channels, meta says %d", ErrBadDir,
			p.NumChannels(), m.NumChannels)
	}
	rec := recordingFromMeta(m)
	rec.Probe, rec.Config.Probe = p, p
	if rec.Samples, err = readSamples(filepath.Join(dir, FileSamples),
		m.NumSamples*m.NumChannels); err != nil {
		return nil, err
	}
	if rec.Units, err = readUnits(filepath.Join(dir, FileUnits)); err != nil {
		return nil, err
	}
	if rec.Truth, err = readTruth(filepath.Join(dir, FileTruth), len(rec.Units)); err != nil {
		return nil, err
	}
	want := len(rec.Units) * m.TemplateSamples * m.NumChannels
	if rec.Templates, err = readTemplates(filepath.Join(dir, FileTemplates), want); err != nil {
		return nil, err
	}
	return rec, nil
}

func readMeta(dir string) (Meta, error) {
	b, err := os.ReadFile(filepath.Join(dir, FileMeta))
	if err != nil {
		return Meta{}, fmt.Errorf("%w: %w", ErrBadDir, err)
	}
	return parseMeta(b)
}

// parseMeta decodes and checks meta.json.
func parseMeta(b []byte) (Meta, error) {
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%w: meta.json: %v", ErrBadDir, err)
	}
	if m.Format != metaFormat || m.DType != "int16" {
		return m, fmt.Errorf("%w: meta.json format %q dtype %q", ErrBadDir, m.Format, m.DType)
	}
	if m.NumChannels <= 0 || m.NumSamples < 0 || !(m.SampleRateHz > 0) ||
		!(m.UVPerBit > 0) || m.TemplateSamples < 0 || m.TemplatePre < 0 ||
		m.NumSamples > MaxOutputBytes/2/m.NumChannels {
		return m, fmt.Errorf("%w: meta.json has %d channels, %d samples, %v Hz, %v uV/bit",
			ErrBadDir, m.NumChannels, m.NumSamples, m.SampleRateHz, m.UVPerBit)
	}
	return m, nil
}

func recordingFromMeta(m Meta) *Recording {
	c := m.Config
	cfg := Config{Units: c.Units, DurationS: c.DurationS, SampleRateHz: c.SampleRateHz,
		NoiseUV: c.NoiseUV, UVPerBit: c.UVPerBit, Seed: c.Seed, DriftUm: c.DriftUm,
		DriftJumps: c.DriftJumps, DriftJumpUm: c.DriftJumpUm, DriftNonRigid: c.DriftNonRigid,
		BackgroundCells: c.BackgroundCells, ClassMix: c.ClassMix, LibraryDir: c.LibraryDir,
		LibrarySize: c.LibrarySize}
	return &Recording{Config: cfg, SampleRateHz: m.SampleRateHz, UVPerBit: m.UVPerBit,
		NumSamples: m.NumSamples, TemplateSamples: m.TemplateSamples,
		TemplatePre: m.TemplatePre, ClippedSamples: m.ClippedSamples,
		DriftTraceUm: m.DriftUm, DriftStepS: m.DriftStepS}
}

// readSamples reads exactly n little-endian int16 values.
func readSamples(path string, n int) ([]int16, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadDir, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || st.Size() != int64(2*n) {
		return nil, fmt.Errorf("%w: %s is not %d bytes", ErrBadDir, FileSamples, 2*n)
	}
	out := make([]int16, n)
	if le := littleEndianBytes(out); le != nil {
		if _, err := io.ReadFull(f, le); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrBadDir, FileSamples, err)
		}
		return out, nil
	}
	buf := make([]byte, 1<<20)
	br := bufio.NewReaderSize(f, 1<<20)
	for i := 0; i < n; {
		k := min(len(buf)/2, n-i)
		if _, err := io.ReadFull(br, buf[:2*k]); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrBadDir, FileSamples, err)
		}
		for j := range k {
			out[i+j] = int16(binary.LittleEndian.Uint16(buf[2*j:]))
		}
		i += k
	}
	return out, nil
}

// readUnits reads units.tsv.
func readUnits(path string) ([]UnitInfo, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadDir, err)
	}
	return parseUnitsTSV(b)
}

// parseUnitsTSV parses units.tsv; columns are found by name, so extra columns are
// allowed. Ids must run 0, 1, 2... in row order.
func parseUnitsTSV(b []byte) ([]UnitInfo, error) {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	col := map[string]int{}
	for i, name := range strings.Split(lines[0], "\t") {
		col[name] = i
	}
	for _, name := range unitColumns {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("%w: units.tsv has no column %q", ErrBadDir, name)
		}
	}
	units := make([]UnitInfo, 0, len(lines)-1)
	for i, line := range lines[1:] {
		u, err := parseUnit(strings.Split(line, "\t"), col)
		if err != nil || u.ID != i {
			return nil, fmt.Errorf("%w: units.tsv row %d: id %d, %v", ErrBadDir, i+1, u.ID, err)
		}
		units = append(units, u)
	}
	return units, nil
}

// parseUnit reads one units.tsv row; the first parse error is returned.
func parseUnit(f []string, col map[string]int) (UnitInfo, error) {
	var firstErr error
	get := func(name string) string {
		if i := col[name]; i < len(f) {
			return f[i]
		}
		firstErr = fmt.Errorf("short row")
		return ""
	}
	num := func(name string) float64 {
		v, err := strconv.ParseFloat(get(name), 64)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return v
	}
	integer := func(name string) int { return int(num(name)) }
	u := UnitInfo{ID: integer("id"), Class: get("class"), XUm: num("x_um"), YUm: num("y_um"),
		ZUm: num("z_um"), PeakChannel: integer("peak_channel"), PeakUV: num("peak_uv"),
		SNR: num("snr"), RateHz: num("rate_hz"), NumSpikes: integer("n_spikes"),
		DriftScale: num("drift_scale"), LibraryID: integer("library_id")}
	return u, firstErr
}

// readTruth reads truth.npz; every label must be a unit of units.tsv.
func readTruth(path string, nUnits int) ([]TruthSpike, error) {
	s, err := sorting.ReadNPZ(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadDir, err)
	}
	out := make([]TruthSpike, len(s.Times))
	for i := range s.Times {
		if s.Labels[i] < 0 || s.Labels[i] >= int64(nUnits) {
			return nil, fmt.Errorf("%w: truth label %d outside 0..%d", ErrBadDir,
				s.Labels[i], nUnits-1)
		}
		out[i] = TruthSpike{Sample: s.Times[i], Unit: int(s.Labels[i])}
	}
	return out, nil
}

// readTemplates reads templates.npy into a flat slice of want float32 values. The file
// size is checked against the header length before npyio sees the data (so a forged shape
// cannot make it allocate), and a panic inside npyio on malformed input is turned into
// an error.
func readTemplates(path string, want int) (out []float32, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadDir, err)
	}
	if err := checkNpySize(b, 4*want); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%w: templates.npy: malformed (%v)", ErrBadDir, r)
		}
	}()
	r, err := npyio.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: templates.npy: %v", ErrBadDir, err)
	}
	if err := r.Read(&out); err != nil {
		return nil, fmt.Errorf("%w: templates.npy: %v", ErrBadDir, err)
	}
	if len(out) != want {
		return nil, fmt.Errorf("%w: templates.npy has %d values, want %d", ErrBadDir,
			len(out), want)
	}
	return out, nil
}

// checkNpySize checks that b is an .npy file (version 1, 2 or 3) whose data after the
// header is exactly dataBytes long.
func checkNpySize(b []byte, dataBytes int) error {
	const magic = "\x93NUMPY"
	if len(b) < 10 || string(b[:6]) != magic {
		return fmt.Errorf("%w: templates.npy is not an npy file", ErrBadDir)
	}
	var start int
	switch b[6] {
	case 1:
		start = 10 + int(binary.LittleEndian.Uint16(b[8:10]))
	case 2, 3:
		if len(b) < 12 {
			return fmt.Errorf("%w: templates.npy header truncated", ErrBadDir)
		}
		start = 12 + int(binary.LittleEndian.Uint32(b[8:12]))
	default:
		return fmt.Errorf("%w: templates.npy version %d", ErrBadDir, b[6])
	}
	if start < 0 || start > len(b) || len(b)-start != dataBytes {
		return fmt.Errorf("%w: templates.npy holds %d data bytes, want %d", ErrBadDir,
			len(b)-start, dataBytes)
	}
	return nil
}
