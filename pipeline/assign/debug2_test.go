package assign

import (
	"fmt"
	"testing"

	"github.com/spikestream/spikestream/probe"
)

func TestDebugLeaf(t *testing.T) {
	const dim = 16
	units := npUnits(41, 300, dim)
	spikes := genStream(42, units, 3.0, dim)
	o, _ := New(Config{}, probe.Neuropixels1(), nil)
	pts := make([]point, len(spikes))
	truth := map[uint64]int{}
	for i := range spikes {
		o.toPoint(&spikes[i].sp, &pts[i])
		pts[i].seq = uint64(i + 1)
		truth[pts[i].seq] = spikes[i].truth
	}
	for _, leaf := range o.ps.cl.run(pts, dim) {
		comp := map[int]int{}
		for _, i := range leaf {
			comp[truth[pts[i].seq]]++
		}
		if len(comp) > 1 {
			fmt.Println(len(leaf), comp)
			// test pairwise partitions
			var a, b int
			for k := range comp {
				if a == 0 {
					a = k + 1
				} else {
					b = k + 1
				}
			}
			var idx []int32
			var lab []uint8
			for _, i := range leaf {
				tr := truth[pts[i].seq]
				if tr == a-1 || tr == b-1 {
					idx = append(idx, i)
					lab = append(lab, map[bool]uint8{true: 1}[tr == b-1])
				}
			}
			fmt.Println("partition excess", o.ps.cl.sep.partitionExcess(pts, idx, lab, dim, 4))
			_, ex, sp := o.ps.cl.sep.bestSplit(pts, idx, dim, 4)
			fmt.Println("best", ex, sp)
			for _, u := range []int{a - 1, b - 1} {
				fmt.Println(units[u].xUm, units[u].yUm, units[u].emb[:4])
			}
		}
	}
}
