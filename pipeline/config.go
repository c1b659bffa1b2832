package pipeline

import (
	"errors"
	"fmt"
	"math"
)

// ErrBadConfig is returned, wrapped with detail, for settings that cannot work.
var ErrBadConfig = errors.New("bad pipeline config")

// PreprocessConfig sets the causal preprocessing. Zero values take the defaults in brackets.
type PreprocessConfig struct {
	// LowHz is the high-pass corner, Hz [300].
	LowHz float64 `json:"low_hz"`
	// HighHz is the low-pass corner, Hz [6000, capped at 0.4 x the sample rate].
	HighHz float64 `json:"high_hz"`
	// Reference is "median", "mean" or "none" ["median"; "none" below 8 channels].
	Reference string `json:"reference"`
}

// DetectConfig sets candidate detection. Zero values take the defaults in brackets.
type DetectConfig struct {
	// ThresholdSD: a trough must fall below -ThresholdSD x noise [5; 4 under a learned
	// detector, as its checkpoint says].
	ThresholdSD float64 `json:"threshold_sd"`
	// DedupMs: a trough must be the deepest within +-DedupMs on nearby channels [0.4].
	DedupMs float64 `json:"dedup_ms"`
	// RadiusUm: channels this close compete in deduplication [50].
	RadiusUm float64 `json:"radius_um"`
	// NoiseWindowS is the time constant of the running noise estimate, s [2].
	NoiseWindowS float64 `json:"noise_window_s"`
	// WarmupMs: no detection this long after the start or a gap, while the noise level is
	// first estimated [50].
	WarmupMs float64 `json:"warmup_ms"`
}

// SnippetConfig sets the snippet window and neighbourhood. Zero values take the defaults in
// brackets.
type SnippetConfig struct {
	// PreMs is the signal kept before the trough, ms [1.0].
	PreMs float64 `json:"pre_ms"`
	// PostMs is the signal kept after the trough, ms [1.0]. The pipeline widens the
	// window to the span its scorer and embedder read (Spanner); a spike is reported once
	// the window's end, and the DetectConfig.DedupMs the finder needs, have arrived.
	PostMs float64 `json:"post_ms"`
	// RadiusUm is the neighbourhood radius around the peak channel, um [60].
	RadiusUm float64 `json:"radius_um"`
	// MaxChannels limits the neighbourhood size [12].
	MaxChannels int `json:"max_channels"`
}

func (c PreprocessConfig) withDefaults(channels int, rateHz float64) (PreprocessConfig, error) {
	if c.LowHz == 0 {
		c.LowHz = 300
	}
	if c.HighHz == 0 {
		c.HighHz = math.Min(6000, 0.4*rateHz)
	}
	if c.Reference == "" {
		c.Reference = "median"
		if channels < 8 {
			c.Reference = "none"
		}
	}
	switch {
	case c.Reference != "median" && c.Reference != "mean" && c.Reference != "none":
		return c, fmt.Errorf("%w: reference %q (median, mean, none)", ErrBadConfig, c.Reference)
	case !(c.LowHz > 0) || !(c.HighHz > c.LowHz) || c.HighHz >= rateHz/2:
		return c, fmt.Errorf("%w: band %g-%g Hz at %g Hz", ErrBadConfig, c.LowHz, c.HighHz, rateHz)
	}
	return c, nil
}

func (c DetectConfig) withDefaults() (DetectConfig, error) {
	c.ThresholdSD = orDefault(c.ThresholdSD, 5)
	c.DedupMs = orDefault(c.DedupMs, 0.4)
	c.RadiusUm = orDefault(c.RadiusUm, 50)
	c.NoiseWindowS = orDefault(c.NoiseWindowS, 2)
	c.WarmupMs = orDefault(c.WarmupMs, 50)
	if !(c.ThresholdSD > 0) || !(c.DedupMs > 0) || !(c.RadiusUm >= 0) || !(c.NoiseWindowS > 0) {
		return c, fmt.Errorf("%w: detection %+v", ErrBadConfig, c)
	}
	return c, nil
}

func (c SnippetConfig) withDefaults() (SnippetConfig, error) {
	c.PreMs = orDefault(c.PreMs, 1.0)
	c.PostMs = orDefault(c.PostMs, defaultPostMs)
	c.RadiusUm = orDefault(c.RadiusUm, 60)
	if c.MaxChannels == 0 {
		c.MaxChannels = 12
	}
	if !(c.PreMs > 0) || !(c.PostMs > 0) || c.PreMs > 5 || c.PostMs > 5 || c.MaxChannels < 1 {
		return c, fmt.Errorf("%w: snippet %+v", ErrBadConfig, c)
	}
	return c, nil
}

// defaultPostMs is the default signal kept after the trough, ms: the end of the shipped
// models' grid, which is all the post-trough signal they read.
const defaultPostMs = 1.0

// covering returns c widened, where needed, to hold fromMs..toMs around the trough.
func (c SnippetConfig) covering(fromMs, toMs float64) SnippetConfig {
	c.PreMs = max(c.PreMs, -fromMs)
	c.PostMs = max(c.PostMs, toMs)
	return c
}

// snippetFor returns cfg with defaults, widened to the span of each part that is a Spanner.
func snippetFor(cfg SnippetConfig, parts ...any) (SnippetConfig, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return cfg, err
	}
	for _, part := range parts {
		if s, ok := part.(Spanner); ok {
			cfg = cfg.covering(s.SpanMs())
		}
	}
	if _, err := cfg.withDefaults(); err != nil {
		return cfg, fmt.Errorf("models' span: %w", err)
	}
	return cfg, nil
}

func orDefault(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

// msToSamples converts a duration in ms to a whole number of samples, at least 1.
func msToSamples(ms, rateHz float64) int {
	return max(1, int(math.Round(ms*rateHz/1000)))
}

// msToSamplesCeil converts a duration in ms to the fewest whole samples that span it, at
// least 1 (a rounding error of 1e-6 sample is ignored).
func msToSamplesCeil(ms, rateHz float64) int {
	return max(1, int(math.Ceil(ms*rateHz/1000-1e-6)))
}
