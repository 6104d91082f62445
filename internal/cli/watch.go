package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/phonecheck/phonecheck/activities"
	"github.com/phonecheck/phonecheck/internal/store"
	"github.com/phonecheck/phonecheck/phone"
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
}

func (s workflowStarter) Start(ctx context.Context, cl watcher.Claim) (watcher.StartResult, error) {
	f := cl.Folder
	key, err := activities.PutInput(ctx, s.store, cl.SHA256, cl.Path)
	if err != nil {
		return watcher.StartResult{}, err
	}
	in := workflows.Input{Path: cl.Path, Key: key, Name: cl.Name, SHA256: cl.SHA256, Size: cl.Size, Region: f.Region, Formats: f.Formats,
		OutputDir: f.OutputDir, DoneDir: f.DoneDir(), FailedDir: f.FailedDir(), FilesQueue: s.filesQueue}
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
	fs := newFlags(name, "DIR... [--config FILE] [--region XX] [--formats csv,xlsx] [--out DIR] [--poll] [--settle 2s]", stdio)
	tf := addTemporalFlags(fs)
	config := fs.String("config", envDefault("watch-config", ""), "JSON file with per-folder settings (env PHONECHECK_WATCH_CONFIG)")
	region := fs.String("region", envDefault("region", ""), "default region for national numbers (env PHONECHECK_REGION)")
	formats := fs.String("formats", envDefault("formats", "csv,xlsx"), "export formats (env PHONECHECK_FORMATS)")
	out := fs.String("out", envDefault("out", defaultOut), "results folder or bucket URL (env PHONECHECK_OUT)")
	storeLoc := addStoreFlag(fs)
	dataDir := fs.String("data-dir", envDefault("data-dir", defaultDataDir), "holds the default store (env PHONECHECK_DATA_DIR)")
	poll := fs.Bool("poll", false, "scan on a timer instead of file system events (NFS, SMB, FUSE)")
	settle := fs.Duration("settle", 0, "how long a file must stay unchanged before it is taken (default 2s)")
	dirs, err := parse(fs, args)
	if err != nil {
		return exitForParse(err)
	}
	var cfg watcher.Config
	if *config != "" {
		if cfg, err = watcher.LoadConfig(*config); err != nil {
			return usageError(stdio, name, "%v", err)
		}
	}
	folders, err := watchFolders(dirs, *region, *formats, *out, *poll, *settle)
	if err != nil {
		return usageError(stdio, name, "%v", err)
	}
	cfg.Folders = append(cfg.Folders, folders...)
	if len(cfg.Folders) == 0 {
		return usageError(stdio, name, "give at least one folder to watch (or --config FILE)")
	}
	st, err := openStore(*storeLoc, *dataDir)
	if err != nil {
		return runError(stdio, name, err, "")
	}
	defer st.Close()
	c, err := tf.dial()
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
	logger := slog.New(slog.NewTextHandler(stdio.Err, &slog.HandlerOptions{Level: slog.LevelInfo}))
	w, err := watcher.New(cfg, workflowStarter{c: c, store: st, filesQueue: workflows.FilesQueue(host)}, logger)
	if err != nil {
		return usageError(stdio, name, "%v", err)
	}
	for _, f := range w.Folders() {
		fmt.Fprintf(stdio.Err, "phonecheck watch: %s (done: %s, failed: %s)\n", f.Dir, f.DoneDir(), f.FailedDir())
	}
	if err := w.Run(ctx); err != nil {
		return runError(stdio, name, err, "")
	}
	return ExitOK
}
