// Package cli is the phonecheck command line: one file per command (up.go,
// worker.go, watch.go, …), each declaring a *command with its name,
// arguments, summary and description, the settings it reads and the flags
// of its own. The usage line, --help, 'phonecheck help', doc/commands.md and
// the README's command table are all generated from those declarations and
// the settings table (config.Settings); TestCommandReference fails when the
// committed pages differ from what the code generates.
//
// To add a flag:
//   - A setting, the usual case (it also reads an environment variable and
//     the config file): add its row to config.Settings, add its key to the
//     keys of each command that reads it, and read it in the command's run
//     with x.cfg.String(key), x.cfg.Bool(key), ….
//   - A flag of one command only (--json, --wait): register it in that
//     command's flags function and read the pointer in the run it returns.
//
// To add a command: a new file with its *command, listed in commands
// (commands.go). Then, for either, rewrite the pages with
// 'go generate ./cmd/phonecheck/...' (or make commands).
package cli

import (
	"fmt"
	"io"
	"os"
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

// Main runs one command line and returns the process exit code.
func Main(args []string, stdio IO) int {
	if len(args) == 0 {
		usage(stdio.Err)
		return ExitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(stdio.Out)
		return ExitOK
	case "help":
		return runHelp(args[1:], stdio)
	}
	if c := lookup(args[0]); c != nil {
		return c.invoke(args[1:], stdio)
	}
	fmt.Fprintf(stdio.Err, "phonecheck: unknown command %q (run 'phonecheck help' for the list)\n", args[0])
	return ExitUsage
}

// runHelp is 'phonecheck help [COMMAND]'.
func runHelp(args []string, stdio IO) int {
	if len(args) == 0 {
		usage(stdio.Out)
		return ExitOK
	}
	c := lookup(args[0])
	if c == nil || len(args) > 1 {
		fmt.Fprintf(stdio.Err, "phonecheck help: unknown command %q (run 'phonecheck help' for the list)\n", args[0])
		return ExitUsage
	}
	c.help(stdio.Out)
	return ExitOK
}
