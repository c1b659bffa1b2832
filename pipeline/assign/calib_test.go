package assign

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestCalibDPrime(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var b bisector
	for _, k := range []int{2, 8, 16, 32} {
		for _, n := range []int{30, 60, 128, 256} {
			for _, sep := range []float64{0, 3, 4, 5} {
				mx := 0.0
				mean := 0.0
				for trial := 0; trial < 50; trial++ {
					x := make([]float32, n*k)
					for i := 0; i < n; i++ {
						off := 0.0
						if i%2 == 1 {
							off = sep
						}
						for j := 0; j < k; j++ {
							x[i*k+j] = float32(r.NormFloat64())
						}
						x[i*k] += float32(off)
					}
					d, _ := b.split(x, n, k)
					mx = max(mx, d)
					mean += d / 50
				}
				fmt.Printf("k=%d n=%d sep=%.0f mean=%.2f max=%.2f\n", k, n, sep, mean, mx)
			}
		}
	}
}
