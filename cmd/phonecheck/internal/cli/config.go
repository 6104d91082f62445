package cli

import (
	"fmt"

	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/config"
)

var configCmd = &command{
	name:    "config",
	summary: "print the effective configuration and where each value came from",
	about: "Prints every setting's effective value, its source (default, file, env, flag) and where\n" +
		"exactly it came from (`phonecheck.yaml:12`, `TEMPORAL_ADDRESS`, `--region`). Keys and other\n" +
		"secrets print as `******`. It takes every setting's flag, to show what a command line gives.",
	docs:   "configuration.md",
	keys:   config.AllKeys(),
	repeat: []string{"api.key"},
	flags:  jsonFlag(runConfig),
}

// runConfig is `phonecheck config`: the effective value of every setting,
// secrets masked, and where each came from.
func runConfig(x *call, asJSON bool) int {
	stdio, name, cfg := x.stdio, x.name, x.cfg
	if cfg.File != nil {
		fmt.Fprintf(stdio.Err, "config file: %s\n", cfg.File.Path)
	} else {
		fmt.Fprintf(stdio.Err, "config file: none (give --config FILE or set %s)\n", config.FileEnv)
	}
	var err error
	if asJSON {
		err = config.PrintJSON(stdio.Out, cfg)
	} else {
		err = config.Print(stdio.Out, cfg)
	}
	if err != nil {
		return runError(stdio, name, err, "")
	}
	return ExitOK
}
