package npy

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// chunkElems is how many elements the writers encode per buffered write.
const chunkElems = 4096

// checkShape returns an error unless the shape's product is n and no dimension is negative.
func checkShape(shape []int, n int) error {
	p := 1
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("%w: negative dimension in shape %v", ErrFormat, shape)
		}
		p *= d
	}
	if p != n {
		return fmt.Errorf("%w: shape %v holds %d elements, have %d", ErrFormat, shape, p, n)
	}
	return nil
}

// WriteInt64 writes v as a little-endian int64 array of the given shape (nil: 1-D).
func WriteInt64(w io.Writer, shape []int, v []int64) error {
	return writeWords(w, "<i8", shape, len(v), 8, func(b []byte, i int) {
		binary.LittleEndian.PutUint64(b, uint64(v[i]))
	})
}

// WriteInt32 writes v as a little-endian int32 array of the given shape (nil: 1-D).
func WriteInt32(w io.Writer, shape []int, v []int32) error {
	return writeWords(w, "<i4", shape, len(v), 4, func(b []byte, i int) {
		binary.LittleEndian.PutUint32(b, uint32(v[i]))
	})
}

// WriteFloat64 writes v as a little-endian float64 array of the given shape (nil: 1-D).
func WriteFloat64(w io.Writer, shape []int, v []float64) error {
	return writeWords(w, "<f8", shape, len(v), 8, func(b []byte, i int) {
		binary.LittleEndian.PutUint64(b, math.Float64bits(v[i]))
	})
}

// WriteFloat32 writes v as a little-endian float32 array of the given shape (nil: 1-D).
func WriteFloat32(w io.Writer, shape []int, v []float32) error {
	return writeWords(w, "<f4", shape, len(v), 4, func(b []byte, i int) {
		binary.LittleEndian.PutUint32(b, math.Float32bits(v[i]))
	})
}

// writeWords writes the header and then n elements of size bytes, encoded by put into a
// chunk buffer of chunkElems elements at a time.
func writeWords(w io.Writer, descr string, shape []int, n, size int,
	put func(b []byte, i int)) error {
	if shape == nil {
		shape = []int{n}
	}
	if err := checkShape(shape, n); err != nil {
		return err
	}
	if err := WriteHeader(w, descr, shape); err != nil {
		return err
	}

	buf := make([]byte, min(n, chunkElems)*size)
	for start := 0; start < n; start += chunkElems {
		end := min(n, start+chunkElems)
		for i := start; i < end; i++ {
			put(buf[(i-start)*size:], i)
		}
		if _, err := w.Write(buf[:(end-start)*size]); err != nil {
			return err
		}
	}
	return nil
}
