package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
)

// LoadConfig reads pipeline settings from a JSON file shaped like configs/pipeline.json.
// Unknown keys are an error (a misspelt setting must not be silently ignored); missing
// keys keep their defaults.
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
