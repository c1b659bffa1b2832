package sim

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/spikestream/spikestream/probe"
)

// Defaults and limits of Config, in the units their names say.
const (
	DefaultSampleRateHz = 30000
	DefaultNoiseUV      = 10
	DefaultUVPerBit     = 0.195
	DefaultLibrarySize  = 200
	DefaultDriftJumpUm  = 10

	MinSampleRateHz = 10000
	MaxSampleRateHz = 50000
	MaxDriftUm      = 500     // |DriftUm| and the sum of jumps are limited to this
	MaxOutputBytes  = 8 << 30 // int16 output larger than this is refused

	// neuronDensityPerUm3 is the cortical neuron density (about 1e5 per mm^3) that bounds
	// how many units fit in the placement volume near the probe.
	neuronDensityPerUm3 = 1e-4
)

// withDefaults returns cfg with zero fields replaced by their defaults.
func withDefaults(cfg Config) Config {
	if cfg.SampleRateHz == 0 {
		cfg.SampleRateHz = DefaultSampleRateHz
	}
	if cfg.NoiseUV == 0 {
		cfg.NoiseUV = DefaultNoiseUV
	}
	if cfg.UVPerBit == 0 {
		cfg.UVPerBit = DefaultUVPerBit
	}
	if cfg.LibrarySize == 0 {
		cfg.LibrarySize = DefaultLibrarySize
	}
	if cfg.LibrarySeed == 0 {
		cfg.LibrarySeed = LibrarySeed
	}
	if cfg.DriftJumps > 0 && cfg.DriftJumpUm == 0 {
		cfg.DriftJumpUm = DefaultDriftJumpUm
	}
	if cfg.LibraryDir == "" {
		cfg.LibraryDir = defaultLibraryDir()
	}
	if cfg.BackgroundCells == 0 && cfg.Probe != nil && len(cfg.Probe.Contacts) > 0 {
		_, _, minY, maxY := cfg.Probe.Extent()
		cfg.BackgroundCells = max(20, int((maxY-minY)/15))
	}
	return cfg
}

// defaultLibraryDir is os.UserCacheDir()/spikestream/templates, or a temporary directory
// when the user has no cache directory.
func defaultLibraryDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "spikestream", "templates")
}

// validate checks a defaulted Config; every error wraps ErrBadConfig.
func validate(cfg Config) error {
	if err := validateStream(cfg); err != nil {
		return err
	}
	return validateSize(cfg)
}

// validateStream checks a defaulted Config for Stream, which holds no samples and so has
// no output size limit.
func validateStream(cfg Config) error {
	if err := validateNumbers(cfg); err != nil {
		return err
	}
	if err := validateProbe(cfg); err != nil {
		return err
	}
	if n := cfg.DurationS * cfg.SampleRateHz; n < 1 {
		return fmt.Errorf("%w: duration %v s is shorter than one sample", ErrBadConfig,
			cfg.DurationS)
	}
	return nil
}

func validateNumbers(cfg Config) error {
	named := []struct {
		name string
		v    float64
	}{
		{"duration", cfg.DurationS}, {"sample rate", cfg.SampleRateHz},
		{"noise", cfg.NoiseUV}, {"uV per bit", cfg.UVPerBit}, {"drift", cfg.DriftUm},
		{"drift jump", cfg.DriftJumpUm}, {"non-rigid drift", cfg.DriftNonRigid},
	}
	for _, n := range named {
		if math.IsNaN(n.v) || math.IsInf(n.v, 0) {
			return fmt.Errorf("%w: %s is %v", ErrBadConfig, n.name, n.v)
		}
	}
	for cls, w := range cfg.ClassMix {
		if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
			return fmt.Errorf("%w: class mix weight of %q is %v", ErrBadConfig, cls, w)
		}
	}
	return validateRanges(cfg)
}

func validateRanges(cfg Config) error {
	switch {
	case cfg.DurationS <= 0:
		return fmt.Errorf("%w: duration %v s must be positive", ErrBadConfig, cfg.DurationS)
	case cfg.SampleRateHz < MinSampleRateHz || cfg.SampleRateHz > MaxSampleRateHz:
		return fmt.Errorf("%w: sample rate %v Hz outside %d-%d Hz", ErrBadConfig,
			cfg.SampleRateHz, MinSampleRateHz, MaxSampleRateHz)
	case cfg.NoiseUV < 0:
		return fmt.Errorf("%w: noise %v uV is negative", ErrBadConfig, cfg.NoiseUV)
	case cfg.UVPerBit <= 0:
		return fmt.Errorf("%w: uV per bit %v must be positive", ErrBadConfig, cfg.UVPerBit)
	case 7*cfg.NoiseUV/cfg.UVPerBit > math.MaxInt16:
		return fmt.Errorf("%w: %v uV per bit is too fine for %v uV noise (int16 overflows)",
			ErrBadConfig, cfg.UVPerBit, cfg.NoiseUV)
	case cfg.Units < 0:
		return fmt.Errorf("%w: %d units", ErrBadConfig, cfg.Units)
	case cfg.DriftJumps < 0 || cfg.DriftJumpUm < 0:
		return fmt.Errorf("%w: negative drift jumps", ErrBadConfig)
	case math.Abs(cfg.DriftUm)+float64(cfg.DriftJumps)*cfg.DriftJumpUm > MaxDriftUm:
		return fmt.Errorf("%w: drift plus jumps exceed %d um", ErrBadConfig, MaxDriftUm)
	case cfg.DriftNonRigid < -1 || cfg.DriftNonRigid > 1:
		return fmt.Errorf("%w: non-rigid drift %v outside [-1, 1]", ErrBadConfig,
			cfg.DriftNonRigid)
	case cfg.LibrarySize < 1:
		return fmt.Errorf("%w: library size %d", ErrBadConfig, cfg.LibrarySize)
	}
	return nil
}

func validateProbe(cfg Config) error {
	if cfg.Probe == nil || len(cfg.Probe.Contacts) == 0 {
		return fmt.Errorf("%w: no probe (or a probe without contacts)", ErrBadConfig)
	}
	for i, c := range cfg.Probe.Contacts {
		if math.IsNaN(c.XUm+c.YUm) || math.IsInf(c.XUm+c.YUm, 0) {
			return fmt.Errorf("%w: contact %d position is not finite", ErrBadConfig, i)
		}
	}
	if maxU := MaxUnits(cfg.Probe); cfg.Units > maxU {
		return fmt.Errorf("%w: %d units do not fit near probe %q (at most %d)",
			ErrBadConfig, cfg.Units, cfg.Probe.Name, maxU)
	}
	return nil
}

func validateSize(cfg Config) error {
	n := cfg.DurationS * cfg.SampleRateHz
	if n < 1 {
		return fmt.Errorf("%w: duration %v s is shorter than one sample", ErrBadConfig,
			cfg.DurationS)
	}
	if bytes := n * float64(cfg.Probe.NumChannels()) * 2; bytes > MaxOutputBytes {
		return fmt.Errorf("%w: output of %.1f GiB exceeds %d GiB", ErrBadConfig,
			bytes/(1<<30), MaxOutputBytes>>30)
	}
	return nil
}

// MaxUnits returns how many units fit near p: the cortical neuron density times the
// placement volume (the contact box widened by the lateral margin, up to the maximum
// distance from the probe plane).
func MaxUnits(p *probe.Probe) int {
	if p == nil || len(p.Contacts) == 0 {
		return 0
	}
	b := placementBox(p)
	vol := (b.maxX - b.minX) * (b.maxY - b.minY) * (b.maxZ - b.minZ)
	return int(vol * neuronDensityPerUm3)
}

// Validate reports whether Generate would accept c, with defaults applied; errors wrap
// ErrBadConfig. It does no work beyond the checks.
func (c Config) Validate() error { return validate(withDefaults(c)) }
