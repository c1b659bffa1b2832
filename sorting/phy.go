package sorting

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spikestream/spikestream/probe"
	"github.com/spikestream/spikestream/sorting/internal/npy"
)

// ErrPhyExtras is returned, wrapped with detail, when PhyExtras do not fit the sorting.
var ErrPhyExtras = errors.New("bad phy extras")

// defaultTemplateMs is the length of the all-zero templates written when none are given.
const defaultTemplateMs = 2.0

// PhyExtras is what a phy folder needs beyond spike times and labels. Zero values take the
// defaults described on each field.
type PhyExtras struct {
	// Probe gives the channel count and channel_positions.npy (x, y in um). Required unless
	// NumChannels is set, in which case channels are placed on a vertical line, 20 um apart.
	Probe       *probe.Probe
	NumChannels int

	// DatPath is the raw binary recording written into params.py ("" for none; phy then
	// shows no traces). A relative path is relative to the phy folder.
	DatPath string
	// NumChannelsDat is the channel count of the raw file [NumChannels or the probe's].
	NumChannelsDat int
	// DType is the numpy dtype name of the raw samples ["int16"].
	DType string
	// OffsetBytes is the size of any header before the raw samples [0].
	OffsetBytes int64
	// HighPassFiltered says whether the raw file is already high-pass filtered [false].
	HighPassFiltered bool

	// Templates holds each unit's mean waveform in uV, in UnitIDs order, as
	// units x TemplateSamples x channels. Nil writes all-zero templates of 2 ms.
	Templates       []float32
	TemplateSamples int

	// AmplitudesUV holds each spike's trough depth, uV, in spike order. Nil writes 1 for
	// every spike (phy's neutral template scaling).
	AmplitudesUV []float32

	// Groups sets a cluster's phy group ("good", "mua", "noise", "unsorted"); units not
	// listed are written as "unsorted".
	Groups map[int64]string
}

// numChannels returns the channel count from the probe or NumChannels.
func (e *PhyExtras) numChannels() (int, error) {
	switch {
	case e.Probe != nil && e.NumChannels != 0 && e.NumChannels != e.Probe.NumChannels():
		return 0, fmt.Errorf("%w: NumChannels %d but probe has %d", ErrPhyExtras,
			e.NumChannels, e.Probe.NumChannels())
	case e.Probe != nil && e.Probe.NumChannels() > 0:
		return e.Probe.NumChannels(), nil
	case e.NumChannels > 0:
		return e.NumChannels, nil
	}
	return 0, fmt.Errorf("%w: neither a probe nor a channel count", ErrPhyExtras)
}

// channelPositions returns channel_positions as a flat channels x 2 slice, um.
func (e *PhyExtras) channelPositions(nCh int) []float64 {
	pos := make([]float64, 0, 2*nCh)
	for ch := range nCh {
		if e.Probe != nil {
			c := e.Probe.Contacts[ch]
			pos = append(pos, c.XUm, c.YUm)
		} else {
			pos = append(pos, 0, 20*float64(ch))
		}
	}
	return pos
}

// WritePhy writes s as a phy folder in dir (created if missing; existing files of the same
// names are replaced) that phy's template-gui and SpikeInterface's read_phy open:
//
//	params.py            dat_path, n_channels_dat, dtype, offset, sample_rate, hp_filtered
//	spike_times.npy      int64 (N,) sample indices, non-decreasing
//	spike_clusters.npy   int32 (N,) unit id of each spike
//	spike_templates.npy  int32 (N,) index of the unit in UnitIDs (row of templates.npy)
//	templates.npy        float32 (units, samples, channels), uV
//	amplitudes.npy       float64 (N,)
//	channel_map.npy      int32 (channels,) 0..channels-1
//	channel_positions.npy float64 (channels, 2), um
//	cluster_group.tsv    cluster_id<TAB>group, every unit listed
//
// Unit ids must lie in [0, 2^31) because phy stores clusters as int32. read_phy merges
// every .tsv and .csv in the folder on cluster_id, so put no other tables in dir.
//
// TODO: write pc_features.npy and pc_feature_ind.npy (per-spike features on the nearest
// channels) so that phy's feature view and its split tool work; they need the snippets,
// which a Sorting does not carry.
func WritePhy(dir string, s *Sorting, extra PhyExtras) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("write phy %s: %w", dir, err)
	}
	files, err := phyFiles(s, &extra)
	if err != nil {
		return fmt.Errorf("write phy %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write phy: %w", err)
	}
	for _, f := range files {
		if err := writeFileAtomic(filepath.Join(dir, f.name), f.write); err != nil {
			return fmt.Errorf("write phy %s: %w", dir, err)
		}
	}
	return nil
}

// phyFile is one file of a phy folder and the function that writes its bytes.
type phyFile struct {
	name  string
	write func(io.Writer) error
}

// phyFiles checks the extras against s and returns the folder's files.
func phyFiles(s *Sorting, e *PhyExtras) ([]phyFile, error) {
	nCh, err := e.numChannels()
	if err != nil {
		return nil, err
	}
	clusters, templateIdx, err := phyLabels(s)
	if err != nil {
		return nil, err
	}
	templates, nSamp, err := e.templates(s, nCh)
	if err != nil {
		return nil, err
	}
	amps, err := e.amplitudes(s.NumSpikes())
	if err != nil {
		return nil, err
	}
	params, err := e.params(s.SampleRateHz, nCh)
	if err != nil {
		return nil, err
	}
	for id, g := range e.Groups {
		if g == "" || strings.ContainsAny(g, "\t\r\n") {
			return nil, fmt.Errorf("%w: group %q of unit %d", ErrPhyExtras, g, id)
		}
	}
	chanMap := make([]int32, nCh)
	for i := range chanMap {
		chanMap[i] = int32(i)
	}
	nU := len(s.UnitIDs)

	return []phyFile{
		{"params.py", func(w io.Writer) error { _, err := w.Write(params); return err }},
		{"spike_times.npy", func(w io.Writer) error { return npy.WriteInt64(w, nil, s.Times) }},
		{"spike_clusters.npy", func(w io.Writer) error {
			return npy.WriteInt32(w, nil, clusters)
		}},
		{"spike_templates.npy", func(w io.Writer) error {
			return npy.WriteInt32(w, nil, templateIdx)
		}},
		{"templates.npy", func(w io.Writer) error {
			return npy.WriteFloat32(w, []int{nU, nSamp, nCh}, templates)
		}},
		{"amplitudes.npy", func(w io.Writer) error { return npy.WriteFloat64(w, nil, amps) }},
		{"channel_map.npy", func(w io.Writer) error { return npy.WriteInt32(w, nil, chanMap) }},
		{"channel_positions.npy", func(w io.Writer) error {
			return npy.WriteFloat64(w, []int{nCh, 2}, e.channelPositions(nCh))
		}},
		{"cluster_group.tsv", func(w io.Writer) error { return writeGroups(w, s, e.Groups) }},
	}, nil
}

// phyLabels converts labels to int32 cluster ids and template indices.
func phyLabels(s *Sorting) (clusters, templateIdx []int32, err error) {
	for _, id := range s.UnitIDs {
		if id < 0 || id > math.MaxInt32 {
			return nil, nil, fmt.Errorf("%w: unit id %d outside phy's int32 range",
				ErrPhyExtras, id)
		}
	}
	clusters = make([]int32, len(s.Labels))
	templateIdx = make([]int32, len(s.Labels))
	for i, l := range s.Labels {
		clusters[i] = int32(l)
		templateIdx[i] = int32(s.UnitIndex(l))
	}
	return clusters, templateIdx, nil
}

// templates returns the template array and its samples per template, zero-filled if unset.
func (e *PhyExtras) templates(s *Sorting, nCh int) ([]float32, int, error) {
	nU := len(s.UnitIDs)
	if e.Templates == nil {
		nSamp := max(1, int(math.Round(defaultTemplateMs*1e-3*s.SampleRateHz)))
		return make([]float32, nU*nSamp*nCh), nSamp, nil
	}
	if e.TemplateSamples <= 0 || len(e.Templates) != nU*e.TemplateSamples*nCh {
		return nil, 0, fmt.Errorf("%w: %d template values, want %d units x %d samples x %d"+
			" channels", ErrPhyExtras, len(e.Templates), nU, e.TemplateSamples, nCh)
	}
	return e.Templates, e.TemplateSamples, nil
}

// amplitudes returns per-spike amplitudes as float64, ones if unset.
func (e *PhyExtras) amplitudes(n int) ([]float64, error) {
	out := make([]float64, n)
	if e.AmplitudesUV == nil {
		for i := range out {
			out[i] = 1
		}
		return out, nil
	}
	if len(e.AmplitudesUV) != n {
		return nil, fmt.Errorf("%w: %d amplitudes for %d spikes", ErrPhyExtras,
			len(e.AmplitudesUV), n)
	}
	for i, a := range e.AmplitudesUV {
		out[i] = float64(a)
	}
	return out, nil
}

// params renders params.py. Strings are written as Go-quoted literals, whose escapes are
// also valid Python 3 string escapes.
func (e *PhyExtras) params(rateHz float64, nCh int) ([]byte, error) {
	nDat := e.NumChannelsDat
	if nDat == 0 {
		nDat = nCh
	}
	if nDat < nCh {
		return nil, fmt.Errorf("%w: n_channels_dat %d below %d channels", ErrPhyExtras,
			nDat, nCh)
	}
	dtype := e.DType
	if dtype == "" {
		dtype = "int16"
	}
	hp := "False"
	if e.HighPassFiltered {
		hp = "True"
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, "dat_path = %s\n", strconv.Quote(e.DatPath))
	fmt.Fprintf(&b, "n_channels_dat = %d\n", nDat)
	fmt.Fprintf(&b, "dtype = %s\n", strconv.Quote(dtype))
	fmt.Fprintf(&b, "offset = %d\n", e.OffsetBytes)
	fmt.Fprintf(&b, "sample_rate = %s\n", pyFloat(rateHz))
	fmt.Fprintf(&b, "hp_filtered = %s\n", hp)
	return b.Bytes(), nil
}

// pyFloat formats v so that Python reads it back as the same float (always with a point).
func pyFloat(v float64) string {
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if _, err := strconv.Atoi(s); err == nil {
		s += ".0"
	}
	return s
}

// writeGroups writes cluster_group.tsv with a row for every unit.
func writeGroups(w io.Writer, s *Sorting, groups map[int64]string) error {
	var b bytes.Buffer
	b.WriteString("cluster_id\tgroup\n")
	for _, id := range s.UnitIDs {
		g := groups[id]
		if g == "" {
			g = "unsorted"
		}
		fmt.Fprintf(&b, "%d\t%s\n", id, g)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// writeFileAtomic writes path through a temporary file renamed into place.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	werr := write(f)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return os.Rename(tmp, path)
}
