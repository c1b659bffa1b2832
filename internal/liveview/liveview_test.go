package liveview

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/spikestream/spikestream/stream"
)

// Spike and unit events published on the bus reach a browser's event stream as JSON.
func TestEventsReachBrowser(t *testing.T) {
	ctx := context.Background()
	conn, err := stream.Connect(ctx, stream.ConnOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	subj, _ := stream.SubjectsFor("live")
	hub, err := New(conn, subj, 30000)
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	srv := httptest.NewServer(hub.Handler())
	defer srv.Close()

	page, err := http.Get(srv.URL + "/")
	if err != nil || page.StatusCode != 200 {
		t.Fatalf("page: %v %v", err, page)
	}
	page.Body.Close()

	resp, err := http.Get(srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	if !lines.Scan() || lines.Text() != "event: hello" {
		t.Fatalf("first line %q", lines.Text())
	}

	pub := stream.NewEventPublisher(conn, subj, stream.PubOptions{})
	pub.PublishUnit(stream.UnitEvent{Kind: stream.UnitCreated, UnitID: 3, SampleIndex: 60000})
	pub.PublishSpikes([]stream.SpikeEvent{{SampleIndex: 30000, TimeS: 1, UnitID: 3,
		PeakChannel: 2, AmplitudeUV: 80}})
	pub.Flush()

	got := map[string]bool{}
	deadline := time.After(5 * time.Second)
	for len(got) < 2 {
		line := make(chan string, 1)
		go func() {
			if lines.Scan() {
				line <- lines.Text()
			}
		}()
		select {
		case l := <-line:
			data, ok := strings.CutPrefix(l, "data: ")
			if !ok {
				continue
			}
			var msg struct {
				Type   string  `json:"type"`
				TS     float64 `json:"t_s"`
				Spikes []struct {
					U uint32  `json:"u"`
					A float32 `json:"a"`
				} `json:"spikes"`
			}
			if err := json.Unmarshal([]byte(data), &msg); err != nil {
				t.Fatal(err)
			}
			got[msg.Type] = true
			if msg.Type == "unit" && msg.TS != 2 {
				t.Errorf("unit event at %g s, want 2", msg.TS)
			}
			if msg.Type == "spikes" && (len(msg.Spikes) != 1 || msg.Spikes[0].U != 3) {
				t.Errorf("spikes %+v", msg.Spikes)
			}
		case <-deadline:
			t.Fatalf("only %v arrived", got)
		}
	}
}
