package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"

	"github.com/spikestream/spikestream/internal/app"
	"github.com/spikestream/spikestream/internal/liveview"
	"github.com/spikestream/spikestream/pipeline"
	"github.com/spikestream/spikestream/stream"
)

func init() {
	register("demo", "simulate, replay and sort live on embedded defaults", runDemo)
}

func runDemo(args []string) error {
	fs := newFlags("demo", "[--probe tetrode] [--units 6] [--duration 30s] [--noise-uv 10]")
	probeArg := fs.String("probe", "tetrode", "probe: tetrode, poly32, neuropixels1 or a JSON file")
	units := fs.Int("units", 6, "simulated units near the probe")
	dur := seconds(30) // long enough for the online assigner to found most units
	fs.Var(&dur, "duration", "recording length (seconds, or 20s, 2m)")
	noise := fs.Float64("noise-uv", 10, "background noise, uV RMS")
	rateHz := fs.Float64("rate-hz", 30000, "sample rate, Hz")
	seed := fs.Int64("seed", 1, "simulation seed")
	meth := fs.String("method", "learned", "learned or baseline")
	speed := fs.String("speed", "1", "1 for real time, max for as fast as possible")
	lines := fs.Int("lines", 8, "spike lines shown per second")
	httpAddr := fs.String("http", "", "serve the live page at / and Prometheus /metrics on "+
		"this address, e.g. 127.0.0.1:8080 (empty: off)")
	logLevel := fs.String("log-level", "warn", "log level")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	m, err := method(*meth)
	if err != nil {
		return err
	}
	sp, err := parseSpeed(*speed)
	if err != nil {
		return err
	}
	p, err := loadProbe(*probeArg)
	if err != nil {
		return err
	}
	if !(dur > 0) || dur > 3600 {
		return fmt.Errorf("--duration %v: want 0-3600 s", dur)
	}
	log, err := newLogger(*logLevel)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	reg := app.NewRegistry()
	metrics := pipeline.NewMetrics(reg, "demo")
	var hub *liveview.Hub
	onSorter := func(conn *stream.Conn, subj stream.Subjects) {
		if *httpAddr == "" {
			return
		}
		var err error
		if hub, err = serveHTTP(ctx, *httpAddr, reg, conn, subj, *rateHz, log); err != nil {
			log.Error("no live page", zap.Error(err))
		}
	}
	defer func() {
		if hub != nil {
			hub.Close()
		}
	}()
	_, err = app.Demo(ctx, app.DemoOptions{Probe: p, Units: *units, DurationS: float64(dur),
		NoiseUV: *noise, Seed: *seed, Method: m, Speed: sp, LinesPerS: *lines, Out: os.Stdout,
		Metrics: metrics, Log: log, SampleRateHz: *rateHz, OnSorter: onSorter})
	return err
}
