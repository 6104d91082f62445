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
	"slices"
	"strings"
	"syscall"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/phonecheck/phonecheck/activities"
	"github.com/phonecheck/phonecheck/apiserver"
	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/config"
	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/logx"
	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/metrics"
	"github.com/phonecheck/phonecheck/internal/store"
	"github.com/phonecheck/phonecheck/temporalx"
	"github.com/phonecheck/phonecheck/temporalx/devserver"
	"github.com/phonecheck/phonecheck/watcher"
	"github.com/phonecheck/phonecheck/workflows"
)

// offlinePollInterval is up's first poll wait with its own offline server.
const offlinePollInterval = 250 * time.Millisecond

// upMemoryLimit is the soft heap limit of `up` (GOMEMLIMIT overrides it).
const upMemoryLimit = 350 << 20

var upCmd = &command{
	name:    "up",
	summary: "run everything in one process: embedded Temporal, worker, watcher, offline API",
	about: "Runs everything in one process:\n" +
		"- the embedded Temporal server on an SQLite file in `--data-dir`, its frontend on `--temporal-listen`\n" +
		"- the worker (none with `--no-worker`, for `phonecheck worker` processes of your own)\n" +
		"- the watcher on `--inbox`\n" +
		"- the offline API server on `--api-listen`, unless `--api-url` names a remote service\n" +
		"- the Temporal Web UI on `--ui-listen` (127.0.0.1:8233, as `temporal server start-dev` has it), unless `--no-ui`\n" +
		"\n" +
		"Everything it writes is under `./phonecheck/`: `inbox/`, `results/`, `processing/`, `done/`,\n" +
		"`failed/` and `state/` (unless `--inbox`, `--out` or `--data-dir` say otherwise); a directory\n" +
		"where an earlier version kept `.phonecheck/`, `inbox/` and `results/` keeps that layout.\n" +
		"\n" +
		"Ctrl-C stops it gracefully. Starting it again resumes every unfinished workflow from the\n" +
		"SQLite file. It logs warnings only unless `--log-level` is given: its banner says what matters.",
	docs: "deployment.md",
	keys: slices.Concat([]string{"data_dir", "inbox", "out", "api.listen", "temporal.listen", "api.url", "api.key", "region", "split", "notify", "notify_secret", "formats", "store",
		"api.timeout", "api.max_unanswered", "api.idempotent", "api.retry_budget", "record_retention", "up.no_worker", "ui.listen", "up.no_ui"},
		config.InputKeys, config.RunKeys),
	repeat: []string{"column"},
	run:    runUp,
}

func runUp(x *call) int {
	stdio, name, cfg := x.stdio, x.name, x.cfg
	keepLegacyLayout(cfg, stdio, "data_dir", "inbox", "out")
	out := cfg.String("out")
	folders, err := watchFolders([]string{cfg.String("inbox")}, folderFlags(cfg, out), false, 0)
	if err != nil {
		return usageError(stdio, name, "%v", err)
	}
	tableFolders(folders, cfg)
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

	dev, err := devserver.Start(devserver.Options{
		DatabaseFile:     filepath.Join(data, "temporal.db"),
		FrontendAddress:  cfg.String("temporal.listen"),
		SearchAttributes: map[string]enumspb.IndexedValueType{workflows.StageSearchAttribute: enumspb.INDEXED_VALUE_TYPE_KEYWORD},
	})
	if err != nil {
		return runError(stdio, name, err, "")
	}
	defer dev.Stop()
	uiLine := "off (--no-ui)"
	if !devserver.UIAvailable {
		uiLine = "not in this build (built with -tags noui)"
	} else if !cfg.Bool("up.no_ui") {
		ui, err := devserver.StartUI(devserver.UIOptions{Listen: cfg.String("ui.listen"), FrontendAddress: dev.Address()})
		if err != nil {
			return runError(stdio, name, err, "")
		}
		defer ui.Stop()
		uiLine = ui.URL()
	}

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
	acts := workerActivities(cfg, rt.metrics.TaskAPI(api), st, filepath.Join(data, "scratch"))
	// The offline server honours Idempotency-Key.
	acts.IdempotentAPI = acts.IdempotentAPI || apiURL == ""
	defer activities.CloseOutputs(acts)
	wopts := rt.workerOptions()
	go sweepRecords(ctx, st, acts.RecordRetention, logger)
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
	fmt.Fprintf(stdio.Out, "phonecheck is up.\n")
	for _, l := range [][2]string{
		{"drop files into", f.Dir},
		{"results in", outLocation(out) + "/<file>-<hash>/ (report.html, " + strings.Join(resultFiles(f.Formats), ", ") + ")"},
		{"inputs go to", f.DoneDir() + " or " + f.FailedDir() + " (with a .reason)"},
		{"Temporal UI", uiLine},
		{"Temporal", dev.Address() + " (state in " + filepath.Join(data, "temporal.db") + ")"},
		{"task API", url},
	} {
		fmt.Fprintf(stdio.Out, "  %-16s %s\n", l[0], l[1])
	}
	fmt.Fprintf(stdio.Out, "Stop with Ctrl-C; starting again resumes every unfinished file.\n")
	<-ctx.Done()
	if err := <-watchDone; err != nil {
		logger.Warn("watcher", "error", err)
	}
	fmt.Fprintln(stdio.Err, "phonecheck: stopping")
	return ExitOK
}

// resultFiles names a file's result files of the formats.
func resultFiles(formats []string) []string {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = "results." + f
	}
	return names
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
		StoreResults: true, Logger: quiet(logger), Wrap: m.Middleware})
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

// workerActivities are a worker's activities with the api.* settings that
// describe the remote service.
func workerActivities(cfg *config.Resolved, api activities.TaskAPI, st *store.Store, scratch string) *activities.Activities {
	acts := &activities.Activities{API: api, Store: st, Scratch: scratch,
		IdempotentAPI: cfg.Bool("api.idempotent"), RetryBudget: cfg.Int("api.retry_budget"), RecordRetention: cfg.Duration("record_retention"),
		NotifySecret: []byte(cfg.String("notify_secret"))}
	acts.MaxUnanswered, _ = config.ParseRate(cfg.String("api.max_unanswered"))
	return acts
}

// sweepRecords removes finished records and task ledgers past their
// retention from the store, at start and then hourly, until ctx ends.
func sweepRecords(ctx context.Context, st *store.Store, retention time.Duration, log *slog.Logger) {
	for {
		if n, err := activities.SweepRecords(ctx, st, retention); err != nil && ctx.Err() == nil {
			log.Warn("removing old records from the store", "error", err)
		} else if n > 0 {
			log.Info("removed old records from the store", "records", n, "retention", retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Hour):
		}
	}
}
