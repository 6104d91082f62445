package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/phonecheck/phonecheck/activities"
	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/config"
	"github.com/phonecheck/phonecheck/watcher"
	"github.com/phonecheck/phonecheck/workflows"
)

var watchCmd = &command{
	name:    "watch",
	args:    "DIR...",
	summary: "start the pipeline for every file dropped into the folders",
	about: "Starts one workflow per file dropped into the folders, exactly once, never on a\n" +
		"half-written file. It puts each claimed file into the store and serves the archive step\n" +
		"for its own files (task queue `phonecheck-files-<id>`, `--watcher-id`, by default the host\n" +
		"name), so the workers may run anywhere; a watcher recreated with the same id takes up the\n" +
		"archives left waiting, and an archive that waits longer than `--archive-wait` ends its file\n" +
		"as failed with a reason naming the watcher (stage `awaiting-watcher` meanwhile). For the inbox `/data/inbox`, `processing/inbox`, `done/inbox` and `failed/inbox`\n" +
		"lie beside it under `/data`. A copy of content that already has a workflow waits in\n" +
		"`processing/` for that workflow to end, then follows it: to `done/` with a `.duplicate`\n" +
		"note naming the workflow, or to `failed/` with the workflow's reason.\n" +
		"- File system events are hints; rescans at start, every 10 s and after any overflow are the truth.\n" +
		"- `--poll` (chosen by itself on NFS, SMB and FUSE) only scans.\n" +
		"- `--watch-config` takes a JSON file with per-folder settings (region, column, region_column,\n" +
		"  sheet, formats, split, notify, out, settle, min_age, recursive, done_marker, patterns); unknown\n" +
		"  keys are errors. `--config` with such a file (an object with \"folders\") still works as it\n" +
		"  did before the config file existed.",
	docs: "scaling.md",
	keys: slices.Concat([]string{"watch.config", "region", "split", "notify", "formats", "out", "store", "data_dir", "watch.poll", "watch.settle", "watch.id", "watch.archive_wait"},
		config.InputKeys, config.TemporalKeys, config.RunKeys),
	repeat:            []string{"column"},
	legacyWatchConfig: true,
	run:               runWatch,
}

func runWatch(x *call) int {
	stdio, name, cfg, dirs := x.stdio, x.name, x.cfg, x.args
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
	folders, err := watchFolders(dirs, folderFlags(cfg, cfg.String("out")), cfg.Bool("watch.poll"), settle)
	if err != nil {
		return usageError(stdio, name, "%v", err)
	}
	tableFolders(folders, cfg)
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
	c, _, err := rt.dial(cfg)
	if err != nil {
		return runError(stdio, name, err, "")
	}
	defer c.Close()
	// The claimed files are on this host: it archives them, whichever
	// worker runs the rest, on the queue of its id, which outlives a
	// container's host name when set.
	id := cfg.String("watch.id")
	if id == "" {
		if id, err = os.Hostname(); err != nil {
			return runError(stdio, name, err, "")
		}
	}
	files := workflows.NewFilesWorker(c, &activities.Activities{Store: st}, id)
	if err := files.Start(); err != nil {
		return runError(stdio, name, err, "")
	}
	defer files.Stop()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	w, err := watcher.New(wcfg, rt.metrics.Starter(workflowStarter{c: c, store: st, filesQueue: workflows.FilesQueue(id), archiveWait: cfg.Duration("watch.archive_wait")}), rt.log)
	if err != nil {
		return usageError(stdio, name, "%v", err)
	}
	rt.metrics.WatchWatcher(w)
	rt.metrics.Stages(c, stageCacheFor, rt.log)
	rt.ready("temporal", temporalReachable(c))
	if err := rt.serve(ctx, stdio, name); err != nil {
		return runError(stdio, name, err, "")
	}
	fmt.Fprintf(stdio.Err, "phonecheck watch: watcher id %s (archives wait for it at most %v)\n", id, cfg.Duration("watch.archive_wait"))
	for _, f := range w.Folders() {
		fmt.Fprintf(stdio.Err, "phonecheck watch: %s (done: %s, failed: %s)\n", f.Dir, f.DoneDir(), f.FailedDir())
	}
	if err := w.Run(ctx); err != nil {
		return runError(stdio, name, err, "")
	}
	return ExitOK
}
