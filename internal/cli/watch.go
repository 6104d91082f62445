package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/phonecheck/phonecheck/activities"
	"github.com/phonecheck/phonecheck/internal/config"
	"github.com/phonecheck/phonecheck/internal/store"
	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/temporalx"
	"github.com/phonecheck/phonecheck/watcher"
	"github.com/phonecheck/phonecheck/workflows"
)

// workflowStarter starts the pipeline workflow for each file the watcher
// claims, after putting the file's content into the workers' store.
type workflowStarter struct {
	c     client.Client
	store *store.Store
	// filesQueue is where this host serves the archive step ("" when the
	// workers run on this host too, as in up).
	filesQueue string
	// pollInterval is the first wait between polls (0: the workflow's
	// default for a billed service, 2 s).
	pollInterval time.Duration
}

func (s workflowStarter) Start(ctx context.Context, cl watcher.Claim) (watcher.StartResult, error) {
	f := cl.Folder
	key, err := activities.PutInput(ctx, s.store, cl.SHA256, cl.Path)
	if err != nil {
		return watcher.StartResult{}, err
	}
	in := workflows.Input{Path: cl.Path, Key: key, Name: cl.Name, SHA256: cl.SHA256, Size: cl.Size, Region: f.Region, Formats: f.Formats,
		OutputDir: f.OutputDir, DoneDir: f.DoneDir(), FailedDir: f.FailedDir(), FilesQueue: s.filesQueue,
		PollInterval: s.pollInterval}
	run, existing, err := workflows.Start(ctx, s.c, in)
	if err != nil {
		return watcher.StartResult{}, err
	}
	res := watcher.StartResult{WorkflowID: run.GetID(), Existing: existing}
	if existing {
		res.Path = workflows.StartedPath(ctx, s.c, run.GetID())
	}
	return res, nil
}

// watchFolders builds the watcher's folders from DIR arguments and flags.
func watchFolders(dirs []string, region, formats, out string, poll bool, settle time.Duration) ([]watcher.Folder, error) {
	reg, err := phone.NormalizeRegion(region)
	if err != nil {
		return nil, fmt.Errorf("--region: %v", err)
	}
	fmts, err := parseFormats(formats)
	if err != nil {
		return nil, err
	}
	var folders []watcher.Folder
	for _, d := range dirs {
		folders = append(folders, watcher.Folder{Dir: absPath(d), Region: reg, Formats: fmts, OutputDir: outLocation(out), Poll: poll, Settle: settle})
	}
	return folders, nil
}

func runWatch(args []string, stdio IO) int {
	const name = "watch"
	fs := newFlags(name, "DIR... [--config FILE] [--watch-config FILE] [--region XX] [--formats csv,xlsx] [--out DIR] [--poll] [--settle 2s] [--metrics-listen ADDR]", stdio)
	b := bindConfig(fs, "watch.config", "region", "formats", "out", "store", "data_dir", "watch.poll", "watch.settle")
	// watch --config once took the watcher's JSON file; such a file still works.
	b.LegacyWatchConfig = true
	tf := addTemporalFlags(b)
	b.Add(config.RunKeys...)
	dirs, cfg, code, ok := parseBound(stdio, name, fs, b, args)
	if !ok {
		return code
	}
	var wcfg watcher.Config
	var err error
	if p := cfg.String("watch.config"); p != "" {
		if wcfg, err = watcher.LoadConfig(p); err != nil {
			return usageError(stdio, name, "%v", err)
		}
	}
	settle := time.Duration(0)
	if cfg.Get("watch.settle").Source != config.FromDefault {
		settle = cfg.Duration("watch.settle") // else each folder's own or the watcher's default
	}
	folders, err := watchFolders(dirs, cfg.String("region"), cfg.String("formats"), cfg.String("out"), cfg.Bool("watch.poll"), settle)
	if err != nil {
		return usageError(stdio, name, "%v", err)
	}
	wcfg.Folders = append(wcfg.Folders, folders...)
	if len(wcfg.Folders) == 0 {
		return usageError(stdio, name, "give at least one folder to watch (or --watch-config FILE)")
	}
	rt, err := newRuntime(stdio, cfg, "")
	if err != nil {
		return usageError(stdio, name, "%v", err)
	}
	defer rt.close()
	st, err := openStore(cfg.String("store"), cfg.String("data_dir"))
	if err != nil {
		return runError(stdio, name, err, "")
	}
	defer st.Close()
	opts, _ := tf.options()
	opts.Logger, opts.MetricsHandler = rt.log, rt.temporalMetrics()
	c, err := temporalx.Dial(opts)
	if err != nil {
		return runError(stdio, name, err, "")
	}
	defer c.Close()
	// The claimed files are on this host: it archives them, whichever
	// worker runs the rest.
	host, err := os.Hostname()
	if err != nil {
		return runError(stdio, name, err, "")
	}
	files := workflows.NewFilesWorker(c, &activities.Activities{Store: st}, host)
	if err := files.Start(); err != nil {
		return runError(stdio, name, err, "")
	}
	defer files.Stop()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	w, err := watcher.New(wcfg, rt.metrics.Starter(workflowStarter{c: c, store: st, filesQueue: workflows.FilesQueue(host)}), rt.log)
	if err != nil {
		return usageError(stdio, name, "%v", err)
	}
	rt.metrics.WatchWatcher(w)
	rt.metrics.Stages(c, stageCacheFor, rt.log)
	rt.ready("temporal", temporalReachable(c))
	if err := rt.serve(ctx, stdio, name); err != nil {
		return runError(stdio, name, err, "")
	}
	for _, f := range w.Folders() {
		fmt.Fprintf(stdio.Err, "phonecheck watch: %s (done: %s, failed: %s)\n", f.Dir, f.DoneDir(), f.FailedDir())
	}
	if err := w.Run(ctx); err != nil {
		return runError(stdio, name, err, "")
	}
	return ExitOK
}
