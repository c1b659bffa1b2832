// Package probe describes electrode geometry: where each recorded channel sits, in um.
//
// Geometry is read from and written to probeinterface JSON, the format that SpikeInterface,
// Kilosort and phy users already have. A Probe lists its contacts in data-channel order, so
// Contacts[ch] is the contact whose samples arrive in channel ch of a frame.
package probe

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
)

// ErrBadProbe is returned, wrapped with detail, for any probe file that cannot be used.
var ErrBadProbe = errors.New("bad probe")

// Contact is one recording site.
type Contact struct {
	XUm   float64 // horizontal position across the shank, um
	YUm   float64 // position along the shank, um; it grows from the tip towards the surface
	ID    string  // contact id as given in the file, informational
	Shank int     // shank index, 0 for single-shank probes
}

// Probe is an electrode geometry in data-channel order.
type Probe struct {
	Name     string
	Contacts []Contact
}

// NumChannels returns the number of recorded channels.
func (p *Probe) NumChannels() int { return len(p.Contacts) }

// DistanceUm returns the distance between the contacts of channels a and b, in um.
// Contacts on different shanks are treated as infinitely far apart.
func (p *Probe) DistanceUm(a, b int) float64 {
	ca, cb := p.Contacts[a], p.Contacts[b]
	if ca.Shank != cb.Shank {
		return math.Inf(1)
	}
	return math.Hypot(ca.XUm-cb.XUm, ca.YUm-cb.YUm)
}

// Neighbours returns the channels within radiusUm of channel ch, nearest first, ch itself
// first of all, at most maxN of them (maxN <= 0 means no limit). It allocates the result.
func (p *Probe) Neighbours(ch int, radiusUm float64, maxN int) []int {
	type cand struct {
		ch   int
		dist float64
	}
	var cs []cand
	for i := range p.Contacts {
		if d := p.DistanceUm(ch, i); d <= radiusUm {
			cs = append(cs, cand{i, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].dist != cs[j].dist {
			return cs[i].dist < cs[j].dist
		}
		return cs[i].ch < cs[j].ch
	})
	if maxN > 0 && len(cs) > maxN {
		cs = cs[:maxN]
	}
	out := make([]int, len(cs))
	for i, c := range cs {
		out[i] = c.ch
	}
	return out
}

// Extent returns the bounding box of the contacts: min and max x and y, in um.
func (p *Probe) Extent() (minXUm, maxXUm, minYUm, maxYUm float64) {
	minXUm, minYUm = math.Inf(1), math.Inf(1)
	maxXUm, maxYUm = math.Inf(-1), math.Inf(-1)
	for _, c := range p.Contacts {
		minXUm, maxXUm = math.Min(minXUm, c.XUm), math.Max(maxXUm, c.XUm)
		minYUm, maxYUm = math.Min(minYUm, c.YUm), math.Max(maxYUm, c.YUm)
	}
	return minXUm, maxXUm, minYUm, maxYUm
}

// piFile is the subset of probeinterface JSON that spikestream reads and writes.
type piFile struct {
	Specification string    `json:"specification"`
	Version       string    `json:"version"`
	Probes        []piProbe `json:"probes"`
}

type piProbe struct {
	NDim                 int              `json:"ndim"`
	SiUnits              string           `json:"si_units"`
	Annotations          map[string]any   `json:"annotations,omitempty"`
	ContactPositions     [][]float64      `json:"contact_positions"`
	ContactShapes        []string         `json:"contact_shapes,omitempty"`
	ContactShapeParams   []map[string]any `json:"contact_shape_params,omitempty"`
	ContactIDs           []string         `json:"contact_ids,omitempty"`
	ShankIDs             []string         `json:"shank_ids,omitempty"`
	DeviceChannelIndices []int            `json:"device_channel_indices,omitempty"`
}

// Load reads a probeinterface JSON file. See Parse.
func Load(path string) (*Probe, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open probe: %w", err)
	}
	defer f.Close()
	p, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("probe %s: %w", path, err)
	}
	return p, nil
}

// Parse reads probeinterface JSON. Contacts of all probes in the file are concatenated and
// ordered by device_channel_indices when present (contacts wired to -1 are dropped); without
// them, file order is data order. Positions must be in um.
func Parse(r io.Reader) (*Probe, error) {
	var f piFile
	if err := json.NewDecoder(r).Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: decode json: %v", ErrBadProbe, err)
	}
	if len(f.Probes) == 0 {
		return nil, fmt.Errorf("%w: no probes in file", ErrBadProbe)
	}
	var all []wiredContact
	for pi, pr := range f.Probes {
		ws, err := parseOne(pi, pr)
		if err != nil {
			return nil, err
		}
		all = append(all, ws...)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("%w: no contact is wired to a channel", ErrBadProbe)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].dev < all[j].dev })
	p := &Probe{Contacts: make([]Contact, len(all))}
	for i, w := range all {
		if w.dev != i {
			return nil, fmt.Errorf("%w: device channel indices must cover 0..%d without gaps",
				ErrBadProbe, len(all)-1)
		}
		p.Contacts[i] = w.c
	}
	if name, ok := f.Probes[0].Annotations["model_name"].(string); ok {
		p.Name = name
	}
	return p, nil
}

type wiredContact struct {
	dev int
	c   Contact
}

func parseOne(pi int, pr piProbe) ([]wiredContact, error) {
	n := len(pr.ContactPositions)
	if n == 0 {
		return nil, fmt.Errorf("%w: probe %d has no contacts", ErrBadProbe, pi)
	}
	if pr.SiUnits != "" && pr.SiUnits != "um" {
		return nil, fmt.Errorf("%w: probe %d units %q, want um", ErrBadProbe, pi, pr.SiUnits)
	}
	if pr.DeviceChannelIndices != nil && len(pr.DeviceChannelIndices) != n {
		return nil, fmt.Errorf("%w: probe %d has %d device channel indices for %d contacts",
			ErrBadProbe, pi, len(pr.DeviceChannelIndices), n)
	}
	shankOf := map[string]int{}
	out := make([]wiredContact, 0, n)
	for i, pos := range pr.ContactPositions {
		if len(pos) < 2 || !finite(pos[0]) || !finite(pos[1]) {
			return nil, fmt.Errorf("%w: probe %d contact %d has a bad position", ErrBadProbe, pi, i)
		}
		c := Contact{XUm: pos[0], YUm: pos[1]}
		if i < len(pr.ContactIDs) {
			c.ID = pr.ContactIDs[i]
		}
		if i < len(pr.ShankIDs) {
			s, ok := shankOf[pr.ShankIDs[i]]
			if !ok {
				s = len(shankOf)
				shankOf[pr.ShankIDs[i]] = s
			}
			c.Shank = s
		}
		dev := i
		if pr.DeviceChannelIndices != nil {
			dev = pr.DeviceChannelIndices[i]
		}
		if dev < 0 {
			continue
		}
		out = append(out, wiredContact{dev, c})
	}
	return out, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// WriteJSON writes p as probeinterface JSON with identity channel wiring and 12 um square
// contacts.
func (p *Probe) WriteJSON(w io.Writer) error {
	pr := piProbe{NDim: 2, SiUnits: "um", Annotations: map[string]any{"model_name": p.Name}}
	for i, c := range p.Contacts {
		pr.ContactPositions = append(pr.ContactPositions, []float64{c.XUm, c.YUm})
		pr.ContactShapes = append(pr.ContactShapes, "square")
		pr.ContactShapeParams = append(pr.ContactShapeParams, map[string]any{"width": 12.0})
		id := c.ID
		if id == "" {
			id = fmt.Sprintf("e%d", i)
		}
		pr.ContactIDs = append(pr.ContactIDs, id)
		pr.ShankIDs = append(pr.ShankIDs, fmt.Sprint(c.Shank))
		pr.DeviceChannelIndices = append(pr.DeviceChannelIndices, i)
	}
	f := piFile{Specification: "probeinterface", Version: "0.2.21", Probes: []piProbe{pr}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(f)
}
