package assign

import (
	"testing"

	"github.com/spikestream/spikestream/stream"
)

func TestNearestCentroid(t *testing.T) {
	const dim = 8
	units := staticUnits(31, 6, dim)
	spikes := genStream(32, units, 30, dim)
	rc := &recorder{}
	nc := NewNearestCentroid(BaselineConfig{RadiusEmb: 6}, rc.sink)
	for i := range spikes {
		nc.Assign(&spikes[i].sp)
		if spikes[i].sp.Unit == 0 {
			t.Fatalf("spike %d left unlabelled; the baseline labels every spike", i)
		}
	}
	created := rc.kinds(stream.UnitCreated)
	if len(created) != nc.Units() {
		t.Errorf("%d UnitCreated events for %d units", len(created), nc.Units())
	}
	acc := agreement(spikes, rc.finalLabels(spikes), len(units))
	t.Logf("baseline: %d units, accuracy %.3f", nc.Units(), acc)
	for i, a := range acc {
		if a < 0.5 {
			t.Errorf("unit %d: accuracy %.3f, want >= 0.5 on well-separated clusters", i, a)
		}
	}
}

func TestNearestCentroidRadiusAndDim(t *testing.T) {
	tests := []struct {
		name      string
		radius    float64
		embs      [][]float32
		wantUnits []uint32
	}{
		{"close joins", 1, [][]float32{{0, 0}, {0.5, 0}, {0.2, 0.1}}, []uint32{1, 1, 1}},
		{"far founds", 1, [][]float32{{0, 0}, {3, 0}, {0, 3}, {3.1, 0}},
			[]uint32{1, 2, 3, 2}},
		{"wrong dim is 0", 1, [][]float32{{0, 0}, {0, 0, 0}}, []uint32{1, 0}},
		{"default radius 3 sqrt(dim)", 0, [][]float32{{0, 0}, {4, 0}, {6.5, 0}},
			[]uint32{1, 1, 2}},
	}
	for _, tc := range tests {
		nc := NewNearestCentroid(BaselineConfig{RadiusEmb: tc.radius}, nil)
		for i, e := range tc.embs {
			sp := synthSpike{}.sp
			sp.Embedding = e
			nc.Assign(&sp)
			if sp.Unit != tc.wantUnits[i] {
				t.Errorf("%s: spike %d got unit %d, want %d", tc.name, i, sp.Unit,
					tc.wantUnits[i])
			}
		}
	}
}

func TestNearestCentroidPositionRadius(t *testing.T) {
	type in struct {
		emb  []float32
		yUm  float32
		want uint32
	}
	tests := []struct {
		name     string
		radiusUm float64
		spikes   []in
	}{
		{"off: position ignored", 0, []in{{[]float32{0, 0}, 0, 1}, {[]float32{0, 0}, 500, 1}}},
		{"far spike founds", 100, []in{{[]float32{0, 0}, 0, 1}, {[]float32{0, 0}, 500, 2},
			{[]float32{0.1, 0}, 480, 2}, {[]float32{0.1, 0}, 20, 1}}},
	}
	for _, tc := range tests {
		nc := NewNearestCentroid(BaselineConfig{RadiusEmb: 1, RadiusUm: tc.radiusUm}, nil)
		for i, s := range tc.spikes {
			sp := synthSpike{}.sp
			sp.Embedding, sp.YUm = s.emb, s.yUm
			nc.Assign(&sp)
			if sp.Unit != s.want {
				t.Errorf("%s: spike %d got unit %d, want %d", tc.name, i, sp.Unit, s.want)
			}
		}
	}
}
