package sorting

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrNoSorting is returned by Open when a folder holds no sorting it recognises.
var ErrNoSorting = errors.New("no sorting found")

// Open reads a sorted output from path, which may be an .npz file, a folder with
// sorting.npz (preferred when present), a phy folder, or a folder with a phy/ subfolder.
// It returns the sorting and the file or folder it was read from.
func Open(path string) (*Sorting, string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, "", fmt.Errorf("open sorting: %w", err)
	}
	if !st.IsDir() {
		s, err := ReadNPZ(path)
		return s, path, err
	}
	if npz := filepath.Join(path, "sorting.npz"); isFile(npz) {
		s, err := ReadNPZ(npz)
		return s, npz, err
	}
	for _, dir := range []string{path, filepath.Join(path, "phy")} {
		if isFile(filepath.Join(dir, "params.py")) {
			s, err := ReadPhy(dir)
			return s, dir, err
		}
	}
	return nil, "", fmt.Errorf("open sorting %s: %w: no sorting.npz, params.py or "+
		"phy/params.py", path, ErrNoSorting)
}

func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}
