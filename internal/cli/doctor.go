package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/phonecheck/phonecheck/internal/doctor"
	"github.com/phonecheck/phonecheck/internal/health"
)

// runDoctor checks Temporal, the task API and the folders with the
// settings the other commands would use, and exits 1 if anything fails.
func runDoctor(args []string, stdio IO) int {
	const name = "doctor"
	fs := newFlags(name, "[--config FILE] [--temporal-address HOST:PORT] [--api-url URL] [--api-key KEY] [--data-dir DIR] [--inbox DIR] [--out DIR]", stdio)
	b := bindConfig(fs, "api.url", "api.key", "data_dir", "inbox", "out", "store")
	addTemporalFlags(b)
	pos, cfg, code, ok := parseBound(stdio, name, fs, b, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return usageError(stdio, name, "unexpected argument %q (doctor takes only flags)", pos[0])
	}
	results := doctor.Run(context.Background(), doctor.Options{
		Temporal: temporalOptions(cfg),
		APIURL:   cfg.String("api.url"), APIKey: cfg.String("api.key"),
		DataDir: cfg.String("data_dir"), Inbox: cfg.String("inbox"), Out: cfg.String("out"),
		Store: cfg.String("store"),
	})
	if failed := doctor.Print(stdio.Out, results); failed > 0 {
		fmt.Fprintf(stdio.Err, "phonecheck doctor: %d of %d checks failed\n", failed, len(results))
		return ExitError
	}
	return ExitOK
}

// runHealthcheck probes a running command's /readyz (or /healthz with
// --live): a container healthcheck for an image that has no curl.
func runHealthcheck(args []string, stdio IO) int {
	const name = "healthcheck"
	fs := newFlags(name, "[--metrics-listen ADDR] [--live]", stdio)
	live := fs.Bool("live", false, "probe /healthz (the process answers) instead of /readyz")
	timeout := fs.Duration("timeout", 3*time.Second+health.CheckTimeout, "give up after this long")
	b := bindConfig(fs, "metrics.listen")
	_, cfg, code, ok := parseBound(stdio, name, fs, b, args)
	if !ok {
		return code
	}
	addr := cfg.String("metrics.listen")
	if addr == "" {
		return usageError(stdio, name, "no metrics listener configured: give --metrics-listen or set PHONECHECK_METRICS_LISTEN")
	}
	host := addr
	if host[0] == ':' {
		host = "127.0.0.1" + host // a listener on every interface answers on loopback
	}
	path := "/readyz"
	if *live {
		path = "/healthz"
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	body, err := health.Probe(ctx, "http://"+host+path)
	fmt.Fprint(stdio.Out, body)
	if err != nil {
		return runError(stdio, name, err, "")
	}
	return ExitOK
}
