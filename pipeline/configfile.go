package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
)

// LoadConfig reads pipeline settings from a JSON file shaped like configs/pipeline.json.
// Unknown keys are an error (a misspelt setting must not be silently ignored); missing
// keys, and zero values, keep their defaults. Some defaults depend on the stream: the
// low-pass corner on the sample rate, the common reference on the channel count (none below
// 8 channels, where a median would subtract part of every spike), the candidate threshold
// and score cut on the detector's checkpoint; setting them in a file fixes them for every
// stream.
func LoadConfig(path string) (Config, error) {
	var c Config
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("read pipeline config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("%w: %s: %v", ErrBadConfig, path, err)
	}
	if _, err := c.Preprocess.withDefaults(8, 30000); err != nil {
		return c, err
	}
	if _, err := c.Detect.withDefaults(); err != nil {
		return c, err
	}
	if _, err := c.Snippet.withDefaults(); err != nil {
		return c, err
	}
	return c, nil
}
