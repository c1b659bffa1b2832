package sim

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"unsafe"

	"codeberg.org/sbinet/npyio"

	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/sorting"
)

// Files of a recording directory written by WriteDir.
const (
	FileSamples   = "rec.dat"       // int16 little-endian, interleaved by sample
	FileProbe     = "probe.json"    // probeinterface JSON
	FileMeta      = "meta.json"     // Meta
	FileTruth     = "truth.npz"     // SpikeInterface npz sorting; unit ids = units.tsv ids
	FileTemplates = "templates.npy" // float32 uV, units x samples x channels
	FileUnits     = "units.tsv"     // one row per unit, see unitColumns
	metaFormat    = "spikestream-sim-1"
)

// ErrBadDir is returned, wrapped with detail, when ReadDir finds a directory that is not
// a complete, consistent recording.
var ErrBadDir = errors.New("bad recording directory")

// Meta is the content of meta.json: how to read rec.dat, and every parameter the
// recording was made with.
type Meta struct {
	Format          string  `json:"format"`
	SampleRateHz    float64 `json:"sample_rate_hz"`
	NumChannels     int     `json:"num_channels"`
	NumSamples      int     `json:"num_samples"`
	DType           string  `json:"dtype"`
	UVPerBit        float64 `json:"uv_per_bit"`
	DurationS       float64 `json:"duration_s"`
	Seed            int64   `json:"seed"`
	ProbeName       string  `json:"probe_name"`
	TemplateSamples int     `json:"template_samples"`
	TemplatePre     int     `json:"template_pre"`
	ClippedSamples  int64   `json:"clipped_samples"`

	Config     MetaConfig `json:"config"`
	Model      MetaModel  `json:"model"`
	DriftStepS float64    `json:"drift_step_s,omitempty"`
	DriftUm    []float32  `json:"drift_trace_um,omitempty"`
}

// MetaConfig mirrors Config without the probe (which is in probe.json).
type MetaConfig struct {
	Units           int                `json:"units"`
	DurationS       float64            `json:"duration_s"`
	SampleRateHz    float64            `json:"sample_rate_hz"`
	NoiseUV         float64            `json:"noise_uv"`
	UVPerBit        float64            `json:"uv_per_bit"`
	Seed            int64              `json:"seed"`
	DriftUm         float64            `json:"drift_um"`
	DriftJumps      int                `json:"drift_jumps"`
	DriftJumpUm     float64            `json:"drift_jump_um"`
	DriftNonRigid   float64            `json:"drift_non_rigid"`
	BackgroundCells int                `json:"background_cells"`
	ClassMix        map[string]float64 `json:"class_mix,omitempty"`
	LibraryDir      string             `json:"library_dir"`
	LibrarySize     int                `json:"library_size"`
}

// MetaModel records the fixed constants of the simulator, so that a recording documents
// the model that made it.
type MetaModel struct {
	LibrarySeed       int64      `json:"library_seed"`
	TemplatePreMs     float64    `json:"template_pre_ms"`
	TemplatePostMs    float64    `json:"template_post_ms"`
	AmplifierHz       float64    `json:"amplifier_lowpass_hz"`
	PinkCornersHz     []float64  `json:"noise_pink_corners_hz"`
	NoiseCorrLengthUm float64    `json:"noise_corr_length_um"`
	NoiseCommonW      float64    `json:"noise_common_weight"`
	UnitZRangeUm      [2]float64 `json:"unit_z_range_um"`
	UnitMarginUm      float64    `json:"unit_lateral_margin_um"`
	PeakRangeUV       [2]float64 `json:"unit_peak_range_uv"`
	BackgroundDistUm  [2]float64 `json:"background_distance_um"`
	DriftGridUm       float64    `json:"drift_grid_um"`
	CoincideShare     float64    `json:"coincident_share"`
	CoincideLagMs     float64    `json:"coincident_lag_ms"`
	TemplatePhases    int        `json:"template_phases"`
	AmplitudeModDepth float64    `json:"amplitude_mod_max_depth"`
	AmplitudeModS     [2]float64 `json:"amplitude_mod_period_s"`
}

func currentModel(librarySeed int64) MetaModel {
	if librarySeed == 0 {
		librarySeed = LibrarySeed
	}
	return MetaModel{LibrarySeed: librarySeed, TemplatePreMs: templatePreMs,
		TemplatePostMs: templatePostMs, AmplifierHz: amplifierHz,
		PinkCornersHz: pinkCornersHz[:], NoiseCorrLengthUm: noiseCorrLengthUm,
		NoiseCommonW: noiseCommonW, UnitZRangeUm: [2]float64{unitMinZUm, unitMaxZUm},
		UnitMarginUm: unitMarginUm, PeakRangeUV: [2]float64{minPeakUV, maxPeakUV},
		BackgroundDistUm: [2]float64{bgMinDistUm, bgMaxDistUm}, DriftGridUm: driftGridUm,
		CoincideShare: coincideShare, CoincideLagMs: coincideLagMs,
		TemplatePhases: templatePhases, AmplitudeModDepth: maxModDepth,
		AmplitudeModS: [2]float64{modMinS, modMaxS}}
}

// meta returns the Meta of r.
func (r *Recording) meta() Meta {
	c := r.Config
	return Meta{Format: metaFormat, SampleRateHz: r.SampleRateHz,
		NumChannels: r.NumChannels(), NumSamples: r.NumSamples, DType: "int16",
		UVPerBit: r.UVPerBit, DurationS: r.DurationS(), Seed: c.Seed, ProbeName: r.Probe.Name,
		TemplateSamples: r.TemplateSamples, TemplatePre: r.TemplatePre,
		ClippedSamples: r.ClippedSamples, Model: currentModel(c.LibrarySeed),
		DriftStepS: r.DriftStepS, DriftUm: r.DriftTraceUm,
		Config: MetaConfig{Units: c.Units, DurationS: c.DurationS,
			SampleRateHz: c.SampleRateHz, NoiseUV: c.NoiseUV, UVPerBit: c.UVPerBit,
			Seed: c.Seed, DriftUm: c.DriftUm, DriftJumps: c.DriftJumps,
			DriftJumpUm: c.DriftJumpUm, DriftNonRigid: c.DriftNonRigid,
			BackgroundCells: c.BackgroundCells, ClassMix: c.ClassMix,
			LibraryDir: c.LibraryDir, LibrarySize: c.LibrarySize}}
}

// WriteDir writes r into dir (created if missing; existing files of the same names are
// replaced): rec.dat, probe.json, meta.json, truth.npz, templates.npy and units.tsv. It
// is safe to call concurrently for different directories.
func (r *Recording) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write recording: %w", err)
	}
	steps := []struct {
		name  string
		write func(path string) error
	}{
		{FileSamples, r.writeSamples}, {FileProbe, r.writeProbe}, {FileMeta, r.writeMeta},
		{FileTruth, r.writeTruth}, {FileTemplates, r.writeTemplates},
		{FileUnits, r.writeUnits},
	}
	for _, s := range steps {
		if err := s.write(filepath.Join(dir, s.name)); err != nil {
			return fmt.Errorf("write recording %s: %w", s.name, err)
		}
	}
	return nil
}

// createWith creates path, runs fill on a buffered writer and closes, reporting the first
// error.
func createWith(path string, fill func(w io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	err = fill(bw)
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (r *Recording) writeSamples(path string) error {
	return createWith(path, func(w io.Writer) error {
		if le := littleEndianBytes(r.Samples); le != nil {
			_, err := w.Write(le)
			return err
		}
		buf := make([]byte, 0, 1<<20)
		for i := 0; i < len(r.Samples); i += 1 << 19 {
			part := r.Samples[i:min(i+1<<19, len(r.Samples))]
			buf = buf[:0]
			for _, v := range part {
				buf = binary.LittleEndian.AppendUint16(buf, uint16(v))
			}
			if _, err := w.Write(buf); err != nil {
				return err
			}
		}
		return nil
	})
}

// littleEndianBytes returns the bytes of x without copying when the host stores int16
// little-endian (then they are already the file's layout), and nil otherwise.
func littleEndianBytes(x []int16) []byte {
	if len(x) == 0 || binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), 2*len(x))
}

func (r *Recording) writeProbe(path string) error {
	return createWith(path, r.Probe.WriteJSON)
}

func (r *Recording) writeMeta(path string) error {
	return createWith(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(r.meta())
	})
}

// TruthSorting returns the ground truth as a sorting, unit ids 0..len(Units)-1 (units
// without spikes included).
func (r *Recording) TruthSorting() (*sorting.Sorting, error) {
	times := make([]int64, len(r.Truth))
	labels := make([]int64, len(r.Truth))
	for i, t := range r.Truth {
		times[i], labels[i] = t.Sample, int64(t.Unit)
	}
	ids := make([]int64, len(r.Units))
	for i := range ids {
		ids[i] = int64(i)
	}
	return sorting.New(r.SampleRateHz, times, labels, ids...)
}

func (r *Recording) writeTruth(path string) error {
	s, err := r.TruthSorting()
	if err != nil {
		return err
	}
	return sorting.WriteNPZ(path, s)
}

func (r *Recording) writeTemplates(path string) error {
	chans, ts := r.NumChannels(), r.TemplateSamples
	nested := make([][][]float32, len(r.Units))
	for u := range nested {
		nested[u] = make([][]float32, ts)
		for k := range ts {
			off := (u*ts + k) * chans
			nested[u][k] = r.Templates[off : off+chans]
		}
	}
	return createWith(path, func(w io.Writer) error { return npyio.Write(w, nested) })
}

// unitColumns is the header of units.tsv; the first ten columns are a fixed contract.
var unitColumns = []string{"id", "class", "x_um", "y_um", "z_um", "peak_channel", "peak_uv",
	"snr", "rate_hz", "n_spikes", "drift_scale", "library_id"}

func (r *Recording) writeUnits(path string) error {
	return createWith(path, func(w io.Writer) error {
		for i, c := range unitColumns {
			sep := "\t"
			if i == len(unitColumns)-1 {
				sep = "\n"
			}
			if _, err := fmt.Fprint(w, c, sep); err != nil {
				return err
			}
		}
		for _, u := range r.Units {
			_, err := fmt.Fprintf(w, "%d\t%s\t%.3f\t%.3f\t%.3f\t%d\t%.4f\t%.4f\t%.5f\t%d\t%.5f\t%d\n",
				u.ID, u.Class, u.XUm, u.YUm, u.ZUm, u.PeakChannel, u.PeakUV, u.SNR, u.RateHz,
				u.NumSpikes, u.DriftScale, u.LibraryID)
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// readProbe loads probe.json of dir.
func readProbe(dir string) (*probe.Probe, error) {
	p, err := probe.Load(filepath.Join(dir, FileProbe))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadDir, err)
	}
	return p, nil
}
