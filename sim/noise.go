package sim

import (
	"context"
	"math"
	"math/bits"
	"runtime"
	"sync"

	"github.com/spikestream/spikestream/probe"
)

// Noise model. Background noise is built once per recording as a block of a few hundred
// ms (all channels), quantised to the output's int16 steps, and the recording reads it
// back in segments of noiseSegment samples taken at random offsets, each cross-faded into
// the next over noiseFade samples with sine/cosine weights (whose squares sum to one, so
// the variance is kept). Outside the fades a segment is a plain copy, which keeps
// synthesis at memory speed. The block holds:
//   - 1/f-like coloured noise: white noise through a sum of one-pole low-passes with
//     corners at 300, 900, 2700 and 8100 Hz weighted by 1/sqrt(corner) (a pink slope
//     above 300 Hz, flat below), plus a white floor;
//   - spatial correlation: each channel mixes the white noise of its neighbours through a
//     Gaussian distance kernel, plus a small component common to all channels;
//   - the amplifier's one-pole low-pass (amplifierHz);
//   - the spikes of far background cells.
const (
	noiseCorrLengthUm = 30   // length scale of the spatial kernel
	noiseNeighbourW   = 0.3  // kernel weight of a neighbour at zero distance (self is 1)
	noiseRadiusUm     = 80   // neighbours beyond this do not mix
	noiseMaxNeighbour = 9    // nor do more than this many, nearest first
	noiseCommonW      = 0.15 // weight of the component common to all channels
	noiseWhiteFloor   = 0.2  // weight of the white floor relative to the first pole
	noiseBlockBytes   = 16 << 20
	noiseMinBlock     = 1 << 13
	noiseMaxBlock     = 1 << 17
	noiseSegment      = 2048 // samples read from one random offset, fade included
	noiseFade         = 64   // samples of cross-fade at the end of each segment
	synthChunk        = 512  // samples rendered by one task
	amplifierHz       = 7500
)

var pinkCornersHz = [...]float64{300, 900, 2700, 8100}

// noiseBlock is a circular block of background noise, lenS samples x channels,
// interleaved by sample, in output steps (uV / UVPerBit, rounded).
type noiseBlock struct {
	data     []int16
	lenS     int
	channels int
}

// amplifierCornerHz is the amplifier's low-pass corner at sample rate fs: 7.5 kHz, or
// 0.4 fs when that is lower (anti-aliasing).
func amplifierCornerHz(fs float64) float64 { return math.Min(amplifierHz, 0.4*fs) }

// noiseBlockLen returns a power of two that keeps the block under noiseBlockBytes.
func noiseBlockLen(channels int) int {
	n := noiseBlockBytes / (2 * max(channels, 1))
	n = 1 << (bits.Len(uint(n)) - 1)
	return min(max(n, noiseMinBlock), noiseMaxBlock)
}

// mixKernel is one channel's spatial mixing row: the channels it takes white noise from
// and their weights, normalised to unit power together with the common weight.
type mixKernel struct {
	from []int32
	w    []float32
}

// spatialKernels builds every channel's mixing row.
func spatialKernels(p *probe.Probe) []mixKernel {
	ks := make([]mixKernel, p.NumChannels())
	for c := range ks {
		nb := p.Neighbours(c, noiseRadiusUm, noiseMaxNeighbour)
		sum := noiseCommonW * noiseCommonW
		for i, j := range nb {
			w := 1.0
			if i > 0 {
				d := p.DistanceUm(c, j) / noiseCorrLengthUm
				w = noiseNeighbourW * math.Exp(-d*d/2)
			}
			ks[c].from = append(ks[c].from, int32(j))
			ks[c].w = append(ks[c].w, float32(w))
			sum += w * w
		}
		for i := range ks[c].w {
			ks[c].w[i] /= float32(math.Sqrt(sum))
		}
	}
	return ks
}

// whiteBlock fills a block of independent, zero-mean, unit-variance values, rows x cols,
// with one generator per column group so that the result does not depend on the number
// of workers. Each value is the scaled sum of four 16-bit uniforms (an Irwin-Hall
// approximation of a Gaussian, four times cheaper than an exact draw; the colouring
// filters that follow sum many of them, which makes the result Gaussian anyway).
func whiteBlock(ctx context.Context, seed int64, rows, cols int) ([]float32, error) {
	out := make([]float32, rows*cols)
	const group = 16
	// Four uniforms on [0, 65535] have mean 131070 and variance 4 * (65536^2-1) / 12.
	const mean = 2 * 65535.0
	scale := float32(1 / math.Sqrt(4*(65536.0*65536.0-1)/12))
	err := parallelFor(ctx, (cols+group-1)/group, func(g int) {
		r := newRand(seed, tagNoise, uint64(g))
		c0, c1 := g*group, min((g+1)*group, cols)
		for t := range rows {
			row := out[t*cols : (t+1)*cols]
			for c := c0; c < c1; c++ {
				u := r.Uint64()
				sum := u&0xffff + u>>16&0xffff + u>>32&0xffff + u>>48
				row[c] = (float32(sum) - mean) * scale
			}
		}
	})
	return out, err
}

// mixSpatial returns the white block mixed through the channel kernels; column `channels`
// of the white block (one extra column) is the common component.
func mixSpatial(ctx context.Context, white []float32, rows, channels int,
	ks []mixKernel) ([]float32, error) {
	out := make([]float32, rows*channels)
	stride := channels + 1
	common := float32(noiseCommonW)
	err := parallelFor(ctx, (rows+1023)/1024, func(b int) {
		for t := b * 1024; t < min((b+1)*1024, rows); t++ {
			src := white[t*stride : (t+1)*stride]
			dst := out[t*channels : (t+1)*channels]
			for c := range dst {
				k := &ks[c]
				acc := common * src[channels]
				for i, j := range k.from {
					acc += k.w[i] * src[j]
				}
				dst[c] = acc
			}
		}
	})
	return out, err
}

// colourFilter shapes each channel of a block in place: the pink sum of poles, then the
// amplifier low-pass. Each channel first runs over the block's last 1024 rows to settle
// its filter state, so that the block wraps around nearly seamlessly. Channel groups run
// in parallel.
func colourFilter(ctx context.Context, block []float32, rows, channels int,
	fs float64) error {
	var f pinkFilter
	for i, fc := range pinkCornersHz {
		f.a[i] = float32(math.Exp(-2 * math.Pi * fc / fs))
		f.w[i] = float32(math.Sqrt(pinkCornersHz[0] / fc))
	}
	f.aAmp = float32(math.Exp(-2 * math.Pi * amplifierCornerHz(fs) / fs))
	const group = 32
	return parallelFor(ctx, (channels+group-1)/group, func(g int) {
		c0, c1 := g*group, min((g+1)*group, channels)
		state := make([]float32, (len(f.a)+1)*(c1-c0))
		warm := min(1024, rows)
		for t := rows - warm; t < rows; t++ {
			f.row(block[t*channels+c0:t*channels+c1], state, false)
		}
		for t := range rows {
			f.row(block[t*channels+c0:t*channels+c1], state, true)
		}
	})
}

// pinkFilter holds the coefficients of the noise colouring: pole factors a and weights w
// of the pink sum, and the amplifier pole.
type pinkFilter struct {
	a, w [len(pinkCornersHz)]float32
	aAmp float32
}

// row advances the filter state of the channels of row by one sample; with write, the
// outputs replace the inputs.
func (f *pinkFilter) row(row, state []float32, write bool) {
	n := len(row)
	amp := state[len(f.a)*n:]
	for c, x := range row {
		y := float32(noiseWhiteFloor) * x
		for i := range f.a {
			s := &state[i*n+c]
			*s = f.a[i]**s + (1-f.a[i])*x
			y += f.w[i] * *s
		}
		amp[c] = f.aAmp*amp[c] + (1-f.aAmp)*y
		if write {
			row[c] = amp[c]
		}
	}
}

// channelRMS returns the root mean square of each channel of a block. Row blocks are
// summed in parallel and combined in a fixed order, so the result is deterministic.
func channelRMS(ctx context.Context, block []float32, rows, channels int) ([]float64, error) {
	const rowsPer = 2048
	nb := (rows + rowsPer - 1) / rowsPer
	part := make([]float64, nb*channels)
	err := parallelFor(ctx, nb, func(b int) {
		sum := part[b*channels : (b+1)*channels]
		for t := b * rowsPer; t < min((b+1)*rowsPer, rows); t++ {
			for c, v := range block[t*channels : (t+1)*channels] {
				sum[c] += float64(v) * float64(v)
			}
		}
	})
	out := make([]float64, channels)
	for b := range nb {
		for c := range out {
			out[c] += part[b*channels+c]
		}
	}
	for c := range out {
		out[c] = math.Sqrt(out[c] / float64(max(rows, 1)))
	}
	return out, err
}

// parallelFor runs f(0..n-1) on up to GOMAXPROCS goroutines and waits for all of them. It
// stops handing out work once ctx is done and then returns ctx's error.
func parallelFor(ctx context.Context, n int, f func(i int)) error {
	workers := min(runtime.GOMAXPROCS(0), n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	var err error
	for i := 0; i < n && err == nil; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	close(next)
	wg.Wait()
	return err
}
