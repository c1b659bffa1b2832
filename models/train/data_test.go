package train

import (
	"testing"

	"github.com/spikestream/spikestream/probe"
)

func TestExtractLabels(t *testing.T) {
	tests := []struct {
		name   string
		p      *probe.Probe
		rateHz float64
	}{
		{"tetrode-20k", probe.Tetrode(), 20000},
		{"poly32-30k", probe.Poly32(), 30000},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := synthRecording(tc.p, tc.rateHz, 8, 4, 4, uint64(i+1))
			rs, err := Extract(rec, ExtractConfig{}, 100)
			if err != nil {
				t.Fatal(err)
			}
			pos, found := 0, 0
			for _, ex := range rs.Examples {
				if ex.Positive {
					pos++
					if ex.Unit < 100 || ex.Unit >= 100+len(rec.Units) {
						t.Fatalf("unit id %d outside 100..%d", ex.Unit, 100+len(rec.Units))
					}
				}
			}
			found = rs.Found
			t.Logf("%d candidates, %d positive, %d/%d truth found, lag %.3f ms",
				len(rs.Examples), pos, found, rs.NumTruth, rs.LagMs)
			if pos == 0 || float64(found) < 0.5*float64(rs.NumTruth) {
				t.Fatalf("labelling found %d of %d truth spikes", found, rs.NumTruth)
			}
		})
	}
}
