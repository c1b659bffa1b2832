package npy

import (
	"fmt"
	"math"
)

// Int64s converts an integer or bool array to int64 values. It returns an error for float
// arrays and for unsigned values above math.MaxInt64. It allocates the result.
func (a *Array) Int64s() ([]int64, error) {
	d, err := parseDescr(a.Descr)
	if err != nil {
		return nil, err
	}
	if d.kind == 'f' {
		return nil, fmt.Errorf("%w: want integers, have dtype %q", ErrFormat, a.Descr)
	}
	bo := d.byteOrder()
	n := len(a.Data) / d.size
	out := make([]int64, n)
	for i := range out {
		b := a.Data[i*d.size : (i+1)*d.size]
		switch {
		case d.size == 1 && d.kind == 'i':
			out[i] = int64(int8(b[0]))
		case d.size == 1:
			out[i] = int64(b[0])
		case d.size == 2 && d.kind == 'i':
			out[i] = int64(int16(bo.Uint16(b)))
		case d.size == 2:
			out[i] = int64(bo.Uint16(b))
		case d.size == 4 && d.kind == 'i':
			out[i] = int64(int32(bo.Uint32(b)))
		case d.size == 4:
			out[i] = int64(bo.Uint32(b))
		case d.kind == 'i':
			out[i] = int64(bo.Uint64(b))
		default:
			u := bo.Uint64(b)
			if u > math.MaxInt64 {
				return nil, fmt.Errorf("%w: value %d overflows int64", ErrFormat, u)
			}
			out[i] = int64(u)
		}
	}
	return out, nil
}

// Float64s converts any numeric array to float64 values. It allocates the result.
func (a *Array) Float64s() ([]float64, error) {
	d, err := parseDescr(a.Descr)
	if err != nil {
		return nil, err
	}
	if d.kind != 'f' {
		ints, err := a.Int64s()
		if err != nil {
			return nil, err
		}
		out := make([]float64, len(ints))
		for i, v := range ints {
			out[i] = float64(v)
		}
		return out, nil
	}

	bo := d.byteOrder()
	n := len(a.Data) / d.size
	out := make([]float64, n)
	for i := range out {
		b := a.Data[i*d.size : (i+1)*d.size]
		if d.size == 4 {
			out[i] = float64(math.Float32frombits(bo.Uint32(b)))
		} else {
			out[i] = math.Float64frombits(bo.Uint64(b))
		}
	}
	return out, nil
}
