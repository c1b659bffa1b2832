package sorting

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spikestream/spikestream/sorting/internal/npy"
)

// maxParamsBytes bounds params.py; real ones are a few hundred bytes.
const maxParamsBytes = 1 << 20

// ReadPhy reads the spike times and clusters of a phy (or Kilosort) folder: sample_rate
// from params.py, spike_times.npy (any integer dtype, shape (N,) or (N, 1)),
// spike_clusters.npy or, when absent, spike_templates.npy, and cluster_group.tsv when present
// (its cluster ids are kept as units even without spikes). Unlike SpikeInterface's read_phy
// it keeps clusters missing from the tsv and does not filter groups.
func ReadPhy(dir string) (*Sorting, error) {
	rate, err := readPhyRate(filepath.Join(dir, "params.py"))
	if err != nil {
		return nil, fmt.Errorf("read phy %s: %w", dir, err)
	}
	times, err := readNpyInts(filepath.Join(dir, "spike_times.npy"))
	if err != nil {
		return nil, fmt.Errorf("read phy %s: %w", dir, err)
	}
	labels, err := readNpyInts(filepath.Join(dir, "spike_clusters.npy"))
	if errors.Is(err, fs.ErrNotExist) {
		labels, err = readNpyInts(filepath.Join(dir, "spike_templates.npy"))
	}
	if err != nil {
		return nil, fmt.Errorf("read phy %s: %w", dir, err)
	}
	listed, err := readGroupIDs(filepath.Join(dir, "cluster_group.tsv"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read phy %s: %w", dir, err)
	}

	s, err := New(rate, times, labels, listed...)
	if err != nil {
		return nil, fmt.Errorf("read phy %s: %w: %w", dir, ErrFormat, err)
	}
	return s, nil
}

// readNpyInts reads a whole .npy file of integers.
func readNpyInts(path string) ([]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	a, err := npy.Read(bufio.NewReader(f), st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", filepath.Base(path), ErrFormat, err)
	}
	if nonUnitDims(a.Shape) > 1 {
		return nil, fmt.Errorf("%s: %w: shape %v is not a vector", filepath.Base(path),
			ErrFormat, a.Shape)
	}
	v, err := a.Int64s()
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", filepath.Base(path), ErrFormat, err)
	}
	return v, nil
}

// nonUnitDims counts dimensions other than 1, so (N,) and (N, 1) are both vectors.
func nonUnitDims(shape []int) int {
	n := 0
	for _, d := range shape {
		if d != 1 {
			n++
		}
	}
	return n
}

// readPhyRate reads sample_rate from params.py.
func readPhyRate(path string) (float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	params, err := ParsePhyParams(io.LimitReader(f, maxParamsBytes))
	if err != nil {
		return 0, fmt.Errorf("params.py: %w", err)
	}
	raw, ok := params["sample_rate"]
	if !ok {
		return 0, fmt.Errorf("params.py: %w: no sample_rate", ErrFormat)
	}
	rate, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return 0, fmt.Errorf("params.py: %w: sample_rate %q", ErrFormat, raw)
	}
	return rate, nil
}

// ParsePhyParams reads the simple "name = value" assignments of a phy params.py and returns
// each value's source text, trimmed (strings keep their quotes). Blank lines and comments
// are skipped; any other line is an error wrapping ErrFormat. It does not evaluate Python.
func ParsePhyParams(r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		if !ok || !isPyName(name) {
			return nil, fmt.Errorf("%w: line %d: %q", ErrFormat, n, line)
		}
		out[name] = strings.TrimSpace(value)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	return out, nil
}

// isPyName reports whether s is a plain ASCII Python identifier.
func isPyName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, c := range []byte(s) {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// readGroupIDs returns the cluster ids listed in a cluster_group.tsv (first column, header
// "cluster_id" or "id").
func readGroupIDs(path string) ([]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()

	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return nil, fmt.Errorf("%s: %w: empty", filepath.Base(path), ErrFormat)
	}
	head := strings.Split(strings.TrimSpace(sc.Text()), "\t")
	if head[0] != "cluster_id" && head[0] != "id" {
		return nil, fmt.Errorf("%s: %w: first column %q", filepath.Base(path), ErrFormat,
			head[0])
	}
	var ids []int64
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		first, _, _ := strings.Cut(line, "\t")
		id, err := strconv.ParseInt(first, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %w: cluster id %q", filepath.Base(path), ErrFormat,
				first)
		}
		ids = append(ids, id)
	}
	return ids, sc.Err()
}
