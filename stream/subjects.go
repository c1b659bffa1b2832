package stream

import "fmt"

// SubjectPrefix is the first token of every spikestream subject.
const SubjectPrefix = "spikestream"

// MaxStreamNameBytes is the longest stream name SubjectsFor accepts.
const MaxStreamNameBytes = 64

// Subjects holds the NATS subjects of one stream. Build it with SubjectsFor.
type Subjects struct {
	Stream     string // the stream name, one subject token
	Raw        string // sample frames in: spikestream.<stream>.raw
	Spikes     string // spike batches, binary: spikestream.<stream>.spikes
	SpikesJSON string // optional JSON mirror of Spikes: spikestream.<stream>.spikes.json
	Units      string // unit lifecycle events, binary: spikestream.<stream>.units
	UnitsJSON  string // optional JSON mirror of Units: spikestream.<stream>.units.json
	Errors     string // error events, JSON: spikestream.<stream>.errors
	Ack        string // consumer flow-control acks: spikestream.<stream>.ack
}

// SubjectsFor returns the subjects of stream. The name must be 1 to MaxStreamNameBytes
// bytes of ASCII letters, digits, '-' and '_'; anything else (dots, wildcards, spaces)
// fails with ErrBadStreamName.
func SubjectsFor(stream string) (Subjects, error) {
	if err := checkStreamName(stream); err != nil {
		return Subjects{}, err
	}
	base := SubjectPrefix + "." + stream + "."
	return Subjects{
		Stream:     stream,
		Raw:        base + "raw",
		Spikes:     base + "spikes",
		SpikesJSON: base + "spikes.json",
		Units:      base + "units",
		UnitsJSON:  base + "units.json",
		Errors:     base + "errors",
		Ack:        base + "ack",
	}, nil
}

func checkStreamName(s string) error {
	if len(s) == 0 || len(s) > MaxStreamNameBytes {
		return fmt.Errorf("%w: %q must be 1 to %d bytes", ErrBadStreamName, s,
			MaxStreamNameBytes)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '_'
		if !ok {
			return fmt.Errorf("%w: %q has %q at byte %d", ErrBadStreamName, s, c, i)
		}
	}
	return nil
}
