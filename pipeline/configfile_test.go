package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestLoadShippedConfig(t *testing.T) {
	c, err := LoadConfig("../configs/pipeline.json")
	if err != nil {
		t.Fatal(err)
	}
	if c.Preprocess.LowHz != 300 || c.Snippet.MaxChannels != 12 || c.RingMs != 500 ||
		c.Preprocess.Reference != "" || c.Preprocess.HighHz != 0 || c.ScoreThreshold != 0 {
		t.Errorf("loaded %+v", c)
	}
}

func TestLoadConfigRejects(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"unknown key": `{"detect": {"treshold_sd": 4}}`,
		"bad band":    `{"preprocess": {"low_hz": 7000, "high_hz": 6000}}`,
		"not json":    `{"detect": `,
		"bad ref":     `{"preprocess": {"reference": "average"}}`,
	}
	for name, body := range cases {
		p := filepath.Join(dir, "c.json")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadConfig(p); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%s: %v, want ErrBadConfig", name, err)
		}
	}
}
