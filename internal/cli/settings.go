package cli

import (
	"flag"
	"fmt"

	"go.temporal.io/sdk/client"

	"github.com/phonecheck/phonecheck/internal/config"
	"github.com/phonecheck/phonecheck/temporalx"
)

// bound is a command's flag set tied to the settings table: each key gets
// its flag, and resolve gives every value its source (flag, environment,
// config file or default).
type bound struct {
	*config.Binding
	cfg *config.Resolved
	err error
}

func bindConfig(fs *flag.FlagSet, keys ...string) *bound {
	return &bound{Binding: config.Bind(fs, keys...)}
}

// resolve is called after the flags are parsed; the result is kept.
func (b *bound) resolve() (*config.Resolved, error) {
	if b.cfg == nil && b.err == nil {
		b.cfg, b.err = b.Resolve()
	}
	return b.cfg, b.err
}

// parseBound parses args (flags anywhere, as parse does) and resolves the
// settings; ok is false with the exit code when the command should stop.
func parseBound(stdio IO, name string, fs *flag.FlagSet, b *bound, args []string) (pos []string, cfg *config.Resolved, code int, ok bool) {
	pos, err := parse(fs, args)
	if err != nil {
		return nil, nil, exitForParse(err), false
	}
	if cfg, err = b.resolve(); err != nil {
		return nil, nil, usageError(stdio, name, "%v", err), false
	}
	return pos, cfg, ExitOK, true
}

// temporalFlags say how to reach Temporal: the temporal.* settings.
type temporalFlags struct{ b *bound }

func addTemporalFlags(b *bound) *temporalFlags {
	b.Add(config.TemporalKeys...)
	return &temporalFlags{b}
}

// temporalOptions are the client options of resolved temporal.* settings.
func temporalOptions(cfg *config.Resolved) temporalx.ClientOptions {
	return temporalx.ClientOptions{
		Address: cfg.String("temporal.address"), Namespace: cfg.String("temporal.namespace"),
		APIKey: cfg.String("temporal.api_key"), TLS: cfg.Bool("temporal.tls"),
		TLSCertFile: cfg.String("temporal.tls_cert"), TLSKeyFile: cfg.String("temporal.tls_key"),
		TLSCAFile: cfg.String("temporal.tls_ca"), TLSServerName: cfg.String("temporal.tls_server_name"),
	}.FromEnv()
}

func (t *temporalFlags) options() (temporalx.ClientOptions, error) {
	cfg, err := t.b.resolve()
	if err != nil {
		return temporalx.ClientOptions{}, err
	}
	return temporalOptions(cfg), nil
}

func (t *temporalFlags) dial() (client.Client, error) {
	o, err := t.options()
	if err != nil {
		return nil, err
	}
	return temporalx.Dial(o)
}

// runConfig is `phonecheck config`: the effective value of every setting,
// secrets masked, and where each came from.
func runConfig(args []string, stdio IO) int {
	const name = "config"
	fs := newFlags(name, "[--config FILE] [--json] [any setting's flag]", stdio)
	asJSON := fs.Bool("json", false, "print JSON")
	b := bindConfig(fs, config.AllKeys()...)
	b.Repeatable("api.key")
	pos, cfg, code, ok := parseBound(stdio, name, fs, b, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return usageError(stdio, name, "unexpected argument %q (config takes only flags)", pos[0])
	}
	if cfg.File != nil {
		fmt.Fprintf(stdio.Err, "config file: %s\n", cfg.File.Path)
	} else {
		fmt.Fprintf(stdio.Err, "config file: none (give --config FILE or set %s)\n", config.FileEnv)
	}
	var err error
	if *asJSON {
		err = config.PrintJSON(stdio.Out, cfg)
	} else {
		err = config.Print(stdio.Out, cfg)
	}
	if err != nil {
		return runError(stdio, name, err, "")
	}
	return ExitOK
}
