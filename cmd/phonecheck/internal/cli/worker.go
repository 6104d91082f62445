package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"

	"github.com/phonecheck/phonecheck/activities"
	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/config"
	"github.com/phonecheck/phonecheck/workflows"
)

var workerCmd = &command{
	name:    "worker",
	summary: "run a worker against an existing Temporal cluster",
	about: "Runs the worker alone, for an existing Temporal cluster, on task queue `phonecheck`.\n" +
		"It calls the v1 task API at `--api-url` with `--api-key`; the key stays in the worker's\n" +
		"configuration and never enters a workflow payload. A result that leaves more than\n" +
		"`--api-max-unanswered` of the uploaded numbers unanswered fails the file. TLS: `--tls`,\n" +
		"`--tls-cert`, `--tls-key`, `--tls-ca` and `--tls-server-name`, or Temporal Cloud's\n" +
		"`--temporal-api-key`.\n" +
		"\n" +
		"Workers on several hosts share each file's input and work files through `--store`: a\n" +
		"shared mount, `file:///dir` or `s3://bucket?…`.",
	docs: "deployment.md scaling.md results.md",
	keys: slices.Concat([]string{"api.url", "api.key", "api.timeout", "api.max_unanswered", "api.idempotent", "api.retry_budget", "record_retention", "notify_secret", "data_dir", "out", "store"}, config.TemporalKeys, config.RunKeys),
	run:  runWorker,
}

func runWorker(x *call) int {
	stdio, name, cfg := x.stdio, x.name, x.cfg
	rt, err := newRuntime(stdio, cfg, "")
	if err != nil {
		return usageError(stdio, name, "%v", err)
	}
	defer rt.close()
	dataDir := cfg.String("data_dir")
	st, err := openStore(cfg.String("store"), dataDir)
	if err != nil {
		return runError(stdio, name, err, "")
	}
	defer st.Close()
	api, err := newAPIClient(cfg.String("api.url"), cfg.String("api.key"), cfg.Duration("api.timeout"))
	if err != nil {
		return usageError(stdio, name, "%v", err)
	}
	c, opts, err := rt.dial(cfg)
	if err != nil {
		return runError(stdio, name, err, "")
	}
	defer c.Close()
	wopts := rt.workerOptions()
	acts := workerActivities(cfg, rt.metrics.TaskAPI(api), st, filepath.Join(absPath(dataDir), "scratch"))
	defer activities.CloseOutputs(acts)
	w := workflows.NewWorker(c, acts, wopts)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go sweepRecords(ctx, st, acts.RecordRetention, rt.log)
	rt.ready("temporal", temporalReachable(c))
	rt.ready("worker", workerPolling(c, wopts.Identity))
	if err := rt.serve(ctx, stdio, name); err != nil {
		return runError(stdio, name, err, "")
	}
	fmt.Fprintf(stdio.Err, "phonecheck worker: task queue %q on %s, task API %s, store %s\n", workflows.TaskQueue, opts.Address, api.BaseURL(), st)
	if err := w.Run(ctxInterrupt(ctx)); err != nil {
		return runError(stdio, name, err, "")
	}
	return ExitOK
}

// ctxInterrupt turns a context into the channel worker.Run stops on.
func ctxInterrupt(ctx context.Context) <-chan any {
	ch := make(chan any)
	go func() { <-ctx.Done(); close(ch) }()
	return ch
}
