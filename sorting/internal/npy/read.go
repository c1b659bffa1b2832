package npy

import (
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxHeaderBytes bounds the header of version 2 and 3 files, far above what numpy writes.
const maxHeaderBytes = 1 << 20

// Read decodes one array from r. maxDataBytes bounds the data size the header may claim, so
// that a hostile header cannot make Read allocate more than the file can hold; pass the file
// size. Read allocates the data slice and reads exactly the array's bytes from r.
func Read(r io.Reader, maxDataBytes int64) (*Array, error) {
	hdr, err := readHeaderBytes(r)
	if err != nil {
		return nil, err
	}
	a, fortran, err := parseHeader(hdr)
	if err != nil {
		return nil, err
	}
	d, err := parseDescr(a.Descr)
	if err != nil {
		return nil, err
	}
	if fortran && nonTrivialDims(a.Shape) > 1 {
		return nil, fmt.Errorf("%w: fortran-ordered %d-d arrays are not supported",
			ErrFormat, len(a.Shape))
	}

	size, err := dataSize(a.Shape, d.size, maxDataBytes)
	if err != nil {
		return nil, err
	}
	a.Data = make([]byte, size)
	if _, err := io.ReadFull(r, a.Data); err != nil {
		return nil, fmt.Errorf("%w: reading %d data bytes: %v", ErrFormat, size, err)
	}
	return a, nil
}

// readHeaderBytes reads the magic, version and length prefix and returns the header dict.
func readHeaderBytes(r io.Reader) ([]byte, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, fmt.Errorf("%w: reading magic: %v", ErrFormat, err)
	}
	if string(pre[:6]) != magic {
		return nil, fmt.Errorf("%w: missing magic string", ErrFormat)
	}

	var hlen int
	switch pre[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("%w: reading header length: %v", ErrFormat, err)
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("%w: reading header length: %v", ErrFormat, err)
		}
		n := binary.LittleEndian.Uint32(b[:])
		if n > maxHeaderBytes {
			return nil, fmt.Errorf("%w: header length %d", ErrFormat, n)
		}
		hlen = int(n)
	default:
		return nil, fmt.Errorf("%w: version %d.%d", ErrFormat, pre[6], pre[7])
	}

	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, fmt.Errorf("%w: reading header: %v", ErrFormat, err)
	}
	return hdr, nil
}

// nonTrivialDims counts the dimensions longer than 1.
func nonTrivialDims(shape []int) int {
	n := 0
	for _, d := range shape {
		if d > 1 {
			n++
		}
	}
	return n
}

// dataSize returns the byte size of an array, or an error when it overflows or exceeds max.
func dataSize(shape []int, elemSize int, max int64) (int, error) {
	n := int64(elemSize)
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("%w: negative dimension", ErrFormat)
		}
		if d != 0 && n > max/int64(d) {
			return 0, fmt.Errorf("%w: shape %v exceeds %d bytes", ErrFormat, shape, max)
		}
		n *= int64(d)
	}
	if n > max {
		return 0, fmt.Errorf("%w: shape %v exceeds %d bytes", ErrFormat, shape, max)
	}
	return int(n), nil
}

// parseHeader parses the header dict: {'descr': '<i8', 'fortran_order': False,
// 'shape': (3,), } with any key order, either quote style and optional trailing commas.
func parseHeader(hdr []byte) (*Array, bool, error) {
	p := &dictParser{s: strings.TrimRight(string(hdr), " \n\x00")}
	vals, err := p.dict()
	if err != nil {
		return nil, false, err
	}

	descr, ok1 := vals["descr"].(string)
	fortran, ok2 := vals["fortran_order"].(bool)
	shape, ok3 := vals["shape"].([]int)
	if !ok1 || !ok2 || !ok3 {
		return nil, false, fmt.Errorf("%w: header lacks descr, fortran_order or shape", ErrFormat)
	}
	return &Array{Descr: descr, Shape: shape}, fortran, nil
}

// dictParser parses the restricted Python literal syntax of .npy headers.
type dictParser struct {
	s   string
	pos int
}

func (p *dictParser) errorf(what string) error {
	return fmt.Errorf("%w: header: %s at byte %d", ErrFormat, what, p.pos)
}

func (p *dictParser) skipSpace() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

// accept consumes c (after spaces) and reports whether it was there.
func (p *dictParser) accept(c byte) bool {
	p.skipSpace()
	if p.pos < len(p.s) && p.s[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// dict parses the whole header as a dict of string keys.
func (p *dictParser) dict() (map[string]any, error) {
	if !p.accept('{') {
		return nil, p.errorf("expected '{'")
	}
	vals := map[string]any{}
	for !p.accept('}') {
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		if !p.accept(':') {
			return nil, p.errorf("expected ':'")
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		vals[key] = v
		if !p.accept(',') {
			if !p.accept('}') {
				return nil, p.errorf("expected ',' or '}'")
			}
			break
		}
	}
	p.skipSpace()
	if p.pos != len(p.s) {
		return nil, p.errorf("trailing bytes")
	}
	return vals, nil
}

// value parses a string, a bool or a tuple of ints.
func (p *dictParser) value() (any, error) {
	p.skipSpace()
	rest := p.s[p.pos:]
	switch {
	case strings.HasPrefix(rest, "True"):
		p.pos += 4
		return true, nil
	case strings.HasPrefix(rest, "False"):
		p.pos += 5
		return false, nil
	case strings.HasPrefix(rest, "("):
		return p.tuple()
	case strings.HasPrefix(rest, "'"), strings.HasPrefix(rest, "\""):
		return p.str()
	}
	return nil, p.errorf("unsupported value")
}

// str parses a quoted string without escapes.
func (p *dictParser) str() (string, error) {
	p.skipSpace()
	if p.pos >= len(p.s) || (p.s[p.pos] != '\'' && p.s[p.pos] != '"') {
		return "", p.errorf("expected string")
	}
	q := p.s[p.pos]
	end := strings.IndexByte(p.s[p.pos+1:], q)
	if end < 0 {
		return "", p.errorf("unterminated string")
	}
	v := p.s[p.pos+1 : p.pos+1+end]
	p.pos += end + 2
	return v, nil
}

// tuple parses (), (n,) or (n, m, ...) of non-negative ints; Python 2's "3L" is accepted.
func (p *dictParser) tuple() ([]int, error) {
	p.accept('(')
	shape := []int{}
	for !p.accept(')') {
		p.skipSpace()
		start := p.pos
		for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
			p.pos++
		}
		d, err := strconv.Atoi(p.s[start:p.pos])
		if err != nil {
			return nil, p.errorf("bad dimension")
		}
		if p.pos < len(p.s) && p.s[p.pos] == 'L' {
			p.pos++
		}
		shape = append(shape, d)
		if !p.accept(',') {
			if !p.accept(')') {
				return nil, p.errorf("expected ',' or ')'")
			}
			break
		}
	}
	return shape, nil
}
