package sorting

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/spikestream/spikestream/sorting/internal/npy"
)

// ErrFormat is returned, wrapped with detail, when a file is not a readable sorting.
var ErrFormat = errors.New("bad sorting file")

// NPZ entry names of SpikeInterface's NpzSortingExtractor, one segment.
const (
	npzUnitIDs    = "unit_ids"
	npzNumSegment = "num_segment"
	npzRate       = "sampling_frequency"
	npzTimes      = "spike_indexes_seg0"
	npzLabels     = "spike_labels_seg0"
)

// WriteNPZ writes s to path in SpikeInterface's npz sorting layout, as np.savez does
// (an uncompressed zip of .npy files): unit_ids int64 (U,), num_segment int64 [1],
// sampling_frequency float64 [rate], spike_indexes_seg0 int64 (N,) non-decreasing and
// spike_labels_seg0 int64 (N,). spikeinterface.core.read_npz_sorting opens it. The file is
// written to a temporary name and renamed, so readers never see half a file.
func WriteNPZ(path string, s *Sorting) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("write npz %s: %w", path, err)
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("write npz: %w", err)
	}
	werr := writeNPZTo(f, s)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write npz %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write npz: %w", err)
	}
	return nil
}

// writeNPZTo writes the zip archive of s to w.
func writeNPZTo(w io.Writer, s *Sorting) error {
	zw := zip.NewWriter(w)
	entries := []struct {
		name  string
		write func(io.Writer) error
	}{
		{npzUnitIDs, func(w io.Writer) error { return npy.WriteInt64(w, nil, s.UnitIDs) }},
		{npzNumSegment, func(w io.Writer) error { return npy.WriteInt64(w, nil, []int64{1}) }},
		{npzRate, func(w io.Writer) error {
			return npy.WriteFloat64(w, nil, []float64{s.SampleRateHz})
		}},
		{npzTimes, func(w io.Writer) error { return npy.WriteInt64(w, nil, s.Times) }},
		{npzLabels, func(w io.Writer) error { return npy.WriteInt64(w, nil, s.Labels) }},
	}
	for _, e := range entries {
		hdr := &zip.FileHeader{Name: e.name + ".npy", Method: zip.Store}
		ew, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		if err := e.write(ew); err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
	}
	return zw.Close()
}

// ReadNPZ reads a SpikeInterface npz sorting with one segment. Integer arrays of any width
// and byte order are accepted; string unit ids and multi-segment files are errors wrapping
// ErrFormat. Spikes are re-ordered by time if the file does not store them so.
func ReadNPZ(path string) (*Sorting, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read npz: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read npz: %w", err)
	}
	s, err := readNPZ(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("read npz %s: %w", path, err)
	}
	return s, nil
}

// ReadNPZBytes is ReadNPZ on an in-memory file.
func ReadNPZBytes(b []byte) (*Sorting, error) {
	s, err := readNPZ(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("read npz: %w", err)
	}
	return s, nil
}

// readNPZ opens the archive of the given size and decodes it.
func readNPZ(r io.ReaderAt, size int64) (*Sorting, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	return readNPZFrom(zr, size)
}

// readNPZFrom decodes the five arrays of a one-segment npz sorting.
func readNPZFrom(zr *zip.Reader, size int64) (*Sorting, error) {
	ints := map[string][]int64{}
	for _, name := range []string{npzUnitIDs, npzNumSegment, npzTimes, npzLabels} {
		v, err := readZipInts(zr, name, size)
		if err != nil {
			return nil, err
		}
		ints[name] = v
	}
	if n := ints[npzNumSegment]; len(n) != 1 || n[0] != 1 {
		return nil, fmt.Errorf("%w: num_segment %v, only 1 is supported", ErrFormat, n)
	}
	rate, err := readZipFloats(zr, npzRate, size)
	if err != nil {
		return nil, err
	}
	if len(rate) != 1 {
		return nil, fmt.Errorf("%w: sampling_frequency has %d values", ErrFormat, len(rate))
	}

	ids := ints[npzUnitIDs]
	s, err := New(rate[0], ints[npzTimes], ints[npzLabels], ids...)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if len(s.UnitIDs) != len(ids) {
		return nil, fmt.Errorf("%w: spike labels outside unit_ids or repeated unit ids",
			ErrFormat)
	}
	return s, nil
}

// readZipArray decodes entry name+".npy" of zr.
func readZipArray(zr *zip.Reader, name string, size int64) (*npy.Array, error) {
	var zf *zip.File
	for _, f := range zr.File {
		if f.Name == name+".npy" {
			zf = f
			break
		}
	}
	if zf == nil {
		return nil, fmt.Errorf("%w: no entry %s", ErrFormat, name)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: entry %s: %w", ErrFormat, name, err)
	}
	defer rc.Close()
	a, err := npy.Read(rc, maxEntryBytes(zf, size))
	if err != nil {
		return nil, fmt.Errorf("%w: entry %s: %w", ErrFormat, name, err)
	}
	return a, nil
}

// maxEntryBytes bounds what an entry can hold, whatever its header claims: a stored entry
// fits in the archive, and deflate expands at most about 1032 times.
func maxEntryBytes(zf *zip.File, archiveBytes int64) int64 {
	limit := archiveBytes
	if zf.Method != zip.Store {
		limit = min(archiveBytes, math.MaxInt64/2048)*1032 + 1024
	}
	return min(limit, int64(min(zf.UncompressedSize64, math.MaxInt64)))
}

func readZipInts(zr *zip.Reader, name string, size int64) ([]int64, error) {
	a, err := readZipArray(zr, name, size)
	if err != nil {
		return nil, err
	}
	v, err := a.Int64s()
	if err != nil {
		return nil, fmt.Errorf("%w: entry %s: %w", ErrFormat, name, err)
	}
	return v, nil
}

func readZipFloats(zr *zip.Reader, name string, size int64) ([]float64, error) {
	a, err := readZipArray(zr, name, size)
	if err != nil {
		return nil, err
	}
	v, err := a.Float64s()
	if err != nil {
		return nil, fmt.Errorf("%w: entry %s: %w", ErrFormat, name, err)
	}
	return v, nil
}
