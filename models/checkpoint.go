package models

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
)

// Checkpoint file layout (all integers little-endian; see docs/models.md):
//
//	8 bytes  magic "SSMODEL\x00"
//	4 bytes  uint32 header length H (at most maxHeaderBytes)
//	H bytes  JSON Header
//	tensors  float32 values of each Header.Tensors entry, in order, row-major
//	4 bytes  uint32 CRC-32 (IEEE) of every preceding byte
const checkpointMagic = "SSMODEL\x00"

// FormatVersion is the checkpoint layout version written by Encode.
const FormatVersion = 1

// Limits that keep a hostile file from making Decode allocate without bound.
const (
	maxHeaderBytes  = 1 << 20
	maxTensorFloats = 1 << 24
	maxTensors      = 256
)

// Model kinds recorded in Header.Kind.
const (
	KindDetector = "detector"
	KindEmbedder = "embedder"
	KindPCA      = "pca"
)

// ErrBadCheckpoint is returned, wrapped with detail, for any checkpoint that cannot be used.
var ErrBadCheckpoint = errors.New("bad checkpoint")

// Header is the self-description at the start of a checkpoint.
type Header struct {
	Format    int           `json:"format"`              // FormatVersion
	Kind      string        `json:"kind"`                // KindDetector, KindEmbedder, KindPCA
	Name      string        `json:"name"`                // free text, e.g. "detector-mlp-v1"
	Input     InputSpec     `json:"input"`               // how snippets become inputs
	Layers    []LayerInfo   `json:"layers,omitempty"`    // MLP architecture, input first
	Output    string        `json:"output"`              // "sigmoid", "l2" or "linear"
	Threshold float64       `json:"threshold,omitempty"` // detector: suggested score cut
	Tensors   []TensorInfo  `json:"tensors"`             // data follow in this order
	Training  *TrainingInfo `json:"training,omitempty"`  // provenance
}

// LayerInfo records one Dense layer's shape and activation.
type LayerInfo struct {
	In         int    `json:"in"`
	Out        int    `json:"out"`
	Activation string `json:"activation"`
}

// TensorInfo names one float32 tensor and its shape.
type TensorInfo struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

// TrainingInfo records how a checkpoint was made, so that it can be reproduced.
type TrainingInfo struct {
	Source     string    `json:"source"` // e.g. "sim"
	Seed       int64     `json:"seed"`
	Probes     []string  `json:"probes,omitempty"`
	RatesHz    []float64 `json:"rates_hz,omitempty"`
	NoiseUV    []float64 `json:"noise_uv,omitempty"`
	DriftUm    []float64 `json:"drift_um,omitempty"`
	Recordings int       `json:"recordings,omitempty"`
	DurationS  float64   `json:"duration_s,omitempty"` // per recording
	Units      int       `json:"units,omitempty"`      // per recording
	Examples   int       `json:"examples,omitempty"`
	// CandidateSD, MatchMs and MatchUm are the labelling rule: candidates below
	// -CandidateSD noise, positive when a truth spike lies within MatchMs and its unit's peak
	// channel within MatchUm (plus the drift) of the candidate channel.
	CandidateSD float64 `json:"candidate_sd,omitempty"`
	MatchMs     float64 `json:"match_ms,omitempty"`
	MatchUm     float64 `json:"match_um,omitempty"`
	Augment     string  `json:"augment,omitempty"` // augmentation settings, Go syntax
	// SimVariation says how simulation settings varied across training recordings.
	SimVariation string             `json:"sim_variation,omitempty"`
	Steps        int                `json:"steps,omitempty"`
	BatchSize    int                `json:"batch_size,omitempty"`
	LearnRate    float64            `json:"learn_rate,omitempty"`
	Loss         string             `json:"loss,omitempty"`
	WallS        float64            `json:"wall_s,omitempty"`
	Created      string             `json:"created,omitempty"` // RFC 3339, UTC
	Metrics      map[string]float64 `json:"metrics,omitempty"` // validation figures
}

// Checkpoint is a decoded model file: its header and its tensors by name.
type Checkpoint struct {
	Header  Header
	Tensors map[string][]float32
}

// Encode writes c to w in the checkpoint layout. Header.Format is set to FormatVersion;
// Header.Tensors decides the order and must name tensors present in c.Tensors.
func Encode(w io.Writer, c *Checkpoint) error {
	c.Header.Format = FormatVersion
	hdr, err := json.Marshal(c.Header)
	if err != nil {
		return fmt.Errorf("encode checkpoint header: %w", err)
	}
	var buf bytes.Buffer
	buf.WriteString(checkpointMagic)
	buf.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(hdr))))
	buf.Write(hdr)
	for _, t := range c.Header.Tensors {
		v, ok := c.Tensors[t.Name]
		if !ok || len(v) != shapeSize(t.Shape) {
			return fmt.Errorf("encode checkpoint: tensor %q missing or not %v", t.Name, t.Shape)
		}
		for _, x := range v {
			buf.Write(binary.LittleEndian.AppendUint32(nil, math.Float32bits(x)))
		}
	}
	buf.Write(binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(buf.Bytes())))
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	return nil
}

// Decode parses a whole checkpoint from b. It checks the magic, format, sizes and checksum
// and never panics on malformed input. The returned tensors do not alias b.
func Decode(b []byte) (*Checkpoint, error) {
	if len(b) < len(checkpointMagic)+8 || string(b[:8]) != checkpointMagic {
		return nil, fmt.Errorf("%w: missing magic", ErrBadCheckpoint)
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrBadCheckpoint)
	}
	h, rest, err := decodeHeader(body[8:])
	if err != nil {
		return nil, err
	}
	c := &Checkpoint{Header: h, Tensors: make(map[string][]float32, len(h.Tensors))}
	for _, t := range h.Tensors {
		n := shapeSize(t.Shape)
		if len(rest) < 4*n {
			return nil, fmt.Errorf("%w: tensor %q truncated", ErrBadCheckpoint, t.Name)
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(rest[4*i:]))
		}
		c.Tensors[t.Name], rest = v, rest[4*n:]
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrBadCheckpoint, len(rest))
	}
	return c, nil
}

// decodeHeader reads the length-prefixed JSON header and checks its tensor table.
func decodeHeader(b []byte) (Header, []byte, error) {
	var h Header
	n := binary.LittleEndian.Uint32(b)
	if n > maxHeaderBytes || int(n) > len(b)-4 {
		return h, nil, fmt.Errorf("%w: header length %d", ErrBadCheckpoint, n)
	}
	if err := json.Unmarshal(b[4:4+n], &h); err != nil {
		return h, nil, fmt.Errorf("%w: header: %v", ErrBadCheckpoint, err)
	}
	if h.Format != FormatVersion {
		return h, nil, fmt.Errorf("%w: format %d, want %d", ErrBadCheckpoint, h.Format,
			FormatVersion)
	}
	if len(h.Tensors) > maxTensors {
		return h, nil, fmt.Errorf("%w: %d tensors", ErrBadCheckpoint, len(h.Tensors))
	}
	total, seen := 0, map[string]bool{}
	for _, t := range h.Tensors {
		s := shapeSize(t.Shape)
		if s < 0 || seen[t.Name] {
			return h, nil, fmt.Errorf("%w: tensor %q shape %v", ErrBadCheckpoint, t.Name, t.Shape)
		}
		seen[t.Name] = true
		if total += s; total > maxTensorFloats {
			return h, nil, fmt.Errorf("%w: tensors too large", ErrBadCheckpoint)
		}
	}
	return h, b[4+n:], nil
}

// shapeSize returns the number of values of shape, or -1 when a dimension is out of range.
func shapeSize(shape []int) int {
	if len(shape) == 0 || len(shape) > 4 {
		return -1
	}
	n := 1
	for _, d := range shape {
		if d < 1 || d > maxTensorFloats {
			return -1
		}
		if n *= d; n > maxTensorFloats {
			return -1
		}
	}
	return n
}

// tensor returns the named tensor, checking its length.
func (c *Checkpoint) tensor(name string, n int) ([]float32, error) {
	v, ok := c.Tensors[name]
	if !ok {
		return nil, fmt.Errorf("%w: tensor %q missing", ErrBadCheckpoint, name)
	}
	if len(v) != n {
		return nil, fmt.Errorf("%w: tensor %q has %d values, want %d", ErrBadCheckpoint,
			name, len(v), n)
	}
	return v, nil
}

// MLPCheckpoint builds the checkpoint of an MLP model: it fills Layers and Tensors of h
// from m ("in_mean", "in_invstd", then "l<i>.w" as Out x In and "l<i>.b").
func MLPCheckpoint(h Header, m *MLP) *Checkpoint {
	c := &Checkpoint{Header: h, Tensors: map[string][]float32{}}
	nIn := len(m.Mean)
	c.Header.Layers = nil
	c.Header.Tensors = []TensorInfo{{"in_mean", []int{nIn}}, {"in_invstd", []int{nIn}}}
	c.Tensors["in_mean"], c.Tensors["in_invstd"] = m.Mean, m.InvStd
	for i, l := range m.Layers {
		c.Header.Layers = append(c.Header.Layers, LayerInfo{l.In, l.Out, l.Activation})
		w, b := fmt.Sprintf("l%d.w", i), fmt.Sprintf("l%d.b", i)
		c.Header.Tensors = append(c.Header.Tensors,
			TensorInfo{w, []int{l.Out, l.In}}, TensorInfo{b, []int{l.Out}})
		c.Tensors[w], c.Tensors[b] = l.W, l.B
	}
	return c
}

// mlp rebuilds the MLP described by the header's layers and validates it.
func (c *Checkpoint) mlp() (*MLP, error) {
	if err := c.Header.Input.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCheckpoint, err)
	}
	nIn := c.Header.Input.Size()
	m := &MLP{}
	var err error
	if m.Mean, err = c.tensor("in_mean", nIn); err != nil {
		return nil, err
	}
	if m.InvStd, err = c.tensor("in_invstd", nIn); err != nil {
		return nil, err
	}
	for i, li := range c.Header.Layers {
		l := Dense{In: li.In, Out: li.Out, Activation: li.Activation}
		if li.In < 1 || li.Out < 1 || li.In*li.Out > maxTensorFloats {
			return nil, fmt.Errorf("%w: layer %d shape", ErrBadCheckpoint, i)
		}
		if l.W, err = c.tensor(fmt.Sprintf("l%d.w", i), li.In*li.Out); err != nil {
			return nil, err
		}
		if l.B, err = c.tensor(fmt.Sprintf("l%d.b", i), li.Out); err != nil {
			return nil, err
		}
		m.Layers = append(m.Layers, l)
	}
	return m, m.validate(nIn)
}
