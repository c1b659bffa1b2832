// Package npy encodes and decodes NumPy .npy arrays of plain numbers.
//
// It writes format version 1.0 headers padded so that the data starts on a 64-byte boundary,
// as numpy itself does, and reads versions 1.0 to 3.0 with any numeric dtype of either byte
// order. Decoding never panics on bad bytes: every defect is reported as an error wrapping
// ErrFormat. Structured dtypes, strings and Python objects are not supported.
//
// codeberg.org/sbinet/npyio is the project's general npy library; this small codec exists
// because spikestream must write N-dimensional arrays from flat slices with 64-byte aligned
// headers and must reject hostile headers without panicking (npyio v0.14.0 pads to 16 bytes
// and indexes its header without bounds checks). The tests cross-check both ways with npyio.
package npy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// ErrFormat is returned, wrapped with detail, for bytes that are not a supported .npy array.
var ErrFormat = errors.New("npy: bad format")

// magic opens every .npy file.
const magic = "\x93NUMPY"

// headerAlign is the alignment of the data start that numpy uses since version 1.14.
const headerAlign = 64

// Array is a decoded array: its dtype string (e.g. "<i8"), its shape, and its elements as
// raw bytes in the stored byte order, C order.
type Array struct {
	Descr string
	Shape []int
	Data  []byte
}

// Len returns the number of elements, the product of the shape (1 for a 0-d array).
func (a *Array) Len() int {
	n := 1
	for _, d := range a.Shape {
		n *= d
	}
	return n
}

// dtype is a parsed numeric descr.
type dtype struct {
	order byte // '<', '>' or '|'
	kind  byte // 'i', 'u', 'f', 'b'
	size  int  // bytes per element
}

// parseDescr parses a numeric dtype string such as "<i8", "|u1" or ">f4".
func parseDescr(s string) (dtype, error) {
	if len(s) < 3 {
		return dtype{}, fmt.Errorf("%w: dtype %q", ErrFormat, s)
	}
	d := dtype{order: s[0], kind: s[1]}
	size, err := strconv.Atoi(s[2:])
	if err != nil {
		return dtype{}, fmt.Errorf("%w: dtype %q", ErrFormat, s)
	}
	d.size = size

	okOrder := d.order == '<' || d.order == '>' || d.order == '|' || d.order == '='
	okKind := (d.kind == 'i' || d.kind == 'u') && (size == 1 || size == 2 || size == 4 ||
		size == 8) || d.kind == 'f' && (size == 4 || size == 8) || d.kind == 'b' && size == 1
	if !okOrder || !okKind {
		return dtype{}, fmt.Errorf("%w: unsupported dtype %q", ErrFormat, s)
	}
	return d, nil
}

func (d dtype) byteOrder() binary.ByteOrder {
	if d.order == '>' {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// WriteHeader writes a version 1.0 header for a C-ordered array of the given little-endian
// dtype (e.g. "<i8", "<f4") and shape. It returns an error for a header over 65535 bytes.
func WriteHeader(w io.Writer, descr string, shape []int) error {
	if _, err := parseDescr(descr); err != nil {
		return err
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
		descr, shapeString(shape))

	// 6 magic + 2 version + 2 length, then the dict, spaces and a final newline.
	pre := len(magic) + 4
	total := pre + len(dict) + 1
	pad := (headerAlign - total%headerAlign) % headerAlign
	hlen := len(dict) + pad + 1
	if hlen > math.MaxUint16 {
		return fmt.Errorf("%w: header of %d bytes too long", ErrFormat, hlen)
	}

	buf := make([]byte, 0, pre+hlen)
	buf = append(buf, magic...)
	buf = append(buf, 1, 0)
	buf = binary.LittleEndian.AppendUint16(buf, uint16(hlen))
	buf = append(buf, dict...)
	buf = append(buf, strings.Repeat(" ", pad)...)
	buf = append(buf, '\n')
	_, err := w.Write(buf)
	return err
}

// shapeString formats a shape as a Python tuple: (), (3,), (2, 3).
func shapeString(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.Itoa(d)
	}
	if len(parts) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}
