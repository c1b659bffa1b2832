// Package eval scores a sorting against ground truth with SpikeInterface's definitions
// (one-to-one spike matching within delta, agreement, Hungarian pairing of units, per-unit
// accuracy, recall and precision), reads simulated truth folders, writes tables and figures,
// and runs the accuracy benchmark over simulated recordings.
//
// Functions here do no logging and start no goroutines; they are safe to call concurrently
// on distinct arguments.
package eval
