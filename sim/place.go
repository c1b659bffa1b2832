package sim

import (
	"math"
	mrand "math/rand"
	"math/rand/v2"

	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/sim/neuron"
)

// Placement of cells. Units sit near the probe: laterally within unitMarginUm of the
// contact box, along the shank extent, between unitMinZUm and unitMaxZUm from the contact
// plane. A drawn placement is redrawn (up to placeTries times) while its trough is outside
// [minPeakUV, maxPeakUV], which keeps units in the range real sorters meet.
const (
	unitMarginUm = 20
	unitMinZUm   = 8
	unitMaxZUm   = 60
	minPeakUV    = 35
	maxPeakUV    = 450
	placeTries   = 60

	// Pyramidal cells keep their apical dendrite within this angle of the shank axis;
	// interneurons are rotated uniformly.
	pyramidalTiltDeg = 25

	// Background cells lie in a slab bgLateralUm wide around the probe and bgMinDistUm to
	// bgMaxDistUm from the nearest contact.
	bgLateralUm = 250
	bgMinDistUm = 80
	bgMaxDistUm = 250
	// unitRadiusUm and bgRadiusUm bound the contacts a template covers (in the plane).
	unitRadiusUm = 150
	bgRadiusUm   = 150
)

// box is an axis-aligned volume in probe coordinates, um.
type box struct{ minX, maxX, minY, maxY, minZ, maxZ float64 }

// placementBox returns the volume in which units are placed near probe p.
func placementBox(p *probe.Probe) box {
	minX, maxX, minY, maxY := p.Extent()
	return box{minX - unitMarginUm, maxX + unitMarginUm, minY - unitMarginUm,
		maxY + unitMarginUm, unitMinZUm, unitMaxZUm}
}

func (b box) draw(r *rand.Rand) [3]float64 {
	return [3]float64{b.minX + r.Float64()*(b.maxX-b.minX),
		b.minY + r.Float64()*(b.maxY-b.minY), b.minZ + r.Float64()*(b.maxZ-b.minZ)}
}

// contacts3D returns the probe's contacts as points in the z = 0 plane.
func contacts3D(p *probe.Probe) [][3]float64 {
	out := make([][3]float64, len(p.Contacts))
	for i, c := range p.Contacts {
		out[i] = [3]float64{c.XUm, c.YUm, 0}
	}
	return out
}

// rotationFor draws the orientation of a cell of the given class.
func rotationFor(r *rand.Rand, class string) neuron.Rotation {
	v1 := mrand.New(mrand.NewSource(r.Int64()))
	if isInhibitory(class) {
		return neuron.UniformRotation(v1)
	}
	return neuron.RandomRotation(v1, pyramidalTiltDeg)
}

// cellPicker draws library cells with probabilities given by a class mix.
type cellPicker struct {
	cum []float64 // cumulative weights over library cells
}

// newCellPicker weighs library cells so that each class gets its share of mix (nil: 80 %
// excitatory, 20 % inhibitory, split evenly over the classes present), spread evenly over
// the cells of the class. Classes absent from the mix get no cells; if no cell has weight
// every cell is equally likely.
func newCellPicker(classes []string, mix map[string]float64) cellPicker {
	count := map[string]int{}
	for _, c := range classes {
		count[c]++
	}
	share := mix
	if share == nil {
		share = defaultMix(count)
	}
	p := cellPicker{cum: make([]float64, len(classes))}
	total := 0.0
	for i, c := range classes {
		total += share[c] / float64(count[c])
		p.cum[i] = total
	}
	if total <= 0 {
		for i := range p.cum {
			p.cum[i] = float64(i + 1)
		}
	}
	return p
}

func defaultMix(count map[string]int) map[string]float64 {
	var exc, inh int
	for c := range count {
		if isInhibitory(c) {
			inh++
		} else {
			exc++
		}
	}
	mix := map[string]float64{}
	for c := range count {
		switch {
		case isInhibitory(c) && exc == 0:
			mix[c] = 1 / float64(inh)
		case isInhibitory(c):
			mix[c] = 0.2 / float64(inh)
		case inh == 0:
			mix[c] = 1 / float64(exc)
		default:
			mix[c] = 0.8 / float64(exc)
		}
	}
	return mix
}

func (p cellPicker) pick(r *rand.Rand) int {
	x := r.Float64() * p.cum[len(p.cum)-1]
	lo, hi := 0, len(p.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if p.cum[mid] > x {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// drawBackgroundSoma draws a position in the background slab around the probe whose
// nearest contact is between bgMinDistUm and bgMaxDistUm away.
func drawBackgroundSoma(r *rand.Rand, p *probe.Probe, contacts [][3]float64) [3]float64 {
	minX, maxX, minY, maxY := p.Extent()
	cx := (minX + maxX) / 2
	b := box{cx - bgLateralUm, cx + bgLateralUm, minY - bgMinDistUm, maxY + bgMinDistUm,
		-bgMaxDistUm, bgMaxDistUm}
	var pos [3]float64
	for range 100 {
		pos = b.draw(r)
		d := dist3(contacts[nearestContacts(contacts, pos, 1)[0]], pos)
		if d >= bgMinDistUm && d <= bgMaxDistUm {
			return pos
		}
	}
	pos[2] = math.Copysign(bgMinDistUm+r.Float64()*(bgMaxDistUm-bgMinDistUm), pos[2])
	return pos
}
