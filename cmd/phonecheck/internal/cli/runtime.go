package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"

	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/config"
	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/health"
	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/logx"
	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/metrics"
	"github.com/phonecheck/phonecheck/temporalx"
	"github.com/phonecheck/phonecheck/workflows"
)

// runtime is what every long-running command (up, worker, watch, serve)
// sets up from its settings: the logger, and with metrics.listen the
// metrics registry and the /metrics, /healthz, /readyz listener.
type runtime struct {
	log     *slog.Logger
	metrics *metrics.Metrics // nil when metrics.listen is empty
	checks  []health.Check
	closers []io.Closer
	listen  string
}

// newRuntime builds the logger (secrets of cfg redacted) and, when
// metrics.listen is set, the metrics. level overrides log.level when not "".
func newRuntime(stdio IO, cfg *config.Resolved, level string) (*runtime, error) {
	if level == "" {
		level = cfg.String("log.level")
	}
	lv, err := config.ParseLevel(level)
	if err != nil {
		return nil, err
	}
	log, err := logx.New(stdio.Err, cfg.String("log.format"), slog.Level(lv), cfg.Secrets()...)
	if err != nil {
		return nil, err
	}
	rt := &runtime{log: log, listen: cfg.String("metrics.listen")}
	if rt.listen != "" {
		rt.metrics = metrics.New()
	}
	return rt, nil
}

// temporalMetrics is the SDK's metrics handler, nil without metrics.
func (rt *runtime) temporalMetrics() client.MetricsHandler {
	if rt.metrics == nil {
		return nil
	}
	h, closer := rt.metrics.TemporalHandler(rt.log)
	rt.closers = append(rt.closers, closer)
	return h
}

// dial connects to Temporal with the temporal.* settings, logging and
// measuring the client here.
func (rt *runtime) dial(cfg *config.Resolved) (client.Client, temporalx.ClientOptions, error) {
	opts := temporalOptions(cfg)
	opts.Logger, opts.MetricsHandler = rt.log, rt.temporalMetrics()
	c, err := temporalx.Dial(opts)
	return c, opts, err
}

// ready adds a readiness check; call before serve.
func (rt *runtime) ready(name string, fn func(context.Context) error) {
	rt.checks = append(rt.checks, health.Check{Name: name, Fn: fn})
}

// serve starts the metrics listener when configured.
func (rt *runtime) serve(ctx context.Context, stdio IO, cmd string) error {
	if rt.listen == "" {
		return nil
	}
	addr, err := health.Serve(ctx, rt.listen, health.Handler(rt.metrics.Handler(), rt.checks...), rt.log)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Err, "phonecheck %s: metrics on http://%s/metrics (health: /healthz, /readyz)\n", cmd, addr)
	return nil
}

func (rt *runtime) close() {
	for _, c := range rt.closers {
		c.Close()
	}
}

// workerOptions are the worker's options: the interceptor that times and
// logs activities, and an identity the readiness check finds among the
// task queue's pollers.
func (rt *runtime) workerOptions() worker.Options {
	return worker.Options{
		Identity:     workerIdentity(),
		Interceptors: []interceptor.WorkerInterceptor{rt.metrics.Interceptor(rt.log)},
	}
}

func workerIdentity() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%d@%s@phonecheck-worker", os.Getpid(), host)
}

// workerPolling is ready when this process's worker is among the pollers
// of the activity task queue.
func workerPolling(c client.Client, identity string) func(context.Context) error {
	return func(ctx context.Context) error {
		resp, err := c.DescribeTaskQueue(ctx, workflows.TaskQueue, enumspb.TASK_QUEUE_TYPE_ACTIVITY)
		if err != nil {
			return err
		}
		for _, p := range resp.GetPollers() {
			if p.GetIdentity() == identity {
				return nil
			}
		}
		return fmt.Errorf("worker %s is not polling task queue %s yet", identity, workflows.TaskQueue)
	}
}

// temporalReachable is ready when the frontend answers a health check.
func temporalReachable(c client.Client) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}
}
