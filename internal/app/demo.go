package app

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/spikestream/spikestream/pipeline"
	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/sim"
	"github.com/spikestream/spikestream/stream"
)

// DemoOptions sets up the demo.
type DemoOptions struct {
	Probe        *probe.Probe
	Units        int
	DurationS    float64
	NoiseUV      float64
	Seed         int64
	Method       Method
	Speed        float64 // 1 real time, 0 as fast as possible
	LinesPerS    int     // spike lines shown per second of wall time (0: none)
	Out          io.Writer
	Metrics      *pipeline.Metrics
	Log          *zap.Logger
	SampleRateHz float64
	// OnSorter, if set, is passed to the session (see Session.OnSorter).
	OnSorter func(conn *stream.Conn, subj stream.Subjects)
}

// Demo simulates a recording with sim, replays it in real time over an embedded NATS
// server, sorts it live, prints events as they arrive and ends with a summary that includes
// accuracy against the simulated truth.
func Demo(ctx context.Context, o DemoOptions) (*SessionResult, error) {
	fmt.Fprintf(o.Out, "simulating %.0f s of a %s recording with %d units at %.0f uV noise "+
		"(seed %d)...\n", o.DurationS, o.Probe.Name, o.Units, o.NoiseUV, o.Seed)
	rec, err := sim.Generate(ctx, sim.Config{Probe: o.Probe, Units: o.Units,
		DurationS: o.DurationS, NoiseUV: o.NoiseUV, Seed: o.Seed,
		SampleRateHz: o.SampleRateHz})
	if err != nil {
		return nil, fmt.Errorf("simulate: %w", err)
	}
	show := newEventPrinter(o.Out, o.LinesPerS, rec.SampleRateHz)
	res, err := Session{Source: NewInt16Reader(rec.Samples), Probe: rec.Probe,
		SampleRateHz: rec.SampleRateHz, UVPerBit: rec.UVPerBit, Speed: o.Speed,
		Method: o.Method, Metrics: o.Metrics, Log: o.Log, Stream: "demo", ListenPort: -1,
		OnSpikes: show.spikes, OnUnit: show.unit, OnSorter: o.OnSorter,
		OnStart: func(url string) {
			fmt.Fprintf(o.Out, "embedded NATS at %s; events on spikestream.demo.spikes "+
				"and spikestream.demo.units\n", url)
		},
	}.Run(ctx)
	if err != nil {
		return nil, err
	}
	printSummary(o.Out, rec, res)
	return res, nil
}

// eventPrinter shows a bounded number of spike lines per second and every unit event.
type eventPrinter struct {
	mu        sync.Mutex
	w         io.Writer
	perS      int
	rateHz    float64
	windowEnd time.Time
	shown     int
	skipped   int
}

func newEventPrinter(w io.Writer, perS int, rateHz float64) *eventPrinter {
	return &eventPrinter{w: w, perS: perS, rateHz: rateHz}
}

func (p *eventPrinter) spikes(ev []stream.SpikeEvent, latNs []int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.After(p.windowEnd) {
		if p.skipped > 0 {
			fmt.Fprintf(p.w, "  ... %d more spikes\n", p.skipped)
		}
		p.windowEnd, p.shown, p.skipped = now.Add(time.Second), 0, 0
	}
	for i, e := range ev {
		if p.shown >= p.perS {
			p.skipped++
			continue
		}
		p.shown++
		unit := "unassigned"
		if e.UnitID != 0 {
			unit = fmt.Sprintf("unit %3d", e.UnitID)
		}
		fmt.Fprintf(p.w, "  t=%8.4fs  %s  ch %3d  %6.1f uV  at (%5.1f, %6.1f) um  "+
			"conf %.2f  trough->event %.2f ms\n", e.TimeS, unit, e.PeakChannel, e.AmplitudeUV,
			e.XUm, e.YUm, e.Confidence, float64(latNs[i])/1e6)
	}
}

var unitKindNames = map[stream.UnitEventKind]string{
	stream.UnitCreated: "created", stream.UnitMerged: "merged", stream.UnitSplit: "split",
	stream.UnitRetired: "retired", stream.UnitUpdated: "updated",
}

func (p *eventPrinter) unit(e stream.UnitEvent) {
	if e.Kind == stream.UnitUpdated {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "* unit %d %s at t=%.2fs: ch %d, %.0f uV, (%.0f, %.0f) um", e.UnitID,
		unitKindNames[e.Kind], float64(e.SampleIndex)/p.rateHz, e.PeakChannel, e.AmplitudeUV,
		e.XUm, e.YUm)
	if len(e.Related) > 0 {
		fmt.Fprintf(p.w, ", with unit %d", e.Related[0])
	}
	if len(e.Backfill) > 0 {
		fmt.Fprintf(p.w, ", %d earlier spikes relabelled", len(e.Backfill))
	}
	fmt.Fprintln(p.w)
}
