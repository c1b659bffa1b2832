package app

import (
	"os"
	"strconv"

	"github.com/spikestream/spikestream/pipeline/assign"
)

func tuneEnv(c assign.Config) assign.Config {
	f := func(n string, v *float64) {
		if x, err := strconv.ParseFloat(os.Getenv(n), 64); err == nil {
			*v = x
		}
	}
	f("GATESD", &c.GateSD)
	f("SPLITDP", &c.SplitDPrime)
	f("MERGEDP", &c.MergeDPrime)
	f("MAXSPREAD", &c.MaxSpreadRatio)
	f("MAXPOSSD", &c.MaxPosSDUm)
	f("CELLUM", &c.ClusterCellUm)
	var ms float64
	f("MINSPIKES", &ms)
	c.MinSpikes = int(ms)
	return c
}
