package app

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// RecordingMeta is what spikestream needs from a recording's metadata (SpikeGLX .meta,
// Open Ephys structure.oebin).
type RecordingMeta struct {
	SampleRateHz  float64 // imSampRate
	SavedChannels int     // nSavedChans: channels interleaved in the .bin, sync included
	NeuralChans   int     // AP channels (the saved channels less the sync channel)
	UVPerBit      float64 // imAiRangeMax / imMaxInt / AP gain x 1e6
}

// ReadSpikeGLXMeta reads a SpikeGLX .meta file (key=value lines) for an imec AP stream.
// The AP gain comes from the first entry of ~imroTbl (Neuropixels 1.0 layout) or, when the
// table has no per-channel gains (Neuropixels 2.0), the fixed gain of 80.
func ReadSpikeGLXMeta(path string) (RecordingMeta, error) {
	f, err := os.Open(path)
	if err != nil {
		return RecordingMeta{}, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	defer f.Close()
	kv, err := parseMeta(f)
	if err != nil {
		return RecordingMeta{}, fmt.Errorf("%w: %s: %v", ErrBadInput, path, err)
	}
	m, err := metaFromKeys(kv)
	if err != nil {
		return m, fmt.Errorf("%w: %s: %v", ErrBadInput, path, err)
	}
	return m, nil
}

func parseMeta(r io.Reader) (map[string]string, error) {
	kv := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4<<20) // ~imroTbl lines are long
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %q is not key=value", line)
		}
		kv[k] = v
	}
	return kv, sc.Err()
}

func metaFromKeys(kv map[string]string) (RecordingMeta, error) {
	var m RecordingMeta
	num := func(key string) (float64, error) {
		v, err := strconv.ParseFloat(kv[key], 64)
		if err != nil {
			return 0, fmt.Errorf("%s=%q: %v", key, kv[key], err)
		}
		return v, nil
	}
	rate, err := num("imSampRate")
	if err != nil {
		return m, err
	}
	saved, err := num("nSavedChans")
	if err != nil {
		return m, err
	}
	rangeMax, err := num("imAiRangeMax")
	if err != nil {
		return m, err
	}
	maxInt := 512.0 // Neuropixels 1.0 default when imMaxInt is absent
	if _, ok := kv["imMaxInt"]; ok {
		if maxInt, err = num("imMaxInt"); err != nil {
			return m, err
		}
	}
	gain, err := apGain(kv["~imroTbl"])
	if err != nil {
		return m, err
	}
	m = RecordingMeta{SampleRateHz: rate, SavedChannels: int(saved),
		NeuralChans: int(saved) - syncChannels(kv["snsApLfSy"]),
		UVPerBit:    rangeMax / maxInt / gain * 1e6}
	if m.NeuralChans <= 0 || !(m.UVPerBit > 0) {
		return m, fmt.Errorf("no neural channels or no gain: %+v", m)
	}
	return m, nil
}

// apGain reads the AP gain of the first channel entry of ~imroTbl: "(type,n)(ch bank ref
// apgain lfgain hp)...". Tables without that field (Neuropixels 2.0) have the fixed gain 80.
func apGain(imro string) (float64, error) {
	entries := strings.Split(strings.Trim(imro, "()"), ")(")
	if len(entries) < 2 {
		return 0, fmt.Errorf("~imroTbl missing or empty")
	}
	fields := strings.Fields(entries[1])
	if len(fields) < 5 {
		return 80, nil
	}
	g, err := strconv.ParseFloat(fields[3], 64)
	if err != nil || g <= 0 {
		return 0, fmt.Errorf("~imroTbl AP gain %q", fields[3])
	}
	return g, nil
}

// syncChannels returns the number of sync channels from snsApLfSy ("AP,LF,SY" counts).
func syncChannels(s string) int {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return 1 // SpikeGLX saves one sync word with every imec stream
	}
	n, err := strconv.Atoi(strings.TrimSpace(parts[2]))
	if err != nil {
		return 1
	}
	return n
}

// channelDropper reads interleaved int16 samples of `from` channels and yields only the
// first `keep` of each sample (for SpikeGLX files, whose last channel is the sync word).
type channelDropper struct {
	r          io.Reader
	from, keep int
	in         []byte
	out        []byte // pending output
}

// DropTrailingChannels returns a reader of src's samples keeping the first keep of every
// from channels.
func DropTrailingChannels(src io.Reader, from, keep int) io.Reader {
	if keep == from {
		return src
	}
	return &channelDropper{r: src, from: from, keep: keep, in: make([]byte, 2*from*256)}
}

func (d *channelDropper) Read(p []byte) (int, error) {
	for len(d.out) == 0 {
		n, err := io.ReadFull(d.r, d.in)
		rows := n / (2 * d.from)
		d.out = d.out[:0]
		for i := 0; i < rows; i++ {
			d.out = append(d.out, d.in[i*2*d.from:i*2*d.from+2*d.keep]...)
		}
		if rows == 0 && err != nil {
			if err == io.ErrUnexpectedEOF {
				return 0, fmt.Errorf("%w: recording ends in a partial sample", ErrBadInput)
			}
			return 0, err
		}
		if n%(2*d.from) != 0 && err != nil {
			d.r = errReader{fmt.Errorf("%w: recording ends in a partial sample", ErrBadInput)}
		}
	}
	n := copy(p, d.out)
	d.out = d.out[n:]
	return n, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
