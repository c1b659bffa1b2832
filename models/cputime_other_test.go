//go:build !unix

package models

// processCPUNs is not measured on this platform; benchmarks then report 0 cpu-ns/op.
func processCPUNs() int64 { return 0 }
