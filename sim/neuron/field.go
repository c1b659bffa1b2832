package neuron

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
)

// ErrBadProjection is returned, wrapped with detail, when Potential's arguments do not fit
// together (destination shape, conductivity).
var ErrBadProjection = errors.New("bad projection")

// SigmaSPerM is the default extracellular conductivity of grey matter, S/m.
const SigmaSPerM = 0.3

// MinDistanceUm is the closest distance between a contact and a segment that Potential
// uses (or the segment's radius, when Sources.DiamUm gives it and it is larger); nearer
// contacts see the potential at that distance. It keeps the field finite where a contact
// would lie inside the cell.
const MinDistanceUm = 5.0

// pointSourceUm is the segment length below which Potential uses the point-source formula.
const pointSourceUm = 0.5

// Rotation is a 3x3 rotation matrix applied to cell coordinates (row-major: the rotated
// point is R*p).
type Rotation [3][3]float64

// Identity returns the rotation that leaves cells as built (apical dendrite along +y).
func Identity() Rotation { return Rotation{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}} }

// Apply returns R*p.
func (r Rotation) Apply(p [3]float64) [3]float64 {
	return [3]float64{dot(r[0], p), dot(r[1], p), dot(r[2], p)}
}

// Mul returns the rotation r*q (q applied first).
func (r Rotation) Mul(q Rotation) Rotation {
	var out Rotation
	for i := range 3 {
		for j := range 3 {
			out[i][j] = r[i][0]*q[0][j] + r[i][1]*q[1][j] + r[i][2]*q[2][j]
		}
	}
	return out
}

// AxisAngle returns the rotation by angleRad about axis (right-handed; axis need not be
// normalised; a zero axis gives the identity).
func AxisAngle(axis [3]float64, angleRad float64) Rotation {
	if norm(axis) == 0 {
		return Identity()
	}
	k := unit(axis)
	c, s := math.Cos(angleRad), math.Sin(angleRad)
	t := 1 - c
	return Rotation{
		{c + k[0]*k[0]*t, k[0]*k[1]*t - k[2]*s, k[0]*k[2]*t + k[1]*s},
		{k[1]*k[0]*t + k[2]*s, c + k[1]*k[1]*t, k[1]*k[2]*t - k[0]*s},
		{k[2]*k[0]*t - k[1]*s, k[2]*k[1]*t + k[0]*s, c + k[2]*k[2]*t},
	}
}

// RandomRotation returns a rotation that keeps a cell's +y axis (the apical dendrite)
// within maxTiltDeg of the probe's +y axis: a uniform spin about y followed by a tilt of
// up to maxTiltDeg about a random horizontal axis. Use about 20-30 degrees for pyramidal
// cells in a probe inserted perpendicular to the cortical surface.
func RandomRotation(rng *rand.Rand, maxTiltDeg float64) Rotation {
	spin := AxisAngle([3]float64{0, 1, 0}, 2*math.Pi*rng.Float64())
	phi := 2 * math.Pi * rng.Float64()
	// Uniform on the spherical cap: cos(tilt) uniform in [cos(max), 1].
	cosMax := math.Cos(maxTiltDeg * math.Pi / 180)
	tilt := math.Acos(1 - rng.Float64()*(1-cosMax))
	return AxisAngle([3]float64{math.Cos(phi), 0, math.Sin(phi)}, tilt).Mul(spin)
}

// UniformRotation returns a rotation drawn uniformly from all 3-D rotations (for cells
// without a preferred orientation).
func UniformRotation(rng *rand.Rand) Rotation {
	q := [4]float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
	n := math.Sqrt(q[0]*q[0] + q[1]*q[1] + q[2]*q[2] + q[3]*q[3])
	if n == 0 {
		return Identity()
	}
	w, x, y, z := q[0]/n, q[1]/n, q[2]/n, q[3]/n
	return Rotation{
		{1 - 2*(y*y+z*z), 2 * (x*y - w*z), 2 * (x*z + w*y)},
		{2 * (x*y + w*z), 1 - 2*(x*x+z*z), 2 * (y*z - w*x)},
		{2 * (x*z - w*y), 2 * (y*z + w*x), 1 - 2*(x*x+y*y)},
	}
}

// TODO: the medium is infinite and homogeneous; the insulating probe shank, which raises
// the potential at contacts on its face (up to twice, for a wide flat shank), is not
// modelled, so callers that want it must scale templates themselves.

// Potential writes into dst[c][t] the extracellular potential in uV at contact c (probe
// coordinates, um) at step t, for the cell with its soma centre at somaUm, rotated by rot,
// in a homogeneous medium of conductivity sigmaSPerM (S/m; 0 means SigmaSPerM).
//
// Each segment is a line source with its current spread evenly along it (a point source
// at its midpoint when shorter than 0.5 um); distances to the segment's axis below
// MinDistanceUm (or the segment radius) are clamped. dst must have one row per contact,
// each NumSteps long; rows are overwritten. Potential allocates its coefficients per call
// and is safe to call concurrently on the same Sources with different dst.
func (s *Sources) Potential(contactsUm [][3]float64, somaUm [3]float64, rot Rotation,
	sigmaSPerM float64, dst [][]float32) error {
	if err := s.checkProjection(contactsUm, sigmaSPerM, dst); err != nil {
		return err
	}
	if sigmaSPerM == 0 {
		sigmaSPerM = SigmaSPerM
	}
	geo := s.placed(somaUm, rot)
	coef := make([]float32, 4*len(geo))
	// phi[uV] = 1e3 * I[nA] / (4 pi sigma[S/m] r[um]).
	k := 1e3 / (4 * math.Pi * sigmaSPerM)
	c := 0
	for ; c+4 <= len(contactsUm); c += 4 {
		for i := range geo {
			for j := range 4 {
				coef[4*i+j] = float32(k * geo[i].inverseDistance(contactsUm[c+j]))
			}
		}
		s.mix4(coef, dst[c], dst[c+1], dst[c+2], dst[c+3])
	}
	for ; c < len(contactsUm); c++ {
		for i := range geo {
			coef[i] = float32(k * geo[i].inverseDistance(contactsUm[c]))
		}
		s.mix(coef[:len(geo)], dst[c])
	}
	return nil
}

func (s *Sources) checkProjection(contactsUm [][3]float64, sigma float64, dst [][]float32) error {
	if sigma < 0 || math.IsNaN(sigma) || math.IsInf(sigma, 0) {
		return fmt.Errorf("potential: %w: conductivity %g S/m", ErrBadProjection, sigma)
	}
	if len(dst) != len(contactsUm) {
		return fmt.Errorf("potential: %w: %d destination rows for %d contacts",
			ErrBadProjection, len(dst), len(contactsUm))
	}
	n := len(s.CurrentsNA)
	if len(s.Start) != n || len(s.End) != n || (s.DiamUm != nil && len(s.DiamUm) != n) {
		return fmt.Errorf("potential: %w: %d currents for %d/%d segment ends",
			ErrBadProjection, n, len(s.Start), len(s.End))
	}
	for i, cur := range s.CurrentsNA {
		if len(cur) != s.NumSteps() {
			return fmt.Errorf("potential: %w: segment %d has %d steps, want %d",
				ErrBadProjection, i, len(cur), s.NumSteps())
		}
	}
	for c, row := range dst {
		if len(row) != s.NumSteps() {
			return fmt.Errorf("potential: %w: row %d has %d samples, want %d",
				ErrBadProjection, c, len(row), s.NumSteps())
		}
	}
	return nil
}

// mix sets out = sum_i coef[i] * CurrentsNA[i].
func (s *Sources) mix(coef []float32, out []float32) {
	clear(out)
	for i, w := range coef {
		cur := s.CurrentsNA[i][:len(out)]
		for t, x := range cur {
			out[t] += w * x
		}
	}
}

// mix4 is mix for four contacts at once (coef holds four coefficients per source), which
// reads each current row once for four outputs.
func (s *Sources) mix4(coef []float32, o0, o1, o2, o3 []float32) {
	n := len(o0)
	o1, o2, o3 = o1[:n], o2[:n], o3[:n]
	clear(o0)
	clear(o1)
	clear(o2)
	clear(o3)
	for i, cur := range s.CurrentsNA {
		w0, w1, w2, w3 := coef[4*i], coef[4*i+1], coef[4*i+2], coef[4*i+3]
		cur = cur[:n]
		for t, x := range cur {
			o0[t] += w0 * x
			o1[t] += w1 * x
			o2[t] += w2 * x
			o3[t] += w3 * x
		}
	}
}

// lineSeg is a segment placed in probe coordinates.
type lineSeg struct {
	a     [3]float64 // start
	u     [3]float64 // unit direction
	lUm   float64    // length
	midA  [3]float64 // midpoint, for point sources
	minUm float64    // closest distance used
}

func (s *Sources) placed(somaUm [3]float64, rot Rotation) []lineSeg {
	geo := make([]lineSeg, len(s.Start))
	for i := range geo {
		a := add(rot.Apply(s.Start[i]), somaUm)
		b := add(rot.Apply(s.End[i]), somaUm)
		l := dist(a, b)
		geo[i] = lineSeg{a: a, u: unit(sub(b, a)), lUm: l, midA: lerp(a, b, 0.5),
			minUm: MinDistanceUm}
		if i < len(s.DiamUm) {
			geo[i].minUm = max(MinDistanceUm, s.DiamUm[i]/2)
		}
	}
	return geo
}

// inverseDistance returns the mean of 1/|p - x| over the segment's points x, in 1/um.
// With axial coordinate h of p along the segment and perpendicular distance rho, it is
// the integral of 1/sqrt((s-h)^2+rho^2) over s in [0, L], divided by L. A contact closer
// than MinDistanceUm to the segment is moved out to that distance (by enlarging rho).
func (g *lineSeg) inverseDistance(p [3]float64) float64 {
	if g.lUm < pointSourceUm {
		return 1 / max(dist(p, g.midA), g.minUm)
	}
	d := sub(p, g.a)
	h := dot(d, g.u)
	rho2 := max(dot(d, d)-h*h, 0)
	beyond := max(-h, h-g.lUm, 0) // axial distance past the nearer end
	if beyond*beyond+rho2 < g.minUm*g.minUm {
		rho2 = g.minUm*g.minUm - beyond*beyond
	}
	return lineIntegral(h, rho2, g.lUm) / g.lUm
}

// lineIntegral is the integral of 1/sqrt((s-h)^2+rho2) over s in [0, l], in forms that
// stay accurate for a contact on the segment's axis beyond either end (rho2 = 0).
func lineIntegral(h, rho2, l float64) float64 {
	switch {
	case h < 0:
		da, db := math.Sqrt(h*h+rho2), math.Sqrt((l-h)*(l-h)+rho2)
		return math.Log((l - h + db) / (-h + da))
	case h > l:
		da, db := math.Sqrt(h*h+rho2), math.Sqrt((h-l)*(h-l)+rho2)
		return math.Log((h + da) / (h - l + db))
	}
	// asinh(a) + asinh(b) for a, b >= 0, as one logarithm.
	da, db := math.Sqrt(h*h+rho2), math.Sqrt((l-h)*(l-h)+rho2)
	return math.Log((l - h + db) * (h + da) / rho2)
}
