package main

import (
	"io"
	"strings"
	"testing"
)

// Bad flags give an error naming the problem before any work starts.
func TestBadFlags(t *testing.T) {
	cases := []struct {
		cmd  string
		args []string
		want string
	}{
		{"sort", nil, "--stream"},
		{"sort", []string{"--stream", "a", "--input", "x"}, "not both"},
		{"sort", []string{"--input", "/nonexistent", "--channels", "4", "--rate-hz", "30000",
			"--uv-per-bit", "1", "--probe", "tetrode", "--out", "/tmp/x"}, "no such file"},
		{"sort", []string{"--input", "x", "--channels", "4", "--rate-hz", "30000",
			"--uv-per-bit", "1", "--probe", "nope"}, "probe"},
		{"sort", []string{"--stream", "a", "--probe", "tetrode", "--rate-hz", "1000"}, "rate-hz"},
		{"sort", []string{"--stream", "a", "--probe", "tetrode", "--method", "magic"}, "method"},
		{"replay", []string{"--input", "x", "--channels", "4", "--rate-hz", "30000",
			"--uv-per-bit", "1", "--probe", "tetrode", "--stream", "s", "--speed", "2x"}, "speed"},
		{"replay", []string{"--input", "x", "--channels", "0", "--rate-hz", "30000",
			"--uv-per-bit", "1", "--probe", "tetrode", "--stream", "s"}, "channels"},
		{"demo", []string{"--duration", "-3"}, "duration"},
		{"demo", []string{"--duration", "soon"}, "duration"},
		{"demo", []string{"stray"}, "unexpected argument"},
		{"bench", []string{"--method", "nope"}, "method"},
		{"sim", []string{"--probe", "tetrode", "--units", "4", "--duration", "-1",
			"--out", "/tmp/x"}, "duration"},
		{"sim", []string{"--probe", "nope", "--units", "4", "--duration", "1",
			"--out", "/tmp/x"}, "probe"},
		{"sim", []string{"--probe", "tetrode", "--units", "400", "--duration", "1",
			"--out", "/tmp/x"}, "units"},
		{"sim", []string{"--probe", "tetrode", "--units", "4", "--duration", "1",
			"--rate-hz", "5000", "--out", "/tmp/x"}, "rate"},
		{"eval", []string{"--sorted", "/nonexistent", "--truth", "/nonexistent"}, "nonexistent"},
	}
	for _, c := range cases {
		cmd, ok := commands[c.cmd]
		if !ok {
			t.Fatalf("no command %s", c.cmd)
		}
		err := runQuiet(cmd, c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: error %v, want it to mention %q", c.cmd, c.args, err, c.want)
		}
	}
}

// runQuiet runs a command with flag usage output discarded.
func runQuiet(cmd command, args []string) error {
	saved := flagOutput
	flagOutput = io.Discard
	defer func() { flagOutput = saved }()
	return cmd.run(args)
}
