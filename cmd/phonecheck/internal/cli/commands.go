package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/config"
)

// commands are phonecheck's subcommands, in the order help lists them.
var commands = []*command{upCmd, workerCmd, watchCmd, submitCmd, statusCmd, listCmd, resultsCmd,
	validateCmd, serveCmd, configCmd, doctorCmd, healthcheckCmd, versionCmd}

// A command is everything phonecheck knows of one subcommand: its usage,
// help and reference page come from these fields, its flag set from keys
// and flags.
type command struct {
	name    string
	args    string // positional arguments in the usage line; "" takes none
	summary string // one line, for 'phonecheck help' and the command tables
	about   string // what it does, for --help and doc/commands.md; `code` in backticks
	docs    string // pages in doc/ that say more, for doc/commands.md: "api.md"
	// keys are the settings (config.Settings) it reads, each with its
	// flag, environment variables and config file key.
	keys []string
	// flags registers the command's own flags (not settings) and returns
	// its run; nil when it has none and run is set instead.
	flags func(fs *flag.FlagSet) func(*call) int
	run   func(*call) int
	// repeat are keys whose flag may be given more than once.
	repeat []string
	// legacyWatchConfig: a --config file that is a watcher JSON file is
	// taken as watch.config, as before --config named the config file.
	legacyWatchConfig bool
}

// jsonFlag is the flags of a command whose one flag of its own is --json.
func jsonFlag(run func(x *call, asJSON bool) int) func(*flag.FlagSet) func(*call) int {
	return func(fs *flag.FlagSet) func(*call) int {
		asJSON := fs.Bool("json", false, "print JSON")
		return func(x *call) int { return run(x, *asJSON) }
	}
}

// call is one run of a command: its arguments and resolved settings.
type call struct {
	name  string
	stdio IO
	args  []string // positional
	cfg   *config.Resolved
}

// Commands are the subcommands' names.
func Commands() []string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	return names
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// flagSet builds the command's flags: --config, one per setting and its
// own. Errors and help are printed by invoke, not by the flag package.
func (c *command) flagSet() (*flag.FlagSet, *config.Binding, func(*call) int) {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	b := config.Bind(fs, c.keys...)
	for _, k := range c.repeat {
		b.Repeatable(k)
	}
	b.LegacyWatchConfig = c.legacyWatchConfig
	run := c.run
	if c.flags != nil {
		run = c.flags(fs)
	}
	return fs, b, run
}

// invoke parses args (flags anywhere), resolves the settings and runs the
// command.
func (c *command) invoke(args []string, stdio IO) int {
	fs, b, run := c.flagSet()
	pos, err := parse(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		c.help(stdio.Out)
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(stdio.Err, "phonecheck %s: %v (run 'phonecheck %s --help' for its flags)\n", c.name, err, c.name)
		return ExitUsage
	}
	cfg, err := b.Resolve()
	if err != nil {
		return usageError(stdio, c.name, "%v", err)
	}
	if c.args == "" && len(pos) > 0 {
		return usageError(stdio, c.name, "unexpected argument %q (%s takes only flags)", pos[0], c.name)
	}
	return run(&call{name: c.name, stdio: stdio, args: pos, cfg: cfg})
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
