package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/spikestream/spikestream/internal/app"
	"github.com/spikestream/spikestream/internal/liveview"
	"github.com/spikestream/spikestream/pipeline"
	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/stream"
)

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(flagOutput)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: spikestream %s %s\n\nflags:\n", name, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and rejects stray positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// seconds is a flag value for a duration given in seconds ("20", "0.5") or Go syntax
// ("20s", "10m").
type seconds float64

func (s *seconds) String() string { return strconv.FormatFloat(float64(*s), 'g', -1, 64) }

func (s *seconds) Set(v string) error {
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		*s = seconds(f)
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("want seconds or a duration like 20s or 10m")
	}
	*s = seconds(d.Seconds())
	return nil
}

// newLogger returns a console logger on stderr at the given level.
func newLogger(level string) (*zap.Logger, error) {
	var lvl zapcore.Level
	if err := lvl.Set(level); err != nil {
		return nil, fmt.Errorf("--log-level %q: %w", level, err)
	}
	cfg := zap.NewDevelopmentConfig()
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.DisableStacktrace = true
	cfg.OutputPaths = []string{"stderr"}
	return cfg.Build()
}

// loadProbe resolves --probe: a built-in name or a probeinterface JSON file.
func loadProbe(arg string) (*probe.Probe, error) {
	if arg == "" {
		return nil, fmt.Errorf("--probe is required (tetrode, poly32, neuropixels1 or a JSON file)")
	}
	return probe.Resolve(arg)
}

// method parses --method.
func method(s string) (app.Method, error) { return app.ParseMethod(strings.ToLower(s)) }

// flagOutput receives usage and flag errors; tests silence it.
var flagOutput io.Writer = os.Stderr

// stderr is where progress and summaries go; stdout carries events.
var stderr = os.Stderr

// pipelineConfig loads --config, or returns the defaults when it is empty.
func pipelineConfig(path string) (pipeline.Config, error) {
	if path == "" {
		return pipeline.Config{}, nil
	}
	return pipeline.LoadConfig(path)
}

// rawFlags are the flags that describe a raw recording, shared by sort and replay.
type rawFlags struct {
	input, meta      string
	channels         int
	rateHz, uvPerBit float64
	fileChannels     int
}

func (r *rawFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&r.input, "input", "", "raw int16 interleaved recording (.dat, .bin)")
	fs.StringVar(&r.meta, "meta", "", "SpikeGLX .ap.meta or Open Ephys structure.oebin: sets "+
		"--channels, --rate-hz and --uv-per-bit and skips non-neural channels")
	fs.IntVar(&r.channels, "channels", 0, "channels in the recording")
	fs.Float64Var(&r.rateHz, "rate-hz", 0, "sample rate, Hz")
	fs.Float64Var(&r.uvPerBit, "uv-per-bit", 0, "microvolts per int16 unit")
}

// rawInput builds and checks the recording description; flags given explicitly win over
// the SpikeGLX metadata.
func (r *rawFlags) rawInput(p *probe.Probe) (app.RawInput, error) {
	in := app.RawInput{Path: r.input, Channels: r.channels, SampleRateHz: r.rateHz,
		UVPerBit: r.uvPerBit, Probe: p}
	if r.meta != "" {
		read := app.ReadSpikeGLXMeta
		if strings.HasSuffix(r.meta, ".oebin") {
			read = app.ReadOpenEphys
		}
		m, err := read(r.meta)
		if err != nil {
			return in, err
		}
		in.FileChannels = m.SavedChannels
		if in.Channels == 0 {
			in.Channels = m.NeuralChans
		}
		if in.SampleRateHz == 0 {
			in.SampleRateHz = m.SampleRateHz
		}
		if in.UVPerBit == 0 {
			in.UVPerBit = m.UVPerBit
		}
	}
	_, err := in.Check()
	return in, err
}

// serveHTTP starts the live page of subj's events and Prometheus metrics on addr; the
// caller closes the returned hub when the stream is over.
func serveHTTP(ctx context.Context, addr string, reg *prometheus.Registry, conn *stream.Conn,
	subj stream.Subjects, rateHz float64, log *zap.Logger) (*liveview.Hub, error) {
	hub, err := liveview.New(conn, subj, rateHz)
	if err != nil {
		return nil, err
	}
	bound, err := app.ServeMetrics(ctx, addr, reg, hub.Handler(), log)
	if err != nil {
		hub.Close()
		return nil, fmt.Errorf("http endpoint: %w", err)
	}
	log.Info("serving the live page and metrics", zap.String("component", "http"),
		zap.String("page", "http://"+bound+"/"), zap.String("metrics", "http://"+bound+"/metrics"))
	return hub, nil
}
