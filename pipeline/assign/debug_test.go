package assign

import (
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/spikestream/spikestream/probe"
)

func TestDebugDense(t *testing.T) {
	const dim = 16
	nu, _ := strconv.Atoi(os.Getenv("NU"))
	if nu == 0 {
		t.Skip("set NU, NOISE and DUR")
	}
	noise, _ := strconv.ParseFloat(os.Getenv("NOISE"), 64)
	dur, _ := strconv.ParseFloat(os.Getenv("DUR"), 64)
	units := npUnits(41, 300, dim)[:nu]
	spikes := genStream(42, units, dur, dim)
	if noise > 0 {
		spikes = withNoise(43, spikes, probe.Neuropixels1(), noise, dur, dim)
	}
	o, rc := runSync(t, Config{}, probe.Neuropixels1(), spikes)
	labels := rc.finalLabels(spikes)
	at := map[int64]int{}
	for _, s := range spikes {
		at[s.sp.Sample] = s.truth
	}
	for _, ev := range rc.events {
		if ev.UnitID != 20 && (len(ev.Related) == 0 || ev.Related[0] != 20) {
			continue
		}
		c := map[int]int{}
		for _, r := range ev.Backfill {
			c[at[r.SampleIndex]]++
		}
		fmt.Printf("t=%.1f kind %d id %d rel %v y %.0f n %d %v\n", float64(ev.SampleIndex)/synthRateHz, ev.Kind, ev.UnitID, ev.Related, ev.YUm, ev.NumSpikes, c)
	}
	comp := map[uint32]map[int]int{}
	for i, s := range spikes {
		if comp[labels[i]] == nil {
			comp[labels[i]] = map[int]int{}
		}
		comp[labels[i]][s.truth]++
	}
	mixed := 0
	for l, m := range comp {
		tot, mx := 0, 0
		for _, c := range m {
			tot += c
			mx = max(mx, c)
		}
		if l != 0 && float64(mx) < 0.9*float64(tot) {
			mixed++
			if mixed < 10 {
				fmt.Println(l, m)
			}
		}
	}
	acc := agreement(spikes, labels, len(units))
	good, mean := summarise(acc)
	for i, a := range acc {
		if a < 0.8 {
			l, f := dominantLabel(spikes, labels, i, 0, dur)
			fmt.Printf("bad truth %d acc %.2f rate %.1f amp %.0f label %d frac %.2f comp %v\n", i, a, units[i].rateHz, units[i].ampUV, l, f, comp[l])
		}
	}
	fmt.Printf("mixed %d good %d mean %.3f %+v\n", mixed, good, mean, o.Stats())
}
