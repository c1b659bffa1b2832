package app

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// ReadOpenEphys reads the first continuous stream of an Open Ephys structure.oebin: its
// sample rate, channel count, and the neural channels ("CH..." names, which Open Ephys puts
// first, before AUX and ADC channels) with their uV per bit (bit_volts, already in uV).
func ReadOpenEphys(path string) (RecordingMeta, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return RecordingMeta{}, fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	var doc struct {
		Continuous []struct {
			SampleRate  float64 `json:"sample_rate"`
			NumChannels int     `json:"num_channels"`
			Channels    []struct {
				Name     string  `json:"channel_name"`
				BitVolts float64 `json:"bit_volts"`
			} `json:"channels"`
		} `json:"continuous"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return RecordingMeta{}, fmt.Errorf("%w: %s: %v", ErrBadInput, path, err)
	}
	if len(doc.Continuous) == 0 || len(doc.Continuous[0].Channels) == 0 {
		return RecordingMeta{}, fmt.Errorf("%w: %s: no continuous stream", ErrBadInput, path)
	}
	c := doc.Continuous[0]
	m := RecordingMeta{SampleRateHz: c.SampleRate, SavedChannels: c.NumChannels,
		UVPerBit: c.Channels[0].BitVolts}
	for _, ch := range c.Channels {
		if !strings.HasPrefix(ch.Name, "CH") {
			break
		}
		m.NeuralChans++
	}
	if m.NeuralChans == 0 || m.NeuralChans > m.SavedChannels || !(m.UVPerBit > 0) {
		return m, fmt.Errorf("%w: %s: no usable neural channels (%+v)", ErrBadInput, path, m)
	}
	return m, nil
}
