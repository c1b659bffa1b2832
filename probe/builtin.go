package probe

import (
	"fmt"
	"os"
	"strings"
)

// Tetrode returns a 4-contact tetrode: contacts on the corners of a 25 um square.
func Tetrode() *Probe {
	p := &Probe{Name: "tetrode"}
	for _, xy := range [][2]float64{{0, 0}, {25, 0}, {0, 25}, {25, 25}} {
		p.Contacts = append(p.Contacts, Contact{XUm: xy[0], YUm: xy[1]})
	}
	return p
}

// Poly32 returns a 32-channel polytrode: three staggered columns 18 um apart with 25 um
// vertical pitch (a common silicon polytrode layout).
func Poly32() *Probe {
	p := &Probe{Name: "poly32"}
	counts := []int{10, 11, 11}
	for col, n := range counts {
		x := float64(col) * 18
		offset := 0.0
		if col == 1 {
			offset = -12.5
		}
		for i := 0; i < n; i++ {
			p.Contacts = append(p.Contacts, Contact{XUm: x, YUm: offset + 12.5 + float64(i)*25})
		}
	}
	return p
}

// Neuropixels1 returns the 384 recorded sites of a Neuropixels 1.0 probe in its default bank:
// a checkerboard of four x positions (11, 27, 43, 59 um) with 20 um vertical pitch.
func Neuropixels1() *Probe {
	p := &Probe{Name: "neuropixels1"}
	xs := [4]float64{43, 11, 59, 27}
	for ch := 0; ch < 384; ch++ {
		row := ch / 2
		x := xs[ch%4]
		p.Contacts = append(p.Contacts, Contact{XUm: x, YUm: 20 * float64(row)})
	}
	return p
}

// Builtin returns a built-in probe by name: "tetrode", "poly32" or "neuropixels1".
func Builtin(name string) (*Probe, error) {
	switch strings.ToLower(name) {
	case "tetrode":
		return Tetrode(), nil
	case "poly32":
		return Poly32(), nil
	case "neuropixels1", "np1":
		return Neuropixels1(), nil
	}
	return nil, fmt.Errorf("%w: unknown built-in probe %q (tetrode, poly32, neuropixels1)",
		ErrBadProbe, name)
}

// Resolve returns the probe named by arg: a built-in name, else a probeinterface JSON path.
func Resolve(arg string) (*Probe, error) {
	if arg == "" {
		return nil, fmt.Errorf("%w: no probe given", ErrBadProbe)
	}
	if _, err := os.Stat(arg); err != nil {
		if p, berr := Builtin(arg); berr == nil {
			return p, nil
		}
	}
	return Load(arg)
}
