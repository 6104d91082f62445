package cli

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/health"
)

var healthcheckCmd = &command{
	name:    "healthcheck",
	summary: "probe a running command's /readyz (for container healthchecks)",
	about: "GETs `/readyz` (or `/healthz` with `--live`) of a running command's metrics listener and\n" +
		"exits 0 when it answers 200. It exists for container healthchecks in an image without curl.",
	docs: "observability.md",
	keys: []string{"metrics.listen"},
	flags: func(fs *flag.FlagSet) func(*call) int {
		live := fs.Bool("live", false, "probe /healthz (the process answers) instead of /readyz")
		timeout := fs.Duration("timeout", 3*time.Second+health.CheckTimeout, "give up after this long")
		return func(x *call) int { return runHealthcheck(x, *live, *timeout) }
	},
}

// runHealthcheck probes a running command's /readyz (or /healthz with
// --live): a container healthcheck for an image that has no curl.
func runHealthcheck(x *call, live bool, timeout time.Duration) int {
	stdio, name, cfg := x.stdio, x.name, x.cfg
	addr := cfg.String("metrics.listen")
	if addr == "" {
		return usageError(stdio, name, "no metrics listener configured: give --metrics-listen or set PHONECHECK_METRICS_LISTEN")
	}
	host := addr
	if host[0] == ':' {
		host = "127.0.0.1" + host // a listener on every interface answers on loopback
	}
	path := "/readyz"
	if live {
		path = "/healthz"
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	body, err := health.Probe(ctx, "http://"+host+path)
	fmt.Fprint(stdio.Out, body)
	if err != nil {
		return runError(stdio, name, err, "")
	}
	return ExitOK
}
