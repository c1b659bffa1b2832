package library

import (
	"bufio"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"

	"github.com/spikestream/spikestream/sim/neuron"
)

// ErrBadFile is returned, wrapped with detail, for a library file that is not one, is of
// another Version, or does not hold what its header promises.
var ErrBadFile = errors.New("bad library file")

const magic = "spikestream-template-library"

// header starts every library file.
type header struct {
	Magic        string
	Version      int
	ModelVersion int
	Config       Config
}

// CacheKey returns the file name under which LoadOrBuild caches the library of cfg
// (defaults filled in): "library-v<Version>-<16 hex digits of a hash of cfg and
// neuron.ModelVersion>.gob.z".
func CacheKey(cfg Config) (string, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return "", fmt.Errorf("cache key: %w", err)
	}
	h := sha256.New()
	fmt.Fprintf(h, "v%d|m%d|n%d|s%d|%q|", Version, neuron.ModelVersion, cfg.N, cfg.Seed,
		cfg.Classes)
	for _, f := range []float64{cfg.DtMs, cfg.MergeUm, cfg.PreMs, cfg.PostMs} {
		h.Write(binary.LittleEndian.AppendUint64(nil, math.Float64bits(f)))
	}
	return fmt.Sprintf("library-v%d-%x.gob.z", Version, h.Sum(nil)[:8]), nil
}

// LoadOrBuild returns the library of cfg from cacheDir if a valid file is there, and
// otherwise builds it (see Build) and writes it to cacheDir (created if missing) before
// returning. An unreadable or stale cache file is rebuilt and replaced; a failure to write
// the cache is returned as an error along with nothing, so callers notice a broken cache
// directory.
func LoadOrBuild(ctx context.Context, cacheDir string, cfg Config) (*Library, error) {
	name, err := CacheKey(cfg)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(cacheDir, name)
	if lib, err := Load(path); err == nil {
		return lib, nil
	}
	lib, err := Build(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("library cache: %w", err)
	}
	if err := lib.Save(path); err != nil {
		return nil, err
	}
	return lib, nil
}

// Save writes the library to path atomically (a temporary file renamed into place).
func (l *Library) Save(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".library-*.tmp")
	if err != nil {
		return fmt.Errorf("save library: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := l.Write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("save library %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save library %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save library: %w", err)
	}
	return nil
}

// Write encodes the library to w: a gob header and the cells, deflate-compressed.
func (l *Library) Write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	zw, err := flate.NewWriter(bw, flate.BestSpeed)
	if err != nil {
		return fmt.Errorf("write library: %w", err)
	}
	enc := gob.NewEncoder(zw)
	if err := enc.Encode(header{Magic: magic, Version: Version,
		ModelVersion: neuron.ModelVersion, Config: l.cfg}); err != nil {
		return fmt.Errorf("write library header: %w", err)
	}
	disk := make([]diskCell, len(l.cells))
	for i, c := range l.cells {
		disk[i] = toDisk(c)
	}
	if err := enc.Encode(disk); err != nil {
		return fmt.Errorf("write library cells: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write library: %w", err)
	}
	return bw.Flush()
}

// Load reads a library file written by Save. Errors wrap ErrBadFile for content problems.
func Load(path string) (*Library, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load library: %w", err)
	}
	defer f.Close()
	lib, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("load library %s: %w", path, err)
	}
	return lib, nil
}

// Read decodes a library written by Write, checking its header, version and shape.
func Read(r io.Reader) (*Library, error) {
	dec := gob.NewDecoder(flate.NewReader(bufio.NewReader(r)))
	var h header
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrBadFile, err)
	}
	if h.Magic != magic || h.Version != Version || h.ModelVersion != neuron.ModelVersion {
		return nil, fmt.Errorf("%w: magic %q version %d model %d, want version %d model %d",
			ErrBadFile, h.Magic, h.Version, h.ModelVersion, Version, neuron.ModelVersion)
	}
	var disk []diskCell
	if err := dec.Decode(&disk); err != nil {
		return nil, fmt.Errorf("%w: cells: %w", ErrBadFile, err)
	}
	cells := make([]*neuron.Sources, len(disk))
	for i, d := range disk {
		c, err := fromDisk(d)
		if err != nil {
			return nil, fmt.Errorf("%w: cell %d: %w", ErrBadFile, i, err)
		}
		cells[i] = c
	}
	lib := &Library{cfg: h.Config, cells: cells}
	if err := lib.check(); err != nil {
		return nil, err
	}
	return lib, nil
}

// check verifies that the decoded cells have the shape the header promises.
func (l *Library) check() error {
	want, err := l.cfg.withDefaults()
	if err != nil || !reflect.DeepEqual(want, l.cfg) || len(l.cells) != l.cfg.N {
		return fmt.Errorf("%w: %d cells for config %+v", ErrBadFile, len(l.cells), l.cfg)
	}
	for i, s := range l.cells {
		if err := checkSources(s); err != nil {
			return fmt.Errorf("%w: cell %d: %w", ErrBadFile, i, err)
		}
	}
	return nil
}

func checkSources(s *neuron.Sources) error {
	if s == nil || s.NumSegments() == 0 || s.NumSteps() == 0 {
		return errors.New("empty")
	}
	n, steps := s.NumSegments(), s.NumSteps()
	if len(s.Start) != n || len(s.End) != n || len(s.Parent) != n || len(s.Kind) != n {
		return errors.New("geometry and currents differ in length")
	}
	if s.PeakStep < 0 || s.PeakStep >= steps || !(s.DtMs > 0) {
		return fmt.Errorf("peak step %d of %d, dt %g ms", s.PeakStep, steps, s.DtMs)
	}
	for i, p := range s.Parent {
		if p >= i || (p < 0 && i > 0) {
			return fmt.Errorf("segment %d has parent %d", i, p)
		}
	}
	for i, c := range s.CurrentsNA {
		if len(c) != steps {
			return fmt.Errorf("segment %d has %d steps, want %d", i, len(c), steps)
		}
	}
	return nil
}
