package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/phonecheck/phonecheck/internal/lines"
	"github.com/phonecheck/phonecheck/internal/validate"
	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/results"
)

func runValidate(args []string, stdio IO) int {
	const name = "validate"
	fs := newFlags(name, "[--region XX] [--format csv|xlsx|jsonl] [-o PATH] [FILE|-]", stdio)
	region := fs.String("region", envDefault("region", ""), "default region (ISO 3166-1 alpha-2, e.g. CH) for numbers written without +; env PHONECHECK_REGION")
	format := fs.String("format", envDefault("format", ""), "output format: csv, xlsx or jsonl (default: from the -o extension, else csv); env PHONECHECK_FORMAT")
	output := fs.String("o", "", "output file, written atomically (default: standard output)")
	quiet := fs.Bool("q", false, "no progress line and no summary on standard error")
	pos, err := parse(fs, args)
	if flagHelp(err) {
		return ExitOK
	}
	if err != nil {
		return ExitUsage // the flag package printed the message
	}
	if len(pos) > 1 {
		return usageError(stdio, name, "one input file at most, got %d (validate the files one by one, or cat them into -)", len(pos))
	}
	reg, err := phone.NormalizeRegion(*region)
	if err != nil {
		return usageError(stdio, name, "--region: %v", err)
	}
	f, err := outputFormat(*format, *output)
	if err != nil {
		return usageError(stdio, name, "%v", err)
	}
	if f == results.XLSX && *output == "" && stdio.OutIsTerminal {
		return usageError(stdio, name, "xlsx is a binary format: give -o FILE.xlsx or redirect standard output")
	}

	in, size, closeIn, err := openInput(pos, stdio)
	if err != nil {
		return runError(stdio, name, err, "check the path, or give - to read standard input")
	}
	defer closeIn()

	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		// The engine's caches and batches are bounded; the limit keeps the
		// garbage between collections bounded too.
		debug.SetMemoryLimit(validateMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	opt := validate.Options{Region: reg}
	var progress *progressLine
	if stdio.ErrIsTerminal && !*quiet {
		progress = &progressLine{w: stdio.Err, size: size, start: time.Now()}
		opt.Progress = progress.update
	}

	var sum validate.Summary
	if *output == "" {
		w, err := results.NewWriter(f, stdio.Out)
		if err != nil {
			return runError(stdio, name, err, "")
		}
		sum, err = validate.Run(ctx, in, w, opt)
		if err == nil {
			err = w.Close()
		}
		progress.clear()
		if err != nil {
			return validateError(stdio, err)
		}
	} else {
		out, err := results.Create(*output, f)
		if err != nil {
			return runError(stdio, name, err, "check that the output directory exists and is writable")
		}
		defer out.Abort()
		sum, err = validate.Run(ctx, in, out, opt)
		if err == nil {
			err = out.Commit()
		}
		progress.clear()
		if err != nil {
			return validateError(stdio, err)
		}
	}
	if !*quiet {
		printSummary(stdio.Err, sum, *output)
	}
	return ExitOK
}

// validateMemoryLimit is the soft heap limit of validate (GOMEMLIMIT overrides it).
const validateMemoryLimit = 120 << 20

func validateError(stdio IO, err error) int {
	switch {
	case errors.Is(err, lines.ErrTooLong):
		return runError(stdio, "validate", err, "")
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
		line += fmt.Sprintf("  %d%%  ETA %s", inputBytes*100/p.size, (time.Duration(left) * time.Second).Round(time.Second))
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

// group formats n with thousands separators.
func group(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
