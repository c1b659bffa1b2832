package app

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/spikestream/spikestream/stream"
)

// The unit subscription reuses Related and Backfill between calls; the collector must keep
// each event's own.
func TestCollectorKeepsEachUnitEventsSlices(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := stream.Connect(ctx, stream.ConnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	subj, err := stream.SubjectsFor("collector-test")
	if err != nil {
		t.Fatal(err)
	}
	col, err := NewCollector(conn, subj, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer col.Close()

	pub := stream.NewEventPublisher(conn, subj, stream.PubOptions{})
	sent := []stream.UnitEvent{
		{Kind: stream.UnitSplit, UnitID: 2, Related: []uint32{1},
			Backfill: []stream.SpikeRef{{SampleIndex: 100, PeakChannel: 3}}},
		{Kind: stream.UnitMerged, UnitID: 5, Related: []uint32{4}},
		{Kind: stream.UnitSplit, UnitID: 6, Related: []uint32{4},
			Backfill: []stream.SpikeRef{{SampleIndex: 900, PeakChannel: 1}}},
	}
	for _, e := range sent {
		if err := pub.PublishUnit(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := pub.Flush(); err != nil {
		t.Fatal(err)
	}

	var got []stream.UnitEvent
	for ctx.Err() == nil && len(got) < len(sent) {
		time.Sleep(5 * time.Millisecond)
		got = col.UnitEvents()
	}
	if len(got) != len(sent) {
		t.Fatalf("%d unit events arrived, want %d", len(got), len(sent))
	}
	for i := range sent {
		if !slices.Equal(got[i].Related, sent[i].Related) ||
			!slices.Equal(got[i].Backfill, sent[i].Backfill) {
			t.Errorf("event %d: related %v backfill %v, want %v %v", i, got[i].Related,
				got[i].Backfill, sent[i].Related, sent[i].Backfill)
		}
	}
}
