package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spikestream/spikestream/eval"
	"github.com/spikestream/spikestream/sorting"
)

func init() {
	register("eval", "score a sorted output against simulated ground truth", runEval)
}

// evalFlags are the flags of the eval subcommand.
type evalFlags struct {
	sorted, truth, out string
	deltaMs, minSNR    float64
	windowS            float64
	keepUnitZero       bool
}

func runEval(args []string) error {
	fs := newFlags("eval", "--sorted DIR|FILE.npz --truth DIR [--out DIR] [--delta-ms 0.4]")
	var f evalFlags
	fs.StringVar(&f.sorted, "sorted", "", "sorted output: a folder with sorting.npz, a phy "+
		"folder, or an .npz file")
	fs.StringVar(&f.truth, "truth", "", "truth folder with truth.npz and units.tsv")
	fs.StringVar(&f.out, "out", "", "folder for the table (eval_units.tsv), summary and "+
		"figures (accuracy_snr.png, agreement.png); not a phy folder")
	fs.Float64Var(&f.deltaMs, "delta-ms", eval.DefaultDeltaMs, "spike match window, ms")
	fs.Float64Var(&f.minSNR, "min-snr", eval.DefaultMinSNR, "SNR floor of the high-SNR mean")
	fs.Float64Var(&f.windowS, "stability-window", eval.DefaultStabilityWindowS,
		"unit-id stability window, s (0: skip)")
	fs.BoolVar(&f.keepUnitZero, "keep-unit-zero", false, "treat sorted label 0 as a unit "+
		"(default: 0 is spikestream's unassigned label and is dropped)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if f.sorted == "" || f.truth == "" {
		return fmt.Errorf("--sorted and --truth are required")
	}
	if !(f.deltaMs > 0) || !(f.minSNR >= 0) || f.windowS < 0 {
		return fmt.Errorf("--delta-ms must be positive, --min-snr and --stability-window " +
			"not negative")
	}
	return evaluate(f, os.Stdout)
}

// evaluate reads both sortings, compares them and writes the report.
func evaluate(f evalFlags, w io.Writer) error {
	truth, err := eval.ReadTruth(f.truth)
	if err != nil {
		return err
	}
	sorted, from, err := sorting.Open(f.sorted)
	if err != nil {
		return err
	}
	opt := eval.Options{DeltaMs: f.deltaMs, MinSNR: f.minSNR, SNR: truth.SNR(),
		KeepUnitZero: f.keepUnitZero}
	res, err := eval.Compare(truth.Sorting, sorted, opt)
	if err != nil {
		return err
	}

	fmt.Fprintf(w, "sorted: %s (%d spikes)\ntruth: %s (%d spikes)\n", from,
		sorted.NumSpikes(), f.truth, truth.Sorting.NumSpikes())
	if err := eval.WriteTable(w, res); err != nil {
		return err
	}
	stability, err := stabilityLine(f, truth, sorted, opt)
	if err != nil {
		return err
	}
	if stability != "" {
		fmt.Fprintln(w, stability)
	}
	if f.out == "" {
		return nil
	}
	return writeEvalOutputs(f.out, res, stability, w)
}

// stabilityLine scores unit-id stability when the recording spans two windows or more.
func stabilityLine(f evalFlags, truth *eval.Truth, sorted *sorting.Sorting,
	opt eval.Options) (string, error) {
	if f.windowS == 0 {
		return "", nil
	}
	last := int64(0)
	for _, s := range []*sorting.Sorting{truth.Sorting, sorted} {
		if n := len(s.Times); n > 0 {
			last = max(last, s.Times[n-1])
		}
	}
	if float64(last)/truth.Sorting.SampleRateHz < 2*f.windowS {
		return "", nil
	}
	st, err := eval.IDStability(truth.Sorting, sorted, f.windowS, opt)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("id stability: %d of %d units paired in two or more %g s windows "+
		"kept their sorted id (%d windows)", st.NumStable, st.NumTracked, f.windowS,
		st.NumWindows), nil
}

// writeEvalOutputs writes the table, summary and figures into dir.
func writeEvalOutputs(dir string, res *eval.Result, stability string, log io.Writer) error {
	var notes []string
	if stability != "" {
		notes = append(notes, stability)
	}
	skipped, err := eval.WriteReport(dir, res, notes...)
	if err != nil {
		return err
	}
	for _, name := range skipped {
		fmt.Fprintf(log, "skipped %s: nothing to plot\n", name)
	}
	fmt.Fprintf(log, "wrote %s\n", dir)
	return nil
}
