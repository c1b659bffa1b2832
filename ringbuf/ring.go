// Package ringbuf is a multichannel sample ring: one writer appends blocks of interleaved
// samples, readers look back at any sample still held, addressed by its absolute sample
// index, and cut windows of chosen channels without copying the whole window.
//
// Concurrency: exactly one goroutine writes. Readers may run in other goroutines; Written
// publishes, with release semantics, how far the writer has got, so a reader that loads
// Written before reading sees every sample below it. Samples older than Written-Cap are
// overwritten; a reader that may lag that far must check Overrun after reading.
package ringbuf

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// ErrTooOld is returned when a requested sample has already been overwritten.
var ErrTooOld = errors.New("ringbuf: sample overwritten")

// ErrNotYet is returned when a requested sample has not been written yet.
var ErrNotYet = errors.New("ringbuf: sample not written yet")

// Ring holds the last Cap samples of Channels channels, interleaved by sample.
type Ring struct {
	channels int
	mask     int64 // capacity-1; capacity is a power of two
	data     []float32
	start    atomic.Int64 // index of the first sample written since the last Reset
	written  atomic.Int64 // index one past the last sample written
}

// New returns a ring of channels channels holding at least minSamples samples per channel
// (rounded up to a power of two). It allocates channels*capacity float32 values.
func New(channels, minSamples int) (*Ring, error) {
	if channels <= 0 || minSamples <= 0 {
		return nil, fmt.Errorf("ringbuf: bad size %d channels x %d samples", channels, minSamples)
	}
	capacity := int64(1)
	for capacity < int64(minSamples) {
		capacity <<= 1
	}
	data := make([]float32, int64(channels)*capacity)
	return &Ring{channels: channels, mask: capacity - 1, data: data}, nil
}

// Channels returns the number of channels.
func (r *Ring) Channels() int { return r.channels }

// Cap returns the number of samples per channel the ring holds.
func (r *Ring) Cap() int64 { return r.mask + 1 }

// Written returns the index one past the newest sample written.
func (r *Ring) Written() int64 { return r.written.Load() }

// Start returns the index of the oldest sample written since the last Reset. Samples below
// max(Start, Written-Cap) are not available.
func (r *Ring) Start() int64 { return r.start.Load() }

// Reset restarts the ring at sample index first; earlier samples become unavailable. Only
// the writer may call it. A reader still working on samples from before the reset sees
// them as unavailable (Available, Cut) or overwritten (Overrun), never as valid data.
func (r *Ring) Reset(first int64) {
	r.written.Store(first)
	r.start.Store(first)
}

// Append writes a block of interleaved samples (len a multiple of Channels) following the
// newest sample. It does not allocate. Only the writer may call it.
func (r *Ring) Append(block []float32) {
	n := int64(len(block) / r.channels)
	w := r.written.Load()
	for i := int64(0); i < n; {
		slot := (w + i) & r.mask
		run := min(n-i, r.mask+1-slot)
		src := block[i*int64(r.channels) : (i+run)*int64(r.channels)]
		copy(r.data[slot*int64(r.channels):], src)
		i += run
	}
	r.written.Store(w + n)
}

// Row returns the samples of all channels at sample index t, aliasing the ring's memory:
// the slice is valid until the writer overwrites that slot. The caller must have checked
// that t is available (see Available).
func (r *Ring) Row(t int64) []float32 {
	off := (t & r.mask) * int64(r.channels)
	return r.data[off : off+int64(r.channels)]
}

// Available reports whether samples [from, to) can be read now.
func (r *Ring) Available(from, to int64) error {
	w := r.written.Load()
	if to > w {
		return ErrNotYet
	}
	if from < r.start.Load() || from < w-r.mask-1 {
		return ErrTooOld
	}
	return nil
}

// Cut copies samples [from, from+n) of the given channels into dst, channel-major
// (dst[i*n+k] is channel chans[i] at sample from+k), and returns dst. It reads only the
// requested channels. dst must hold len(chans)*n values. It returns ErrTooOld or ErrNotYet
// when the window is not fully held, including when the writer overwrote part of it while
// it was being copied.
func (r *Ring) Cut(dst []float32, chans []int, from int64, n int) ([]float32, error) {
	if err := r.Available(from, from+int64(n)); err != nil {
		return dst, err
	}
	dst = dst[:len(chans)*n]
	for k := 0; k < n; k++ {
		row := r.Row(from + int64(k))
		for i, ch := range chans {
			dst[i*n+k] = row[ch]
		}
	}
	if r.Overrun(from) {
		return dst, ErrTooOld
	}
	return dst, nil
}

// Overrun reports whether sample from has been overwritten by now; a reader checks it after
// copying a window to detect a writer that lapped it during the copy.
func (r *Ring) Overrun(from int64) bool {
	return from < r.written.Load()-r.mask-1
}
