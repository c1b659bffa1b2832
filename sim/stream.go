package sim

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"runtime"

	"github.com/spikestream/spikestream/sim/neuron"
)

// Stream is Generate for recordings too long to hold in memory: it builds the units, spike
// trains, truth and noise as Generate does, and returns the Recording without its samples
// (Samples is nil) together with a SampleReader that renders them as they are read. The
// samples are those Generate would give for cfg, byte for byte. Memory does not grow with
// the duration beyond the truth and the spike events (tens of bytes per spike). Errors
// wrap ErrBadConfig as Generate's do; Stream has no MaxOutputBytes limit.
func Stream(ctx context.Context, cfg Config) (*Recording, *SampleReader, error) {
	cfg = withDefaults(cfg)
	if err := validateStream(cfg); err != nil {
		return nil, nil, err
	}
	lib, err := loadLibrary(ctx, cfg.LibraryDir, cfg.LibrarySize, cfg.LibrarySeed)
	if err != nil {
		return nil, nil, fmt.Errorf("stream: %w", err)
	}
	return stream(ctx, cfg, lib)
}

// stream is Stream for a validated, defaulted cfg and the given cells.
func stream(ctx context.Context, cfg Config, lib []*neuron.Sources) (*Recording,
	*SampleReader, error) {
	pl, err := plan(ctx, cfg, lib)
	if err != nil {
		return nil, nil, err
	}
	rec := pl.s.recording(pl.units, pl.truth, nil, 0)
	sy := newSynth(pl.s, pl.units, pl.events, pl.noise)
	return rec, &SampleReader{ctx: ctx, sy: sy, rec: rec}, nil
}

// streamBatch is how many synthesis chunks a SampleReader renders at once, per CPU.
const streamBatch = 4

// SampleReader renders a streamed recording's samples on demand: Read fills p with
// little-endian int16 samples interleaved by sample, as in the recording's rec.dat, and
// returns io.EOF after the last one. It renders a batch of chunks at a time on all CPUs
// and keeps only that batch (a few MB on 384 channels). When the last sample has been
// read, the Recording's ClippedSamples holds the count of saturated samples. A
// SampleReader is not safe for concurrent use; Read returns the context's error once the
// context given to Stream ends.
type SampleReader struct {
	ctx   context.Context
	sy    *synth
	rec   *Recording
	next  int     // first sample not yet rendered
	rows  []int16 // rendered, not yet read
	off   int     // values of rows already read
	batch []int16
}

// Read implements io.Reader. It returns whole int16 values only, so p must hold at least
// two bytes.
func (r *SampleReader) Read(p []byte) (int, error) {
	if r.off == len(r.rows) {
		if err := r.fill(); err != nil {
			return 0, err
		}
	}
	n := min(len(p)/2, len(r.rows)-r.off)
	if n == 0 {
		return 0, io.ErrShortBuffer
	}
	for i, v := range r.rows[r.off : r.off+n] {
		binary.LittleEndian.PutUint16(p[2*i:], uint16(v))
	}
	r.off += n
	return 2 * n, nil
}

// fill renders the next batch of chunks into r.rows; io.EOF after the last sample.
func (r *SampleReader) fill() error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	total := r.sy.s.nSamples
	if r.next >= total {
		r.rec.ClippedSamples = r.sy.clipped.Load()
		return io.EOF
	}
	chans := r.sy.noise.channels
	rows := min(streamBatch*runtime.GOMAXPROCS(0)*synthChunk, total-r.next)
	if cap(r.batch) < rows*chans {
		r.batch = make([]int16, rows*chans)
	}
	r.rows, r.off = r.batch[:rows*chans], 0
	t0 := r.next
	nChunks := (rows + synthChunk - 1) / synthChunk
	err := parallelFor(r.ctx, nChunks, func(k int) {
		a := t0 + k*synthChunk
		n := min(synthChunk, t0+rows-a)
		out := r.rows[(a-t0)*chans : (a-t0+n)*chans]
		r.sy.clipped.Add(r.sy.render(out, a, n))
	})
	if err != nil {
		r.rows = r.rows[:0]
		return err
	}
	r.next += rows
	return nil
}
