package models

import (
	"fmt"
	"os"
)

// Model is what Load returns: a *Detector, *Embedder or *PCA.
type Model interface {
	Header() Header
}

// Load reads a checkpoint file and builds the model it describes: a *Detector, *Embedder
// or *PCA according to Header.Kind. Errors wrap ErrBadCheckpoint for malformed files.
func Load(path string) (Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	m, err := FromBytes(b)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", path, err)
	}
	return m, nil
}

// FromBytes decodes a checkpoint and builds its model (see Load).
func FromBytes(b []byte) (Model, error) {
	c, err := Decode(b)
	if err != nil {
		return nil, err
	}
	switch c.Header.Kind {
	case KindDetector:
		return NewDetector(c)
	case KindEmbedder:
		return NewEmbedder(c)
	case KindPCA:
		return NewPCA(c)
	}
	return nil, fmt.Errorf("%w: unknown kind %q", ErrBadCheckpoint, c.Header.Kind)
}
