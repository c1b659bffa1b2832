package eval

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spikestream/spikestream/sim"
	"github.com/spikestream/spikestream/sorting"
)

// ErrTruth is returned, wrapped with detail, for a truth folder that cannot be used.
var ErrTruth = errors.New("bad truth")

// Names of the files of a truth folder, as written by the simulator.
const (
	TruthNPZ  = "truth.npz"
	UnitsTSV  = "units.tsv"
	maxTSVRow = 1 << 16
)

// TruthUnit is one row of units.tsv. Columns other than id and snr may be absent; absent
// numbers are NaN (PeakChannel and NumSpikes -1).
type TruthUnit struct {
	ID          int64
	Class       string
	XUm, YUm    float64
	ZUm         float64
	PeakChannel int
	PeakUV      float64
	SNR         float64
	RateHz      float64
	NumSpikes   int
}

// Truth is a ground-truth sorting and its units' descriptions.
type Truth struct {
	Sorting *sorting.Sorting
	Units   []TruthUnit
}

// SNR returns each unit's SNR by id, for Options.SNR.
func (t *Truth) SNR() map[int64]float64 {
	m := make(map[int64]float64, len(t.Units))
	for _, u := range t.Units {
		m[u.ID] = u.SNR
	}
	return m
}

// ReadTruth reads a truth folder: dir/truth.npz (SpikeInterface npz sorting) and
// dir/units.tsv. Every spike label must be a unit of units.tsv.
func ReadTruth(dir string) (*Truth, error) {
	s, err := sorting.ReadNPZ(filepath.Join(dir, TruthNPZ))
	if err != nil {
		return nil, fmt.Errorf("read truth: %w", err)
	}
	f, err := os.Open(filepath.Join(dir, UnitsTSV))
	if err != nil {
		return nil, fmt.Errorf("read truth: %w", err)
	}
	defer f.Close()
	units, err := ReadUnitsTSV(f)
	if err != nil {
		return nil, fmt.Errorf("read truth %s: %w", filepath.Join(dir, UnitsTSV), err)
	}

	known := make(map[int64]bool, len(units))
	for _, u := range units {
		known[u.ID] = true
	}
	for _, id := range s.UnitIDs {
		if !known[id] {
			return nil, fmt.Errorf("read truth %s: %w: unit %d of %s not in %s", dir,
				ErrTruth, id, TruthNPZ, UnitsTSV)
		}
	}
	// Units that never fired still count as true units.
	ids := make([]int64, len(units))
	for i, u := range units {
		ids[i] = u.ID
	}
	s, err = sorting.New(s.SampleRateHz, s.Times, s.Labels, ids...)
	if err != nil {
		return nil, fmt.Errorf("read truth %s: %w", dir, err)
	}
	return &Truth{Sorting: s, Units: units}, nil
}

// ReadUnitsTSV parses a tab-separated units table with a header row. It needs the columns
// id and snr; class, x_um, y_um, z_um, peak_channel, peak_uv, rate_hz and n_spikes are read
// when present and other columns are ignored. Ids must be unique.
func ReadUnitsTSV(r io.Reader) ([]TruthUnit, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxTSVRow)
	if !sc.Scan() {
		return nil, fmt.Errorf("%w: no header row", ErrTruth)
	}
	col := map[string]int{}
	for i, name := range strings.Split(strings.TrimRight(sc.Text(), "\r"), "\t") {
		col[strings.TrimSpace(name)] = i
	}
	for _, need := range []string{"id", "snr"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("%w: no %q column", ErrTruth, need)
		}
	}

	var units []TruthUnit
	seen := map[int64]bool{}
	for line := 2; sc.Scan(); line++ {
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" {
			continue
		}
		u, err := parseUnitRow(strings.Split(text, "\t"), col)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if seen[u.ID] {
			return nil, fmt.Errorf("line %d: %w: repeated id %d", line, ErrTruth, u.ID)
		}
		seen[u.ID] = true
		units = append(units, u)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTruth, err)
	}
	return units, nil
}

// parseUnitRow reads one row by column name.
func parseUnitRow(fields []string, col map[string]int) (TruthUnit, error) {
	get := func(name string) (string, bool) {
		i, ok := col[name]
		if !ok || i >= len(fields) {
			return "", false
		}
		return strings.TrimSpace(fields[i]), true
	}
	var err error
	num := func(name string) float64 {
		s, ok := get(name)
		if !ok || err != nil {
			return math.NaN()
		}
		v, perr := strconv.ParseFloat(s, 64)
		if perr != nil {
			err = fmt.Errorf("%w: %s %q", ErrTruth, name, s)
		}
		return v
	}
	integer := func(name string) int64 {
		s, ok := get(name)
		if !ok || err != nil {
			return -1
		}
		v, perr := strconv.ParseInt(s, 10, 64)
		if perr != nil {
			err = fmt.Errorf("%w: %s %q", ErrTruth, name, s)
		}
		return v
	}
	if _, ok := get("id"); !ok {
		return TruthUnit{}, fmt.Errorf("%w: short row", ErrTruth)
	}
	class, _ := get("class")
	u := TruthUnit{
		ID: integer("id"), Class: class, XUm: num("x_um"), YUm: num("y_um"), ZUm: num("z_um"),
		PeakChannel: int(integer("peak_channel")), PeakUV: num("peak_uv"), SNR: num("snr"),
		RateHz: num("rate_hz"), NumSpikes: int(integer("n_spikes")),
	}
	return u, err
}

// TruthFromRecording returns the ground truth of a simulated recording: unit ids are the
// indices into rec.Units, and every unit is listed even if it never fired.
func TruthFromRecording(rec *sim.Recording) (*Truth, error) {
	times := make([]int64, len(rec.Truth))
	labels := make([]int64, len(rec.Truth))
	for i, sp := range rec.Truth {
		if sp.Unit < 0 || sp.Unit >= len(rec.Units) {
			return nil, fmt.Errorf("%w: spike %d of unit %d, recording has %d units",
				ErrTruth, i, sp.Unit, len(rec.Units))
		}
		times[i], labels[i] = sp.Sample, int64(sp.Unit)
	}
	units := make([]TruthUnit, len(rec.Units))
	ids := make([]int64, len(rec.Units))
	for i, u := range rec.Units {
		ids[i] = int64(i)
		units[i] = TruthUnit{ID: int64(i), Class: u.Class, XUm: u.XUm, YUm: u.YUm, ZUm: u.ZUm,
			PeakChannel: u.PeakChannel, PeakUV: u.PeakUV, SNR: u.SNR, RateHz: u.RateHz,
			NumSpikes: u.NumSpikes}
	}
	s, err := sorting.New(rec.SampleRateHz, times, labels, ids...)
	if err != nil {
		return nil, fmt.Errorf("truth of recording: %w", err)
	}
	return &Truth{Sorting: s, Units: units}, nil
}
