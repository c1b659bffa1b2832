package library_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"

	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/sim/library"
	"github.com/spikestream/spikestream/sim/neuron"
)

// Project a library cell onto a Neuropixels probe, 30 um from the probe plane, and again
// 10 um deeper to follow drift.
func Example() {
	ctx := context.Background()
	cache := filepath.Join(os.TempDir(), "spikestream-example-library")
	lib, err := library.LoadOrBuild(ctx, cache, library.Config{N: 4, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	p := probe.Neuropixels1()
	contacts := make([][3]float64, p.NumChannels())
	for i, c := range p.Contacts {
		contacts[i] = [3]float64{c.XUm, c.YUm, 0} // contacts lie in the plane z = 0
	}
	cell := lib.Cell(0)
	rng := rand.New(rand.NewSource(7))
	rot := neuron.RandomRotation(rng, 20)
	waves := make([][]float32, len(contacts))
	for i := range waves {
		waves[i] = make([]float32, cell.NumSteps())
	}
	for _, depthUm := range []float64{1000, 1010} {
		soma := [3]float64{30, depthUm, 30}
		if err := cell.Potential(contacts, soma, rot, neuron.SigmaSPerM, waves); err != nil {
			fmt.Println(err)
			return
		}
		// waves[ch][k] is the potential in uV at channel ch, time (k-PeakStep)*DtMs ms.
	}
	fmt.Println(lib.Len(), "cells")
	// Output: 4 cells
}
