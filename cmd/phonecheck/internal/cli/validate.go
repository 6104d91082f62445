package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/phonecheck/phonecheck/internal/input"
	"github.com/phonecheck/phonecheck/internal/validate"
	"github.com/phonecheck/phonecheck/internal/xlsx"
	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/results"
)

var validateCmd = &command{
	name:    "validate",
	args:    "[FILE|-]",
	summary: "validate a file of numbers, a CSV or an XLSX offline, one result row per input row",
	about: "Validates a file offline, or standard input when you give `-` or no file, and writes one\n" +
		"result row per input line. A CSV, TSV or XLSX input keeps its columns: each row comes out with\n" +
		"them, then the validation columns of its phone column. Without `--region`, numbers written\n" +
		"without + are " +
		"`INVALID_COUNTRY_CODE`. `-o PATH` is written to a temporary file beside PATH and renamed\n" +
		"into place when complete, so nothing partial is left behind.\n" +
		"- It streams the input and checks batches of lines on every core, keeping the input order.\n" +
		"- Memory stays bounded, with a soft heap limit of 120 MiB; `GOMEMLIMIT` overrides it. The\n" +
		"garbage is collected when the heap has tripled (`GOGC=200`); `GOGC` overrides it.\n" +
		"- When standard error is a terminal, a progress bar shows rows, rows/s, percentage and ETA; in a pipe it stays quiet.\n" +
		"- At the end it prints a summary: rows, valid, invalid, and counts by reason.\n" +
		"- Exit codes: 0 success; 2 a usage error, such as an unknown flag, region or format; 1 an\n" +
		"  I/O error, such as an unreadable input, an unwritable output or an interrupt. A line\n" +
		"  over 64 KiB is one `TOO_LONG` row with its Input cut (see results.md), not an error.",
	docs:   "inputs.md results.md engine.md",
	keys:   []string{"region", "validate.format", "column", "region_column", "sheet"},
	repeat: []string{"column"},
	flags: func(fs *flag.FlagSet) func(*call) int {
		output := fs.String("o", "", "output file `PATH`, written atomically (default: standard output)")
		quiet := fs.Bool("q", false, "no progress line and no summary on standard error")
		return func(x *call) int { return runValidate(x, *output, *quiet) }
	},
}

func runValidate(x *call, output string, quiet bool) int {
	stdio, name, pos := x.stdio, x.name, x.args
	region, format := x.cfg.String("region"), x.cfg.String("validate.format")
	if len(pos) > 1 {
		return usageError(stdio, name, "one input file at most, got %d (validate the files one by one, or cat them into -)", len(pos))
	}
	reg, err := phone.NormalizeRegion(region)
	if err != nil {
		return usageError(stdio, name, "--region: %v", err)
	}
	f, err := outputFormat(format, output)
	if err != nil {
		return usageError(stdio, name, "%v", err)
	}
	if f == results.XLSX && output == "" && stdio.OutIsTerminal {
		return usageError(stdio, name, "xlsx is a binary format: give -o FILE.xlsx or redirect standard output")
	}

	rawIn, size, closeIn, err := openInput(pos, stdio)
	if err != nil {
		return runError(stdio, name, err, "check the path, or give - to read standard input")
	}
	defer closeIn()
	inName := "standard input"
	if len(pos) == 1 && pos[0] != "-" {
		inName = filepath.Base(pos[0])
	}
	in, err := input.Open(rawIn, input.Options{
		Columns: x.cfg.List("column"), RegionColumn: x.cfg.String("region_column"), Sheet: x.cfg.String("sheet"), Region: reg,
	}, "")
	if err != nil {
		return inputError(stdio, name, inName, err)
	}
	defer in.Close()

	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		// The engine's caches and batches are bounded; the limit keeps the
		// garbage between collections bounded too.
		debug.SetMemoryLimit(validateMemoryLimit)
	}
	if _, set := os.LookupEnv("GOGC"); !set {
		// Collecting when the heap has tripled rather than doubled: the live
		// heap is small and the limit above still bounds it, and a million
		// lines then cost about a tenth less CPU (marking and write
		// barriers) for about 18 MB more peak memory.
		debug.SetGCPercent(validateGCPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	opt := validate.Options{Region: reg}
	var progress *progressLine
	if stdio.ErrIsTerminal && !quiet {
		progress = &progressLine{w: stdio.Err, size: size, start: time.Now()}
		if in.Table != nil {
			progress.size = 0 // rows, not bytes: no percentage
		}
		opt.Progress = progress.update
	}
	if in.Table != nil && !quiet {
		describeTable(stdio.Err, inName, in.Table)
	}

	var sum validate.Summary
	// run validates into w or tw; with an encoder the workers encode the
	// rows and the encoder writes them.
	run := func(w validate.RowWriter, enc results.Encoder, tw validate.TableRowWriter, tenc results.TableEncoder) error {
		if in.Table != nil {
			if tenc != nil {
				tw = nil
			}
			sum, err = validate.RunTable(ctx, in.Table, tw, validate.TableOptions{Options: opt, Encoder: tenc})
			return err
		}
		o := opt
		if o.Encoder = enc; enc != nil {
			w = nil
		}
		sum, err = validate.Run(ctx, in.Lines, w, o)
		return err
	}
	if output == "" {
		var w results.Writer
		var tw results.TableWriter
		if in.Table != nil {
			tw, err = results.NewTableWriter(f, stdio.Out, validate.Layout(in.Table))
		} else {
			w, err = results.NewWriter(f, stdio.Out)
		}
		if err != nil {
			return runError(stdio, name, err, "")
		}
		err = run(w, results.EncoderOf(w), tw, results.TableEncoderOf(tw))
		if err == nil && tw != nil {
			err = tw.Close()
		} else if err == nil {
			err = w.Close()
		}
		progress.clear()
		if err != nil {
			return validateError(stdio, err)
		}
	} else {
		var out *results.File
		if in.Table != nil {
			out, err = results.CreateTable(output, f, validate.Layout(in.Table))
		} else {
			out, err = results.Create(output, f)
		}
		if err != nil {
			return runError(stdio, name, err, "check that the output directory exists and is writable")
		}
		defer out.Abort()
		err = run(out, out.Encoder(), out, out.TableEncoder())
		if err == nil {
			err = out.Commit()
		}
		progress.clear()
		if err != nil {
			return validateError(stdio, err)
		}
	}
	if !quiet {
		if in.Table != nil {
			printTableSummary(stdio.Err, sum, output, in.Table)
		} else {
			encodingNote(stdio.Err, in.Lines.Encoding())
			printSummary(stdio.Err, sum, output)
		}
	}
	return ExitOK
}

// inputError says why an input cannot be read: a usage error for options
// that name what is not there, an error for the file itself.
func inputError(stdio IO, name, inName string, err error) int {
	switch {
	case errors.Is(err, input.ErrColumn), errors.Is(err, xlsx.ErrNoSheet):
		return usageError(stdio, name, "%s: %v", inName, err)
	case errors.Is(err, input.ErrEmpty):
		return runError(stdio, name, fmt.Errorf("%s: %v", inName, err), "is it the right file?")
	}
	return runError(stdio, name, fmt.Errorf("%s: %v", inName, err), "")
}

// describeTable says what was read and which column is validated.
func describeTable(w io.Writer, inName string, t *input.Table) {
	what := strings.ToUpper(t.Format)
	switch {
	case t.Format == "xlsx":
		what += fmt.Sprintf(", sheet %q", t.Sheet)
	case t.Delimiter == '\t':
		what += ", tab-separated"
	default:
		what += fmt.Sprintf(", separated by %q", t.Delimiter)
	}
	if t.HeaderLine > 0 {
		what += fmt.Sprintf(", header on line %d", t.HeaderLine)
	} else {
		what += ", no header (columns named by letter)"
	}
	fmt.Fprintf(w, "%s: %s; %s\n", inName, what, t.Chosen)
	if t.RegionColumn >= 0 {
		fmt.Fprintf(w, "  region of each row from column %q\n", t.Columns[t.RegionColumn])
	}
}

// encodingNote says when the input was not UTF-8.
func encodingNote(w io.Writer, enc string) {
	switch enc {
	case input.Windows1252:
		fmt.Fprintln(w, "the input is not valid UTF-8: it was read as Windows-1252; the output is UTF-8")
	case input.UTF16LE, input.UTF16BE:
		fmt.Fprintf(w, "the input is %s text; the output is UTF-8\n", enc)
	}
}

// printTableSummary is printSummary for a table: rows, and the cells checked.
func printTableSummary(w io.Writer, s validate.Summary, output string, t *input.Table) {
	encodingNote(w, t.Encoding())
	for _, n := range t.Notes() {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	printSummary(w, s, output)
}

// validateMemoryLimit is the soft heap limit of validate (GOMEMLIMIT overrides it).
const validateMemoryLimit = 120 << 20

// validateGCPercent is validate's GOGC (the GOGC variable overrides it).
const validateGCPercent = 200

func validateError(stdio IO, err error) int {
	switch {
	case errors.Is(err, context.Canceled):
		return runError(stdio, "validate", errors.New("interrupted; no output file was written"), "")
	default:
		return runError(stdio, "validate", err, "")
	}
}

func outputFormat(flagValue, output string) (results.Format, error) {
	if flagValue != "" {
		f, err := results.ParseFormat(flagValue)
		if err != nil {
			return "", fmt.Errorf("--format: %v", err)
		}
		return f, nil
	}
	if output != "" {
		if f, ok := results.FormatFromPath(output); ok {
			return f, nil
		}
	}
	return results.CSV, nil
}

// openInput opens the file argument (or standard input for none or "-") and
// returns its size when known, for the ETA.
func openInput(pos []string, stdio IO) (io.Reader, int64, func(), error) {
	if len(pos) == 0 || pos[0] == "-" {
		return stdio.In, 0, func() {}, nil
	}
	f, err := os.Open(pos[0])
	if err != nil {
		return nil, 0, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, nil, err
	}
	if st.IsDir() {
		f.Close()
		return nil, 0, nil, fmt.Errorf("%s is a directory", pos[0])
	}
	return f, st.Size(), func() { f.Close() }, nil
}

// progressLine redraws one status line on a terminal.
type progressLine struct {
	w     io.Writer
	size  int64
	start time.Time
	drawn bool
}

func (p *progressLine) update(rows, inputBytes int64) {
	elapsed := time.Since(p.start).Seconds()
	rate := float64(rows) / elapsed
	line := fmt.Sprintf("%s rows  %s rows/s", group(rows), group(int64(rate)))
	if p.size > 0 && inputBytes > 0 && inputBytes <= p.size {
		left := elapsed * float64(p.size-inputBytes) / float64(inputBytes)
		line = fmt.Sprintf("%s  %s  ETA %s", bar(inputBytes, p.size, 24), line, (time.Duration(left) * time.Second).Round(time.Second))
	}
	fmt.Fprintf(p.w, "\r\033[K%s", line)
	p.drawn = true
}

func (p *progressLine) clear() {
	if p != nil && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func printSummary(w io.Writer, s validate.Summary, output string) {
	dest := "standard output"
	if output != "" {
		dest = output
	}
	secs := s.Elapsed.Seconds()
	fmt.Fprintf(w, "%s rows from %s lines in %.2fs (%s rows/s) to %s: %s valid, %s invalid\n",
		group(s.Rows), group(int64(s.Lines)), secs, group(int64(float64(s.Rows)/max(secs, 1e-9))), dest, group(s.Valid), group(s.Invalid))
	reasons := make([]string, 0, len(s.ByReason))
	for r := range s.ByReason {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool {
		if s.ByReason[reasons[i]] != s.ByReason[reasons[j]] {
			return s.ByReason[reasons[i]] > s.ByReason[reasons[j]]
		}
		return reasons[i] < reasons[j]
	})
	for _, r := range reasons {
		fmt.Fprintf(w, "  %-24s %12s\n", r, group(s.ByReason[r]))
	}
	if s.Rows == 0 {
		fmt.Fprintln(w, "  (the input held no numbers: is it the right file?)")
	}
}
