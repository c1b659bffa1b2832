package models

import (
	_ "embed"
	"fmt"
	"sync"
)

// Shipped checkpoint files, embedded in the binary.
var (
	//go:embed weights/detector.ssm
	detectorBytes []byte
	//go:embed weights/embedder.ssm
	embedderBytes []byte
	//go:embed weights/pca.ssm
	pcaBytes []byte
)

// shipped caches the decoded shipped models; callers get clones.
var shipped struct {
	once sync.Once
	det  *Detector
	emb  *Embedder
	pca  *PCA
	err  error
}

func loadShipped() {
	s := &shipped
	var m Model
	if m, s.err = FromBytes(detectorBytes); s.err != nil {
		s.err = fmt.Errorf("shipped detector: %w", s.err)
		return
	}
	s.det, _ = m.(*Detector)
	if m, s.err = FromBytes(embedderBytes); s.err != nil {
		s.err = fmt.Errorf("shipped embedder: %w", s.err)
		return
	}
	s.emb, _ = m.(*Embedder)
	if m, s.err = FromBytes(pcaBytes); s.err != nil {
		s.err = fmt.Errorf("shipped pca: %w", s.err)
		return
	}
	s.pca, _ = m.(*PCA)
	if s.det == nil || s.emb == nil || s.pca == nil {
		s.err = fmt.Errorf("%w: shipped weights of the wrong kind", ErrBadCheckpoint)
	}
}

// DefaultDetector returns a new instance of the shipped detector (models/weights/
// detector.ssm). Each call returns a fresh instance for one goroutine.
func DefaultDetector() (*Detector, error) {
	shipped.once.Do(loadShipped)
	if shipped.err != nil {
		return nil, shipped.err
	}
	return shipped.det.Clone(), nil
}

// DefaultEmbedder returns a new instance of the shipped embedder (models/weights/
// embedder.ssm). Each call returns a fresh instance for one goroutine.
func DefaultEmbedder() (*Embedder, error) {
	shipped.once.Do(loadShipped)
	if shipped.err != nil {
		return nil, shipped.err
	}
	return shipped.emb.Clone(), nil
}

// DefaultPCA returns a new instance of the shipped PCA baseline (models/weights/pca.ssm).
// Each call returns a fresh instance for one goroutine.
func DefaultPCA() (*PCA, error) {
	shipped.once.Do(loadShipped)
	if shipped.err != nil {
		return nil, shipped.err
	}
	return shipped.pca.Clone(), nil
}
