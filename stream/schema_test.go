package stream

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The schema files in docs/schema describe the wire formats for other languages. These
// tests encode values with the Go encoders and read every field back at the offset and
// type the schema gives, so the documents cannot drift from the code.

type schemaField struct {
	Name    string          `json:"name"`
	Offset  int             `json:"offset"`
	Type    string          `json:"type"`
	Go      string          `json:"go"`
	Value   json.RawMessage `json:"value"`
	Derived string          `json:"derived"`
}

type schemaBlock struct {
	Size   int           `json:"size"`
	Fields []schemaField `json:"fields"`
}

type schemaList struct {
	Name       string      `json:"name"`
	Go         string      `json:"go"`
	CountField string      `json:"count_field"`
	Element    schemaBlock `json:"element"`
}

type schemaDoc struct {
	Name      string        `json:"name"`
	Version   int           `json:"version"`
	ByteOrder string        `json:"byte_order"`
	Header    schemaBlock   `json:"header"`
	Record    *schemaBlock  `json:"record"`
	Lists     []schemaList  `json:"lists"`
	Fields    []schemaField `json:"fields"`
}

func loadSchema(t *testing.T, name string) schemaDoc {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "docs", "schema", name))
	if err != nil {
		t.Fatal(err)
	}
	var d schemaDoc
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if d.ByteOrder != "little" && d.Fields == nil {
		t.Fatalf("%s: byte order %q", name, d.ByteOrder)
	}
	return d
}

// readField returns the value of a field of type typ at b[off:] as float64 (numbers) or
// string (bytesN).
func readField(t *testing.T, b []byte, off int, typ string) any {
	t.Helper()
	switch typ {
	case "u8":
		return float64(b[off])
	case "u16":
		return float64(le.Uint16(b[off:]))
	case "u32":
		return float64(le.Uint32(b[off:]))
	case "u64":
		return float64(le.Uint64(b[off:]))
	case "i64":
		return float64(int64(le.Uint64(b[off:])))
	case "f32":
		return float64(math.Float32frombits(le.Uint32(b[off:])))
	case "f64":
		return math.Float64frombits(le.Uint64(b[off:]))
	case "bytes4":
		return string(b[off : off+4])
	case "bytes6":
		for _, c := range b[off : off+6] {
			if c != 0 {
				return float64(c)
			}
		}
		return float64(0)
	}
	t.Fatalf("unknown schema type %q", typ)
	return nil
}

// goValue returns field name of struct v as float64.
func goValue(t *testing.T, v reflect.Value, name string) float64 {
	t.Helper()
	f := v.FieldByName(name)
	if !f.IsValid() {
		t.Fatalf("schema names Go field %q, which %s lacks", name, v.Type())
	}
	switch f.Kind() {
	case reflect.Int, reflect.Int64:
		return float64(f.Int())
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(f.Uint())
	case reflect.Float32, reflect.Float64:
		return f.Float()
	}
	t.Fatalf("Go field %q has kind %s", name, f.Kind())
	return 0
}

// checkBlock checks every field of blk in b at base against v and derived values.
func checkBlock(t *testing.T, b []byte, base int, blk schemaBlock, v reflect.Value,
	derived map[string]float64) {
	t.Helper()
	for _, fd := range blk.Fields {
		got := readField(t, b, base+fd.Offset, fd.Type)
		var want any
		switch {
		case fd.Go != "":
			want = goValue(t, v, fd.Go)
		case fd.Derived != "":
			d, ok := derived[fd.Derived]
			if !ok {
				t.Fatalf("no derived value %q", fd.Derived)
			}
			want = d
		case fd.Value != nil:
			if err := json.Unmarshal(fd.Value, &want); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("field %s has neither go, derived nor value", fd.Name)
		}
		if got != want {
			t.Errorf("field %s at %d: wire %v, want %v", fd.Name, base+fd.Offset, got, want)
		}
	}
}

func TestSchemaFrame(t *testing.T) {
	d := loadSchema(t, "frame.json")
	f := &Frame{Seq: 77, FirstSample: -123456789, Channels: 3, SamplesPerChannel: 2,
		Type: Float32, UVPerUnit: 0.195, SampleRateHz: 32000.5,
		F32: []float32{1, 2, 3, 4, 5, 6}, EndOfStream: false}
	b, err := EncodeFrame(nil, f)
	if err != nil {
		t.Fatal(err)
	}
	if d.Header.Size != FrameHeaderBytes {
		t.Fatalf("schema header %d bytes, code %d", d.Header.Size, FrameHeaderBytes)
	}
	checkBlock(t, b, 0, d.Header, reflect.ValueOf(*f), map[string]float64{"flags": 0})
	eos, _ := EncodeFrame(nil, &Frame{Seq: 78, FirstSample: 9, Channels: 3, Type: Int16,
		EndOfStream: true})
	checkBlock(t, eos, 0, d.Header, reflect.ValueOf(Frame{Seq: 78, FirstSample: 9,
		Channels: 3, Type: Int16}), map[string]float64{"flags": 1})
}

func TestSchemaSpikeBatch(t *testing.T) {
	d := loadSchema(t, "spike_batch.json")
	batch := &SpikeBatch{Seq: 1 << 40, Spikes: testSpikes(3)}
	b, err := EncodeSpikeBatch(nil, batch)
	if err != nil {
		t.Fatal(err)
	}
	if d.Header.Size != SpikeHeaderBytes || d.Record.Size != SpikeRecordBytes {
		t.Fatalf("schema sizes %d/%d, code %d/%d", d.Header.Size, d.Record.Size,
			SpikeHeaderBytes, SpikeRecordBytes)
	}
	checkBlock(t, b, 0, d.Header, reflect.ValueOf(*batch), map[string]float64{"count": 3})
	for i, s := range batch.Spikes {
		checkBlock(t, b, d.Header.Size+i*d.Record.Size, *d.Record, reflect.ValueOf(s), nil)
	}
}

func TestSchemaUnitEvent(t *testing.T) {
	d := loadSchema(t, "unit_event.json")
	e := testUnitEvent()
	b, err := EncodeUnitEvent(nil, &e)
	if err != nil {
		t.Fatal(err)
	}
	derived := map[string]float64{"n_related": float64(len(e.Related)),
		"n_backfill": float64(len(e.Backfill))}
	checkBlock(t, b, 0, d.Header, reflect.ValueOf(e), derived)
	off := d.Header.Size
	for _, l := range d.Lists {
		lv := reflect.ValueOf(e).FieldByName(l.Go)
		for i := range lv.Len() {
			base := off + i*l.Element.Size
			if lv.Index(i).Kind() == reflect.Struct {
				checkBlock(t, b, base, l.Element, lv.Index(i), nil)
			} else if got := readField(t, b, base, l.Element.Fields[0].Type); got !=
				float64(lv.Index(i).Uint()) {
				t.Errorf("%s[%d]: wire %v, want %v", l.Name, i, got, lv.Index(i).Uint())
			}
		}
		off += lv.Len() * l.Element.Size
	}
	if off != len(b) {
		t.Fatalf("schema accounts for %d bytes of %d", off, len(b))
	}
}

func TestSchemaAck(t *testing.T) {
	d := loadSchema(t, "ack.json")
	a := Ack{ConsumerID: 0xdeadbeef, Seq: 123456, EndOfStream: true}
	b := EncodeAck(nil, a)
	if len(b) != d.Header.Size {
		t.Fatalf("ack is %d bytes, schema says %d", len(b), d.Header.Size)
	}
	checkBlock(t, b, 0, d.Header, reflect.ValueOf(a), map[string]float64{"flags": 1})
	a.EndOfStream, a.Leaving = false, true
	checkBlock(t, EncodeAck(nil, a), 0, d.Header, reflect.ValueOf(a),
		map[string]float64{"flags": 2})
}

func TestSchemaErrorEvent(t *testing.T) {
	d := loadSchema(t, "error_event.json")
	b, err := EncodeErrorEvent(ErrorEvent{Kind: "seq_gap", Detail: "x", Seq: 4, Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if len(m) != len(d.Fields) {
		t.Fatalf("JSON has %d keys, schema %d: %s", len(m), len(d.Fields), b)
	}
	for _, f := range d.Fields {
		if _, ok := m[f.Name]; !ok {
			t.Errorf("JSON lacks schema field %q: %s", f.Name, b)
		}
	}
}
