package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spikestream/spikestream/internal/app"
)

func init() {
	register("bench", "measure throughput, latency (and --accuracy) of the live path", runBench)
}

func runBench(args []string) error {
	fs := newFlags("bench", "[--duration 10s] [--latency-duration 5s] [--method both] [--accuracy]")
	dur := seconds(10)
	fs.Var(&dur, "duration", "recording length for the throughput runs")
	latDur := seconds(5)
	fs.Var(&latDur, "latency-duration", "recording length for the real-time latency runs (0: skip)")
	meth := fs.String("method", "both", "learned, baseline or both")
	seed := fs.Int64("seed", 7, "simulation seed")
	accuracy := fs.Bool("accuracy", false, "run the held-out accuracy benchmark instead")
	accDur := seconds(60)
	fs.Var(&accDur, "accuracy-duration", "recording length of the accuracy cases")
	determ := fs.Bool("deterministic", false, "with --accuracy: run the assigner's passes "+
		"in step with the stream, as sort --input does, so that every run gives one answer")
	tcp := fs.Bool("tcp", false, "connect the replayer, sorter and subscriber over loopback "+
		"TCP, as separate processes would (default: in-process connections)")
	logLevel := fs.String("log-level", "warn", "log level")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	methods, err := benchMethods(*meth)
	if err != nil {
		return err
	}
	if !(dur > 0) || latDur < 0 {
		return fmt.Errorf("durations must be positive")
	}
	log, err := newLogger(*logLevel)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *accuracy {
		return app.AccuracyBench{DurationS: float64(accDur), Methods: methods, Seed: *seed,
			Deterministic: *determ}.Run(ctx, os.Stdout, log)
	}
	cases := app.DefaultBenchCases(float64(dur), float64(latDur))
	for i := range cases {
		cases[i].TCP = *tcp
	}
	rows, err := app.Bench(ctx, cases, methods, *seed, os.Stderr, log)
	if err != nil {
		return err
	}
	mode := ""
	if *tcp {
		mode = " --tcp"
	}
	fmt.Printf("spikestream bench --duration %v --latency-duration %v --method %s --seed %d%s\n",
		dur, latDur, *meth, *seed, mode)
	app.PrintBench(os.Stdout, rows)
	return nil
}

func benchMethods(s string) ([]app.Method, error) {
	if s == "both" {
		return []app.Method{app.Learned, app.Baseline}, nil
	}
	m, err := method(s)
	return []app.Method{m}, err
}
