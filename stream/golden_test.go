package stream

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/*.bin from the encoders")

// goldenMessages are fixed messages whose bytes are checked into testdata, so any change
// to the wire format shows up as a failing test, and other languages can test against them.
func goldenMessages(t *testing.T) map[string][]byte {
	t.Helper()
	frame, err := EncodeFrame(nil, &Frame{Seq: 7, FirstSample: 180, Channels: 3,
		SamplesPerChannel: 2, Type: Int16, UVPerUnit: 0.195, SampleRateHz: 30000,
		I16: []int16{-300, 0, 12, 32767, -32768, 5}})
	if err != nil {
		t.Fatal(err)
	}
	spikes, err := EncodeSpikeBatch(nil, &SpikeBatch{Seq: 42, Spikes: testSpikes(3)})
	if err != nil {
		t.Fatal(err)
	}
	u := testUnitEvent()
	unit, err := EncodeUnitEvent(nil, &u)
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"frame_v1.bin": frame, "spike_batch_v1.bin": spikes,
		"unit_event_v1.bin": unit}
}

func TestGoldenFiles(t *testing.T) {
	for name, b := range goldenMessages(t) {
		path := filepath.Join("testdata", name)
		if *updateGolden {
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, want) {
			t.Errorf("%s: encoder output differs from the checked-in bytes", name)
		}
	}
}

// TestPythonExampleDecodes runs the Python consumer example's self-test against the golden
// files, when python3 is installed. The example is documentation; this keeps it honest.
func TestPythonExampleDecodes(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	script := filepath.Join("..", "examples", "python", "spikestream_consumer.py")
	out, err := exec.Command(py, script, "--selftest", "testdata").CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, want := range []string{"frame seq=7 first=180 channels=3 samples=2",
		"spikes seq=42 n=3 first=(-7, 0.0, 40000, 300) amp=85.50 x=-16.0 y=3820.0" +
			" conf=0.75 lat=2500", "unit kind=3 id=17 related=[3, 99]"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// readGolden returns a checked-in golden message, for fuzz seeds.
func readGolden(f *testing.F, name string) []byte {
	f.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		f.Fatal(err)
	}
	return b
}
