// Package cli implements the phonecheck command line: flag parsing,
// environment fallbacks, exit codes and messages for each subcommand.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

// Exit codes, the same for every subcommand.
const (
	ExitOK    = 0
	ExitError = 1 // I/O and runtime errors
	ExitUsage = 2 // bad flags or arguments
)

// IO is where a command reads and writes; tests give buffers.
type IO struct {
	In       io.Reader
	Out, Err io.Writer
	// ErrIsTerminal enables the progress line.
	ErrIsTerminal bool
	OutIsTerminal bool
}

// Stdio is the process's own standard streams.
func Stdio() IO {
	return IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		ErrIsTerminal: isTerminal(os.Stderr), OutIsTerminal: isTerminal(os.Stdout)}
}

type command struct {
	name, args, summary string
	run                 func(args []string, stdio IO) int
}

var commands []command

func init() {
	commands = []command{
		{"up", "[--data-dir DIR] [--out DIR] [--api-listen ADDR] [--temporal-listen ADDR] [--api-url URL --api-key KEY]", "run everything in one process: embedded Temporal, worker, offline API", runUp},
		{"worker", "[--temporal-address HOST:PORT] [--namespace NS] [--api-url URL] [--api-key KEY]", "run a worker against an existing Temporal cluster", runWorkerCmd},
		{"watch", "DIR... [--config FILE] [--region XX] [--formats csv,xlsx] [--out DIR] [--poll]", "start the pipeline for every file dropped into the folders", runWatch},
		{"submit", "FILE [--wait] [--region XX] [--formats csv,xlsx] [--out DIR] [--json]", "start the pipeline for a file (a copy; your file is not touched)", runSubmit},
		{"status", "ID|FILE [--json]", "show a file's stage and progress", runStatus},
		{"list", "[--stage STAGE] [--json]", "list recent files and their stages", runList},
		{"results", "ID|FILE [--json]", "show a finished file's summary and output paths", runResults},
		{"validate", "[--region XX] [--format csv|xlsx|jsonl] [-o PATH] [FILE|-]", "validate a file of numbers offline, one result row per line", runValidate},
		{"serve", serveArgs, "run the offline phoneCheck v1 task API", runServe},
		{"config", "[--config FILE] [--json] [flags]", "print the effective configuration and where each value came from", runConfig},
		{"doctor", "[--config FILE] [--temporal-address HOST:PORT] [--api-url URL] [--api-key KEY] [--inbox DIR] [--out DIR]", "check Temporal, the task API and the folders; say what to fix", runDoctor},
		{"healthcheck", "[--metrics-listen ADDR] [--live]", "probe a running command's /readyz (for container healthchecks)", runHealthcheck},
		{"version", "", "print the version", runVersion},
	}
}

// Commands are the subcommands' names.
func Commands() []string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	return names
}

// Main runs one command line and returns the process exit code.
func Main(args []string, stdio IO) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdio.Err)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(args[1:], stdio)
		}
	}
	fmt.Fprintf(stdio.Err, "phonecheck: unknown command %q (run 'phonecheck help' for the list)\n", args[0])
	return ExitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "phonecheck validates phone numbers in bulk.\n\nUsage:")
	for _, c := range commands {
		fmt.Fprintf(w, "  phonecheck %-11s %s\n      %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w, "\nEvery flag also reads an environment variable (PHONECHECK_<FLAG>); run 'phonecheck COMMAND -h' for details.")
}

// newFlags returns a FlagSet whose errors and help go to stdio.Err.
func newFlags(name, args string, stdio IO) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stdio.Err)
	fs.Usage = func() {
		fmt.Fprintf(stdio.Err, "Usage: phonecheck %s %s\n\nFlags:\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// envDefault is the flag default from PHONECHECK_<NAME>, else def.
func envDefault(name, def string) string {
	if v, ok := os.LookupEnv("PHONECHECK_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))); ok {
		return v
	}
	return def
}

// parse parses flags given before, between or after positional arguments
// (Go's flag package stops at the first positional one).
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if i := len(args) - len(rest) - 1; i >= 0 && args[i] == "--" {
			return append(pos, rest...), nil // everything after -- is positional
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// usageError prints a one-line usage message and returns ExitUsage.
func usageError(stdio IO, cmd, format string, a ...any) int {
	fmt.Fprintf(stdio.Err, "phonecheck %s: %s\n", cmd, fmt.Sprintf(format, a...))
	return ExitUsage
}

// runError prints a one-line error message and returns ExitError.
func runError(stdio IO, cmd string, err error, hint string) int {
	msg := err.Error()
	if hint != "" {
		msg += " (" + hint + ")"
	}
	fmt.Fprintf(stdio.Err, "phonecheck %s: %s\n", cmd, msg)
	return ExitError
}

func flagHelp(err error) bool { return errors.Is(err, flag.ErrHelp) }

// Version is set at build time with -ldflags "-X github.com/phonecheck/phonecheck/internal/cli.Version=v1.2.3".
var Version = ""

func runVersion(args []string, stdio IO) int {
	v := Version
	if v == "" {
		v = "devel"
		if bi, ok := debug.ReadBuildInfo(); ok {
			if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
				v = bi.Main.Version
			}
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 12 {
					v += " " + s.Value[:12]
				}
			}
		}
	}
	fmt.Fprintln(stdio.Out, "phonecheck", v)
	return ExitOK
}
