// Package train fits spikestream's models on simulated recordings with gorgonia and
// evaluates them on held-out simulations. It is the only package that imports gorgonia;
// the live path uses the float32 forward passes of package models.
//
// Nothing here logs: progress goes to an io.Writer the caller passes (stderr for the
// command), and nothing runs in the background.
package train
