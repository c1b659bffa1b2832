package stream

import (
	"math"
	"unsafe"
)

// hostLittleEndian is true when the machine stores integers little-endian, as the wire does;
// then sample slices are copied as bytes instead of converted one by one. The copy is
// what makes a Neuropixels frame cost a memcpy rather than 11,520 conversions.
var hostLittleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// putInt16s writes src to p (len(p) >= 2*len(src)) in little-endian order.
func putInt16s(p []byte, src []int16) {
	if hostLittleEndian && len(src) > 0 {
		copy(p, unsafe.Slice((*byte)(unsafe.Pointer(&src[0])), 2*len(src)))
		return
	}
	for i, v := range src {
		le.PutUint16(p[2*i:], uint16(v))
	}
}

// getInt16s fills dst from little-endian p (len(p) >= 2*len(dst)).
func getInt16s(dst []int16, p []byte) {
	if hostLittleEndian && len(dst) > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), 2*len(dst)), p)
		return
	}
	for i := range dst {
		dst[i] = int16(le.Uint16(p[2*i:]))
	}
}

// putFloat32s writes src to p (len(p) >= 4*len(src)) in little-endian order.
func putFloat32s(p []byte, src []float32) {
	if hostLittleEndian && len(src) > 0 {
		copy(p, unsafe.Slice((*byte)(unsafe.Pointer(&src[0])), 4*len(src)))
		return
	}
	for i, v := range src {
		le.PutUint32(p[4*i:], math.Float32bits(v))
	}
}

// getFloat32s fills dst from little-endian p (len(p) >= 4*len(dst)).
func getFloat32s(dst []float32, p []byte) {
	if hostLittleEndian && len(dst) > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), 4*len(dst)), p)
		return
	}
	for i := range dst {
		dst[i] = math.Float32frombits(le.Uint32(p[4*i:]))
	}
}
