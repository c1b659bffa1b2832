package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"

	"github.com/spikestream/spikestream/internal/app"
	"github.com/spikestream/spikestream/pipeline"
	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/stream"
)

func init() {
	register("sort", "sort a live stream, or a whole file through the live path", runSort)
}

type sortFlags struct {
	stream, probe, url, out, method, model, metricsAddr, logLevel, config string
	listen                                                                int
	json                                                                  bool
	raw                                                                   rawFlags
}

func runSort(args []string) error {
	fs := newFlags("sort", "--stream NAME --probe probe.json [--nats URL]\n"+
		"   or: spikestream sort --input rec.dat --channels N --rate-hz R --uv-per-bit U "+
		"--probe probe.json --out DIR")
	var f sortFlags
	fs.StringVar(&f.stream, "stream", "", "live mode: stream name to sort")
	fs.StringVar(&f.probe, "probe", "",
		"probe: tetrode, poly32, neuropixels1 or a probeinterface JSON")
	fs.StringVar(&f.url, "nats", "", "NATS server URL (default: an embedded server on --listen)")
	fs.IntVar(&f.listen, "listen", 4222, "embedded server port in live mode without --nats")
	f.raw.register(fs) // file mode; live mode takes only --rate-hz, default from the frames
	fs.StringVar(&f.out, "out", "", "file mode: output folder (phy + sorting.npz)")
	fs.StringVar(&f.method, "method", "learned", "learned or baseline")
	fs.StringVar(&f.model, "model", "", "checkpoint replacing the shipped detector or embedder")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "127.0.0.1:9464", "HTTP address for "+
		"Prometheus /metrics and the live page at / (empty: off)")
	fs.StringVar(&f.config, "config", "", "pipeline settings JSON (see configs/pipeline.json)")
	fs.BoolVar(&f.json, "json", false, "also publish events as JSON on *.json subjects")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case f.raw.input != "" && f.stream != "":
		return fmt.Errorf("give either --stream (live) or --input (file), not both")
	case f.raw.input != "":
		return sortFile(f)
	case f.stream != "":
		return sortLive(f)
	}
	return fmt.Errorf("give --stream NAME to sort a live stream or --input FILE to sort a file")
}

// sortSetup is what both modes take from the flags.
type sortSetup struct {
	method app.Method
	probe  *probe.Probe
	cfg    pipeline.Config
	log    *zap.Logger
}

// setup checks the flags both modes share and builds the logger.
func (f sortFlags) setup() (sortSetup, error) {
	var s sortSetup
	var err error
	if s.method, err = method(f.method); err != nil {
		return s, err
	}
	if s.probe, err = loadProbe(f.probe); err != nil {
		return s, err
	}
	if s.cfg, err = pipelineConfig(f.config); err != nil {
		return s, err
	}
	s.log, err = newLogger(f.logLevel)
	return s, err
}

func sortFile(f sortFlags) error {
	su, err := f.setup()
	if err != nil {
		return err
	}
	if f.out == "" {
		return fmt.Errorf("--out DIR is required with --input")
	}
	in, err := f.raw.rawInput(su.probe)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := app.SortFile(ctx, app.FileOptions{Input: in, OutDir: f.out, Method: su.method,
		ModelPath: f.model, Pipeline: su.cfg, Log: su.log})
	if err != nil {
		return err
	}
	durS := float64(res.NumSample) / in.SampleRateHz
	fmt.Fprintf(stderr, "sorted %.1f s of %d channels in %.1f s (%.1fx real time): "+
		"%d spikes in %d units -> %s\n", durS, in.Channels, res.Elapsed.Seconds(),
		durS/res.Elapsed.Seconds(), res.Sorting.NumSpikes(), res.Units, f.out)
	return nil
}

func sortLive(f sortFlags) error {
	su, err := f.setup()
	if err != nil {
		return err
	}
	if r := f.raw.rateHz; r != 0 && (r < 10000 || r > 50000) {
		return fmt.Errorf("--rate-hz %g outside 10000-50000", r)
	}
	log := su.log
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	conn, err := stream.Connect(ctx, stream.ConnOptions{URL: f.url, ListenPort: f.listen, Log: log})
	if err != nil {
		return err
	}
	defer conn.Close()
	reg := app.NewRegistry()
	metrics := pipeline.NewMetrics(reg, f.stream)
	srt, err := app.NewSorter(ctx, conn, app.SorterConfig{Stream: f.stream, Probe: su.probe,
		SampleRateHz: f.raw.rateHz, Method: su.method, ModelPath: f.model, Pipeline: su.cfg,
		Metrics: metrics, Registry: reg, JSONMirror: f.json, Log: log})
	if err != nil {
		return err
	}
	if f.metricsAddr != "" {
		hub, err := serveHTTP(ctx, f.metricsAddr, reg, conn, srt.Subjects(), f.raw.rateHz, log)
		if err != nil {
			return err
		}
		defer hub.Close()
	}
	go stopOnSignals(srt, cancel, log)
	log.Info("sorting", zap.String("component", "sort"), zap.String("stream", f.stream),
		zap.String("nats", conn.URL()), zap.String("method", string(su.method)))
	if err := srt.Run(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "stream ended: %d spikes published; bus: %s\n", srt.Published(),
		app.BusSummary(srt.FrameStats()))
	return nil
}

// stopOnSignals drains the sorter on the first SIGINT/SIGTERM and aborts on the second.
func stopOnSignals(srt *app.Sorter, abort context.CancelFunc, log *zap.Logger) {
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	<-sig
	log.Info("stopping: draining in-flight spikes (signal again to abort)",
		zap.String("component", "sort"))
	srt.Stop()
	<-sig
	abort()
}
