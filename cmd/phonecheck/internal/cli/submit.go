package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/config"
	"github.com/phonecheck/phonecheck/internal/durable"
	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/workflows"
)

var submitCmd = &command{
	name:    "submit",
	args:    "FILE",
	summary: "start the pipeline for a file (a copy; your file is not touched)",
	about: "Starts the workflow for a copy of FILE, made in `--data-dir`; your file is not touched. A\n" +
		"file submitted before (the same content) is not started again: submit names its workflow.\n" +
		"With `--wait` it shows a progress bar with ETA on a terminal (nothing in a pipe), then the outputs; it exits 1 if the file failed.\n" +
		"`--force` starts afresh once the file's run has closed: it takes neither the recorded results\n" +
		"nor the task recorded for the same numbers, and uploads again (billed), for a task the\n" +
		"service lost or failed, or an upload that failed as ambiguous (see reliability.md).",
	docs:   "results.md",
	keys:   slices.Concat([]string{"region", "split", "notify", "formats", "out", "data_dir", "store"}, config.InputKeys, config.TemporalKeys),
	repeat: []string{"column"},
	flags: func(fs *flag.FlagSet) func(*call) int {
		wait := fs.Bool("wait", false, "wait for the results, with a progress bar on a terminal")
		force := fs.Bool("force", false, "start afresh: upload again (billed) although the file finished before, or its task was recorded, failed or is ambiguous")
		asJSON := fs.Bool("json", false, "print the workflow's state as JSON")
		return func(x *call) int { return runSubmit(x, *wait, *force, *asJSON) }
	},
}

func runSubmit(x *call, wait, force, asJSON bool) int {
	stdio, name, cfg, pos := x.stdio, x.name, x.cfg, x.args
	if len(pos) != 1 {
		return usageError(stdio, name, "give one FILE to submit")
	}
	reg, err := phone.NormalizeRegion(cfg.String("region"))
	if err != nil {
		return usageError(stdio, name, "--region: %v", err)
	}
	fmts, err := config.ParseFormats(cfg.String("formats"))
	if err != nil {
		return usageError(stdio, name, "--formats: %v", err)
	}
	keepLegacyLayout(cfg, stdio, "data_dir", "out")
	out := cfg.String("out")
	data := absPath(cfg.String("data_dir"))
	copyPath, sum, size, err := copyIn(pos[0], filepath.Join(data, "submitted"))
	if err != nil {
		return runError(stdio, name, err, "")
	}
	ctx := context.Background()
	st, err := openStore(cfg.String("store"), data)
	if err != nil {
		os.Remove(copyPath)
		return runError(stdio, name, err, "")
	}
	defer st.Close()
	c, err := dialTemporal(cfg)
	if err != nil {
		os.Remove(copyPath)
		return runError(stdio, name, err, "")
	}
	defer c.Close()
	in := workflows.Input{Path: copyPath, Name: filepath.Base(pos[0]), SHA256: sum, Size: size, Options: inputOptions(cfg, reg), Formats: fmts, Notify: cfg.String("notify"),
		OutputDir: outLocation(out), DoneDir: filepath.Join(data, "done"), FailedDir: filepath.Join(data, "failed")}
	if force {
		in.Generation = workflows.NewGeneration()
	}
	run, existing, err := workflows.Submit(ctx, c, st, in)
	if err != nil {
		os.Remove(copyPath)
		return runError(stdio, name, err, "")
	}
	if existing && force {
		os.Remove(copyPath)
		return runError(stdio, name, fmt.Errorf("%s is still running: --force starts afresh only once it has closed", run.GetID()),
			"wait for it, or cancel it first (temporal workflow cancel --workflow-id "+run.GetID()+")")
	}
	if existing {
		os.Remove(copyPath) // the earlier submission has its own copy
		fmt.Fprintf(stdio.Err, "phonecheck: %s was submitted before (same content): %s\n", pos[0], run.GetID())
	} else if !asJSON {
		fmt.Fprintf(stdio.Err, "phonecheck: submitted %s as %s\n", pos[0], run.GetID())
	}
	if !wait {
		if asJSON {
			return printJSON(stdio, map[string]any{"workflow_id": run.GetID(), "run_id": run.GetRunID(), "existing": existing})
		}
		fmt.Fprintf(stdio.Out, "%s\n", run.GetID())
		return ExitOK
	}
	return waitAndReport(ctx, c, run, stdio, asJSON)
}

// copyIn copies the user's file into dir (the user's file is never moved
// or changed) and returns the copy's path and the content's sha256.
func copyIn(src, dir string) (path, sum string, size int64, err error) {
	f, err := os.Open(src)
	if err != nil {
		return "", "", 0, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return "", "", 0, err
	} else if st.IsDir() {
		return "", "", 0, fmt.Errorf("%s is a directory", src)
	}
	if err := ensureDir(dir); err != nil {
		return "", "", 0, err
	}
	tmp, err := os.CreateTemp(dir, ".submit-*")
	if err != nil {
		return "", "", 0, err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	if size, err = io.Copy(io.MultiWriter(tmp, h), f); err != nil {
		tmp.Close()
		return "", "", 0, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", "", 0, err
	}
	if err := tmp.Close(); err != nil {
		return "", "", 0, err
	}
	sum = hex.EncodeToString(h.Sum(nil))
	path = filepath.Join(dir, sum[:12]+"-"+filepath.Base(src))
	return path, sum, size, durable.Rename(tmp.Name(), path)
}

// waitAndReport shows progress until the workflow closes, then its result.
func waitAndReport(ctx context.Context, c client.Client, run client.WorkflowRun, stdio IO, asJSON bool) int {
	done := make(chan error, 1)
	var res workflows.Result
	go func() { done <- run.Get(ctx, &res) }()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	for {
		select {
		case err := <-done:
			if stdio.ErrIsTerminal && !asJSON {
				fmt.Fprint(stdio.Err, "\r\033[K")
			}
			if err != nil {
				if asJSON {
					printJSON(stdio, map[string]any{"workflow_id": run.GetID(), "status": "failed", "error": workflows.RootMessage(err)})
				}
				return runError(stdio, "submit", errors.New(workflows.RootMessage(err)), "see the .reason file in the failed folder")
			}
			if asJSON {
				return printJSON(stdio, res)
			}
			printResult(stdio, run.GetID(), res)
			return ExitOK
		case <-tick.C:
			if !stdio.ErrIsTerminal || asJSON {
				continue
			}
			if p, err := workflows.GetProgress(ctx, c, run.GetID()); err == nil {
				fmt.Fprintf(stdio.Err, "\r\033[K%s", progressText(p, time.Since(start)))
			}
		}
	}
}

func progressText(p workflows.Progress, elapsed time.Duration) string {
	s := fmt.Sprintf("%-11s %s", p.Stage, elapsed.Round(time.Second))
	if p.Total > 0 {
		done := p.Success + p.Failure
		s += fmt.Sprintf("  %s  %s/%s checked", bar(int64(done), int64(p.Total), 20), group(int64(done)), group(int64(p.Total)))
	}
	if p.Polls > 0 {
		s += fmt.Sprintf("  %d polls", p.Polls)
	}
	if !p.ETA.IsZero() {
		if left := time.Until(p.ETA); left > 0 {
			s += fmt.Sprintf("  ETA %s", left.Round(time.Second))
		}
	}
	return s
}
