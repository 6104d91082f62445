package cli

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/phonecheck/phonecheck/activities"
	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/config"
	"github.com/phonecheck/phonecheck/internal/store"
	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/watcher"
	"github.com/phonecheck/phonecheck/workflows"
)

// workflowStarter starts the pipeline workflow for each file the watcher
// claims (up and watch), after putting the file's content into the
// workers' store.
type workflowStarter struct {
	c     client.Client
	store *store.Store
	// filesQueue is where this host serves the archive step ("" when the
	// workers run on this host too, as in up).
	filesQueue string
	// archiveWait bounds an archive's wait on filesQueue (0: 1 h).
	archiveWait time.Duration
	// pollInterval is the first wait between polls (0: the workflow's
	// default for a billed service, 2 s).
	pollInterval time.Duration
}

func (s workflowStarter) Start(ctx context.Context, cl watcher.Claim) (watcher.StartResult, error) {
	f := cl.Folder
	in := workflows.Input{Path: cl.Path, Name: cl.Name, SHA256: cl.SHA256, Size: cl.Size, Options: workflows.Options{Region: f.Region, Columns: f.Columns, RegionColumn: f.RegionColumn, Sheet: f.Sheet, Split: f.Split}, Formats: f.Formats, Notify: f.Notify,
		OutputDir: f.OutputDir, DoneDir: f.DoneDir(), FailedDir: f.FailedDir(), FilesQueue: s.filesQueue,
		ArchiveWait: s.archiveWait, PollInterval: s.pollInterval}
	run, existing, err := workflows.Submit(ctx, s.c, s.store, in)
	if activities.IsDiskFull(err) {
		// Retrying every few seconds does not make room: the file goes to
		// failed/ with the reason, where a person looks.
		return watcher.StartResult{}, watcher.Permanent(err)
	}
	if err != nil {
		return watcher.StartResult{}, err
	}
	res := watcher.StartResult{WorkflowID: run.GetID(), Existing: existing}
	if existing {
		id, runID := run.GetID(), run.GetRunID()
		res.Path = workflows.StartedPath(ctx, s.c, id, runID)
		res.Await = func(ctx context.Context) (watcher.Outcome, error) {
			ok, reason, err := workflows.Outcome(ctx, s.c, id, runID)
			return watcher.Outcome{OK: ok, Reason: reason}, err
		}
	}
	return res, nil
}

// folderSettings are the settings of the runs started from folders given
// as arguments (a watch config's folders have their own).
type folderSettings struct {
	region, formats, out, notify string
	split                        bool
}

func folderFlags(cfg *config.Resolved, out string) folderSettings {
	return folderSettings{region: cfg.String("region"), formats: cfg.String("formats"), out: out,
		notify: cfg.String("notify"), split: cfg.Bool("split")}
}

// watchFolders builds the watcher's folders from DIR arguments and flags.
func watchFolders(dirs []string, fs folderSettings, poll bool, settle time.Duration) ([]watcher.Folder, error) {
	reg, err := phone.NormalizeRegion(fs.region)
	if err != nil {
		return nil, fmt.Errorf("--region: %v", err)
	}
	fmts, err := config.ParseFormats(fs.formats)
	if err != nil {
		return nil, fmt.Errorf("--formats: %v", err)
	}
	var folders []watcher.Folder
	for _, d := range dirs {
		folders = append(folders, watcher.Folder{Dir: absPath(d), Region: reg, Formats: fmts, OutputDir: outLocation(fs.out), Poll: poll, Settle: settle,
			Split: fs.split, Notify: fs.notify})
	}
	return folders, nil
}

// tableFolders gives the folders of DIR arguments what --column,
// --region-column and --sheet choose of a table input.
func tableFolders(folders []watcher.Folder, cfg *config.Resolved) {
	for i := range folders {
		folders[i].Columns, folders[i].RegionColumn, folders[i].Sheet = cfg.List("column"), cfg.String("region_column"), cfg.String("sheet")
	}
}

// inputOptions are a submitted file's options: the region, split, and
// what is read of a table input.
func inputOptions(cfg *config.Resolved, region string) workflows.Options {
	return workflows.Options{Region: region, Split: cfg.Bool("split"), Columns: cfg.List("column"), RegionColumn: cfg.String("region_column"), Sheet: cfg.String("sheet")}
}
