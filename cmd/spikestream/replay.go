package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spikestream/spikestream/internal/app"
	"github.com/spikestream/spikestream/stream"
)

func init() {
	register("replay", "publish a raw int16 recording as a live stream", runReplay)
}

func runReplay(args []string) error {
	fs := newFlags("replay", "--input rec.dat --channels N --rate-hz R --uv-per-bit U "+
		"--probe probe.json --stream NAME [--speed 1|max] [--nats URL]")
	var raw rawFlags
	raw.register(fs)
	probeArg := fs.String("probe", "", "probe: tetrode, poly32, neuropixels1 or a probeinterface JSON")
	name := fs.String("stream", "", "stream name (subjects spikestream.NAME.*)")
	speed := fs.String("speed", "1", "1 for real time, max for as fast as the sorter keeps up")
	url := fs.String("nats", "", "NATS server URL (default: an embedded server on --listen)")
	listen := fs.Int("listen", 4222, "embedded server port when --nats is not given")
	logLevel := fs.String("log-level", "info", "log level")
	if err := parseFlags(fs, args); err != nil {
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
	in, err := raw.rawInput(p)
	if err != nil {
		return err
	}
	n, _ := in.Check()
	if *name == "" {
		return fmt.Errorf("--stream is required")
	}
	log, err := newLogger(*logLevel)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	conn, err := stream.Connect(ctx, stream.ConnOptions{URL: *url, ListenPort: *listen, Log: log})
	if err != nil {
		return err
	}
	defer conn.Close()
	fmt.Fprintf(stderr, "replaying %s (%d samples x %d channels, %.1f s) on %s at %s\n",
		in.Path, n, in.Channels, float64(n)/in.SampleRateHz, conn.URL(), *speed)
	st, err := app.Replay(ctx, conn, *name, in, sp)
	fmt.Fprintf(stderr, "published %d frames\n", st.Frames)
	return err
}

func parseSpeed(s string) (float64, error) {
	switch s {
	case "1":
		return 1, nil
	case "max":
		return 0, nil
	}
	return 0, fmt.Errorf("--speed %q: want 1 or max", s)
}
