package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"github.com/spikestream/spikestream/internal/dsp"
	"github.com/spikestream/spikestream/pipeline"
	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/sorting"
	"github.com/spikestream/spikestream/stream"
)

// ErrBadInput is returned, wrapped, for recordings and flags that cannot be sorted.
var ErrBadInput = errors.New("bad input")

// RawInput describes a headerless int16 little-endian recording interleaved by sample.
type RawInput struct {
	Path         string
	Channels     int // channels sorted: the probe's channels
	SampleRateHz float64
	UVPerBit     float64
	Probe        *probe.Probe
	// FileChannels is the number of channels interleaved in the file [Channels]; the
	// trailing FileChannels-Channels of every sample (a SpikeGLX sync word) are skipped.
	FileChannels int
}

// fileChannels returns the channels interleaved in the file.
func (r RawInput) fileChannels() int { return max(r.FileChannels, r.Channels) }

// open opens the recording as a stream of the sorted channels' samples.
func (r RawInput) open() (io.Reader, io.Closer, error) {
	f, err := os.Open(r.Path)
	if err != nil {
		return nil, nil, err
	}
	src := DropTrailingChannels(bufio.NewReaderSize(f, 1<<20), r.fileChannels(), r.Channels)
	return src, f, nil
}

// Check validates the description against the file and the probe before any work.
func (r RawInput) Check() (numSamples int64, err error) {
	switch {
	case r.Channels <= 0:
		return 0, fmt.Errorf("%w: --channels %d", ErrBadInput, r.Channels)
	case r.SampleRateHz < 10000 || r.SampleRateHz > 50000:
		return 0, fmt.Errorf("%w: --rate-hz %g outside 10000-50000", ErrBadInput, r.SampleRateHz)
	case !(r.UVPerBit > 0) || r.UVPerBit > 1000:
		return 0, fmt.Errorf("%w: --uv-per-bit %g", ErrBadInput, r.UVPerBit)
	case r.Probe == nil:
		return 0, fmt.Errorf("%w: no probe", ErrBadInput)
	case r.FileChannels != 0 && r.FileChannels < r.Channels:
		return 0, fmt.Errorf("%w: file has %d channels, fewer than the %d to sort", ErrBadInput,
			r.FileChannels, r.Channels)
	case r.Probe.NumChannels() != r.Channels:
		return 0, fmt.Errorf("%w: --channels %d but the probe has %d channels", ErrBadInput,
			r.Channels, r.Probe.NumChannels())
	}
	st, err := os.Stat(r.Path)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	frame := int64(r.fileChannels()) * 2
	if st.Size()%frame != 0 {
		return 0, fmt.Errorf("%w: %s is %d bytes, not a whole number of %d-channel int16 samples",
			ErrBadInput, r.Path, st.Size(), r.fileChannels())
	}
	return st.Size() / frame, nil
}

// FileOptions sets up SortFile.
type FileOptions struct {
	Input     RawInput
	OutDir    string // phy folder and sorting.npz go here
	Method    Method
	ModelPath string
	Pipeline  pipeline.Config
	Metrics   *pipeline.Metrics
	Log       *zap.Logger
}

// FileResult summarises a file sort.
type FileResult struct {
	Sorting   *sorting.Sorting
	Events    []stream.SpikeEvent // in Sorting's spike order
	Units     int
	Elapsed   time.Duration
	Frames    stream.FrameStats
	NumSample int64
}

// SortFile sorts a whole recording through the live path: an embedded NATS server, a
// replay of the file at the consumer's pace, the same stages as a live sort, and a
// collector on the bus. It writes a phy folder and sorting.npz into OutDir. The online
// assigner runs deterministically (SorterConfig.Deterministic): sorting a file twice gives
// the same labels.
func SortFile(ctx context.Context, o FileOptions) (*FileResult, error) {
	n, err := o.Input.Check()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("output folder: %w", err)
	}
	res, err := sortRaw(ctx, o, n)
	if err != nil {
		return nil, err
	}
	if err := writeOutputs(o, res); err != nil {
		return nil, err
	}
	return res, nil
}

func sortRaw(ctx context.Context, o FileOptions, n int64) (*FileResult, error) {
	src, f, err := o.Input.open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	res, err := Session{Source: src, Probe: o.Input.Probe,
		SampleRateHz: o.Input.SampleRateHz, UVPerBit: o.Input.UVPerBit, Speed: 0,
		Method: o.Method, ModelPath: o.ModelPath, Pipeline: o.Pipeline, Metrics: o.Metrics,
		Log: o.Log, Stream: "file", Deterministic: true}.Run(ctx)
	if err != nil {
		return nil, err
	}
	return &FileResult{Sorting: res.Sorting, Events: res.Events, Units: len(res.Sorting.UnitIDs),
		Elapsed: res.Elapsed, Frames: res.Frames, NumSample: n}, nil
}

// Replay publishes a raw recording as stream name at speed (1 real time, 0 as fast as the
// consumer acknowledges), in 1 ms frames, ending with an end-of-stream frame.
func Replay(ctx context.Context, conn *stream.Conn, name string, in RawInput,
	speed float64) (stream.ReplayStats, error) {
	subj, err := stream.SubjectsFor(name)
	if err != nil {
		return stream.ReplayStats{}, err
	}
	return replaySubjects(ctx, conn, subj, in, speed)
}

func replaySubjects(ctx context.Context, conn *stream.Conn, subj stream.Subjects, in RawInput,
	speed float64) (stream.ReplayStats, error) {
	src, f, err := in.open()
	if err != nil {
		return stream.ReplayStats{}, err
	}
	defer f.Close()
	return stream.Replay(ctx, conn, subj, src, stream.ReplayOptions{
		Channels: in.Channels, SampleRateHz: in.SampleRateHz, UVPerUnit: float32(in.UVPerBit),
		Speed: speed})
}

// writeOutputs writes sorting.npz and the phy folder.
func writeOutputs(o FileOptions, r *FileResult) error {
	if err := sorting.WriteNPZ(filepath.Join(o.OutDir, "sorting.npz"), r.Sorting); err != nil {
		return fmt.Errorf("write sorting.npz: %w", err)
	}
	tpl, tplSamples, err := meanTemplates(o.Input, r.Sorting)
	if err != nil {
		return fmt.Errorf("templates: %w", err)
	}
	amps := make([]float32, len(r.Events))
	for i, e := range r.Events {
		amps[i] = e.AmplitudeUV
	}
	dat, err := filepath.Abs(o.Input.Path)
	if err != nil {
		return err
	}
	return sorting.WritePhy(o.OutDir, r.Sorting, sorting.PhyExtras{
		Probe: o.Input.Probe, DatPath: dat, NumChannelsDat: o.Input.fileChannels(),
		Templates: tpl, TemplateSamples: tplSamples, AmplitudesUV: amps,
	})
}

// templateSpikes bounds the spikes averaged into each unit's template.
const templateSpikes = 100

// meanTemplates averages, per unit, up to templateSpikes raw windows (-1..+1.7 ms) read
// from the file, each channel's window median removed as a cheap high-pass. The result is
// units x samples x channels in uV, for phy's display.
func meanTemplates(in RawInput, s *sorting.Sorting) ([]float32, int, error) {
	f, err := os.Open(in.Path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	pre := int(1e-3 * in.SampleRateHz)
	n := pre + int(1.7e-3*in.SampleRateHz)
	nch, fch := in.Channels, in.fileChannels()
	out := make([]float32, len(s.UnitIDs)*n*nch)
	counts := make([]int, len(s.UnitIDs))
	raw := make([]byte, n*fch*2)
	win := make([]float32, n*nch)
	for i, t := range s.Times {
		u := s.UnitIndex(s.Labels[i])
		if counts[u] >= templateSpikes || t < int64(pre) {
			continue
		}
		if _, err := f.ReadAt(raw, (t-int64(pre))*int64(fch)*2); err != nil {
			if errors.Is(err, io.EOF) {
				continue
			}
			return nil, 0, err
		}
		decodeWindow(raw, win, in.UVPerBit, nch, fch)
		acc := out[u*n*nch : (u+1)*n*nch]
		for k, v := range win {
			acc[k] += v
		}
		counts[u]++
	}
	for u, c := range counts {
		if c == 0 {
			continue
		}
		acc := out[u*n*nch : (u+1)*n*nch]
		for k := range acc {
			acc[k] /= float32(c)
		}
	}
	return out, n, nil
}

// decodeWindow converts the first nch of every fch little-endian int16 samples to uV and
// removes each channel's median.
func decodeWindow(raw []byte, win []float32, uvPerBit float64, nch, fch int) {
	for k := range win {
		i := 2 * ((k/nch)*fch + k%nch)
		win[k] = float32(int16(uint16(raw[i])|uint16(raw[i+1])<<8)) * float32(uvPerBit)
	}
	n := len(win) / nch
	col := make([]float32, n)
	for ch := 0; ch < nch; ch++ {
		for k := 0; k < n; k++ {
			col[k] = win[k*nch+ch]
		}
		m := dsp.Median(col)
		for k := 0; k < n; k++ {
			win[k*nch+ch] -= m
		}
	}
}
