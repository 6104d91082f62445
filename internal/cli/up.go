package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/phonecheck/phonecheck/activities"
	"github.com/phonecheck/phonecheck/apiserver"
	"github.com/phonecheck/phonecheck/internal/config"
	"github.com/phonecheck/phonecheck/internal/logx"
	"github.com/phonecheck/phonecheck/internal/metrics"
	"github.com/phonecheck/phonecheck/temporalx"
	"github.com/phonecheck/phonecheck/watcher"
	"github.com/phonecheck/phonecheck/workflows"
)

// offlinePollInterval is up's first poll wait with its own offline server.
const offlinePollInterval = 250 * time.Millisecond

// upMemoryLimit is the soft heap limit of `up` (GOMEMLIMIT overrides it).
const upMemoryLimit = 350 << 20

func runUp(args []string, stdio IO) int {
	const name = "up"
	fs := newFlags(name, "[--data-dir DIR] [--inbox DIR] [--out DIR] [--api-listen ADDR] [--temporal-listen ADDR] [--api-url URL --api-key KEY] [--region XX] [--formats csv,xlsx] [--metrics-listen ADDR]", stdio)
	b := bindConfig(fs, "data_dir", "inbox", "out", "api.listen", "temporal.listen", "api.url", "api.key", "region", "formats", "store",
		"api.timeout", "up.no_worker")
	b.Add(config.RunKeys...)
	_, cfg, code, ok := parseBound(stdio, name, fs, b, args)
	if !ok {
		return code
	}
	out := cfg.String("out")
	folders, err := watchFolders([]string{cfg.String("inbox")}, cfg.String("region"), cfg.String("formats"), out, false, 0)
	if err != nil {
		return usageError(stdio, name, "%v", err)
	}
	apiURL, apiKey := cfg.String("api.url"), cfg.String("api.key")
	if apiURL == "" && apiKey != "" {
		return usageError(stdio, name, "--api-key without --api-url: the offline server makes its own key")
	}
	// up is interactive: its banner says what matters, so it logs warnings
	// only unless a log level is configured.
	level := ""
	if cfg.Get("log.level").Source == config.FromDefault {
		level = "warn"
	}
	rt, err := newRuntime(stdio, cfg, level)
	if err != nil {
		return usageError(stdio, name, "%v", err)
	}
	defer rt.close()
	data := absPath(cfg.String("data_dir"))
	if err := ensureDir(data); err != nil {
		return runError(stdio, name, err, "")
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		// Everything runs in one process here; a soft limit keeps the
		// garbage of the big stages (prepare, join, exports) from piling up.
		debug.SetMemoryLimit(upMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := rt.log

	dev, err := temporalx.StartDevServer(temporalx.DevServerOptions{
		DatabaseFile:     filepath.Join(data, "temporal.db"),
		FrontendAddress:  cfg.String("temporal.listen"),
		SearchAttributes: map[string]enumspb.IndexedValueType{workflows.StageSearchAttribute: enumspb.INDEXED_VALUE_TYPE_KEYWORD},
	})
	if err != nil {
		return runError(stdio, name, err, "")
	}
	defer dev.Stop()

	url, key := apiURL, apiKey
	if url == "" {
		srv, addr, k, err := startOfflineServer(ctx, data, cfg.String("api.listen"), logger, rt.metrics)
		if err != nil {
			return runError(stdio, name, err, "")
		}
		defer srv.Close()
		rt.ready("api server", srv.Ready)
		url, key = "http://"+addr, k
		// The generated key is a secret too: keep it out of the logs.
		logger = slog.New(logx.NewRedactor(logger.Handler(), k))
		rt.log = logger
	}
	api, err := newAPIClient(url, key, cfg.Duration("api.timeout"))
	if err != nil {
		return runError(stdio, name, err, "")
	}
	st, err := openStore(cfg.String("store"), data)
	if err != nil {
		return runError(stdio, name, err, "")
	}
	defer st.Close()
	c, err := temporalx.Dial(temporalx.ClientOptions{Address: dev.Address(), Logger: logger, MetricsHandler: rt.temporalMetrics()})
	if err != nil {
		return runError(stdio, name, err, "")
	}
	defer c.Close()
	acts := &activities.Activities{API: rt.metrics.TaskAPI(api), Store: st, Scratch: filepath.Join(data, "scratch")}
	defer activities.CloseOutputs(acts)
	wopts := rt.workerOptions()
	if !cfg.Bool("up.no_worker") {
		w := workflows.NewWorker(c, acts, wopts)
		if err := w.Start(); err != nil {
			return runError(stdio, name, err, "")
		}
		defer w.Stop()
	}

	starter := workflowStarter{c: c, store: st}
	if apiURL == "" {
		// Polls of our own offline server cost nothing: poll it sooner
		// than a billed remote service.
		starter.pollInterval = offlinePollInterval
	}
	wat, err := watcher.New(watcher.Config{Folders: folders}, rt.metrics.Starter(starter), logger)
	if err != nil {
		return runError(stdio, name, err, "")
	}
	rt.metrics.WatchWatcher(wat)
	rt.metrics.Stages(c, stageCacheFor, logger)
	rt.ready("temporal", temporalReachable(c))
	rt.ready("worker", workerPolling(c, wopts.Identity))
	if err := rt.serve(ctx, stdio, name); err != nil {
		return runError(stdio, name, err, "")
	}
	watchDone := make(chan error, 1)
	go func() { watchDone <- wat.Run(ctx) }()
	f := wat.Folders()[0]
	fmt.Fprintf(stdio.Out, "phonecheck is up.\n  drop files into  %s\n  results in      %s/<file>-<hash>/\n  inputs go to    %s or %s (with a .reason)\n  Temporal        %s (state in %s)\n  task API        %s\nStop with Ctrl-C; starting again resumes every unfinished file.\n",
		f.Dir, outLocation(out), f.DoneDir(), f.FailedDir(), dev.Address(), filepath.Join(data, "temporal.db"), url)
	<-ctx.Done()
	if err := <-watchDone; err != nil {
		logger.Warn("watcher", "error", err)
	}
	fmt.Fprintln(stdio.Err, "phonecheck: stopping")
	return ExitOK
}

// stageCacheFor is how long phonecheck_files{stage} counts are reused.
const stageCacheFor = 10 * time.Second

// startOfflineServer runs the offline v1 API in this process with the data
// dir's key (created and printed once on first start).
func startOfflineServer(ctx context.Context, data, listen string, logger *slog.Logger, m *metrics.Metrics) (*apiserver.Server, string, string, error) {
	key, _, err := apiserver.LoadOrCreateKey(apiserver.StateDir(data))
	if err != nil {
		return nil, "", "", err
	}
	srv, err := apiserver.New(apiserver.Config{Dir: apiserver.StateDir(data), Keys: []apiserver.Key{apiserver.NewKey(key)},
		Logger: quiet(logger), Wrap: m.Middleware})
	if err != nil {
		return nil, "", "", err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		srv.Close()
		return nil, "", "", fmt.Errorf("offline API server: cannot listen on %s: %w (use --api-listen)", listen, err)
	}
	go func() {
		if err := srv.Serve(ctx, ln); err != nil && !errors.Is(err, context.Canceled) {
			logger.Warn("offline API server stopped", "error", err)
		}
	}()
	return srv, ln.Addr().String(), key, nil
}

func runWorkerCmd(args []string, stdio IO) int {
	const name = "worker"
	fs := newFlags(name, "[--temporal-address HOST:PORT] [--namespace NS] [--api-url URL] [--api-key KEY] [--data-dir DIR] [--metrics-listen ADDR]", stdio)
	b := bindConfig(fs, "api.url", "api.key", "data_dir", "out", "store", "api.timeout")
	tf := addTemporalFlags(b)
	b.Add(config.RunKeys...)
	pos, cfg, code, ok := parseBound(stdio, name, fs, b, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return usageError(stdio, name, "unexpected argument %q (worker takes only flags)", pos[0])
	}
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
	opts, _ := tf.options()
	opts.Logger, opts.MetricsHandler = rt.log, rt.temporalMetrics()
	c, err := temporalx.Dial(opts)
	if err != nil {
		return runError(stdio, name, err, "")
	}
	defer c.Close()
	wopts := rt.workerOptions()
	acts := &activities.Activities{API: rt.metrics.TaskAPI(api), Store: st, Scratch: filepath.Join(absPath(dataDir), "scratch")}
	defer activities.CloseOutputs(acts)
	w := workflows.NewWorker(c, acts, wopts)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
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

// quiet is the offline server's logger inside up: its request lines are
// debug there (the pipeline's own logs say what happens).
func quiet(l *slog.Logger) *slog.Logger {
	return slog.New(levelShift{l.Handler()})
}

// levelShift logs info records at debug.
type levelShift struct{ slog.Handler }

func (h levelShift) Enabled(ctx context.Context, l slog.Level) bool {
	if l == slog.LevelInfo {
		l = slog.LevelDebug
	}
	return h.Handler.Enabled(ctx, l)
}

func (h levelShift) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelInfo {
		r.Level = slog.LevelDebug
	}
	return h.Handler.Handle(ctx, r)
}

func (h levelShift) WithAttrs(a []slog.Attr) slog.Handler { return levelShift{h.Handler.WithAttrs(a)} }
func (h levelShift) WithGroup(n string) slog.Handler      { return levelShift{h.Handler.WithGroup(n)} }
