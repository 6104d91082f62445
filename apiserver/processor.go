package apiserver

import (
	"archive/zip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/phonecheck/phonecheck/apiserver/taskdb"
	"github.com/phonecheck/phonecheck/internal/bufpool"
	"github.com/phonecheck/phonecheck/internal/durable"
	"github.com/phonecheck/phonecheck/internal/validate"
	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/results"
)

// processTasks takes pending tasks from the store, oldest first, until ctx is done.
// The store is the queue, so nothing is lost between a crash and a restart.
func (s *Server) processTasks(ctx context.Context) {
	for ctx.Err() == nil {
		t, ok, err := s.db.Claim(ctx, s.now())
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("claiming a task", "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		if !ok {
			select {
			case <-s.wakeup:
			case <-ctx.Done():
			}
			continue
		}
		s.wake() // another idle processor may take the next one
		s.process(ctx, t)
	}
}

func (s *Server) process(ctx context.Context, t taskdb.Task) {
	log := s.log.With("task_id", t.ID, "user_id", t.UserID)
	log.Info("processing", "total", t.Total)
	sum, err := s.export(ctx, t)
	if ctx.Err() != nil {
		log.Info("processing interrupted: the task is processed again at the next start")
		return
	}
	status, reason := taskdb.Exported, ""
	if err != nil {
		log.Error("processing failed", "err", err)
		status, reason = taskdb.Failed, "processing failed: "+err.Error()
	}
	if err := s.db.Finish(ctx, t.ID, status, reason, sum.Valid, sum.Invalid, s.now()); err != nil {
		log.Error("recording the result", "err", err)
		return
	}
	log.Info("processed", "status", status, "rows", sum.Rows, "valid", sum.Valid, "invalid", sum.Invalid, "elapsed", sum.Elapsed)
}

// export validates the task's stored input into <id>.zip holding <id>.csv in
// the full result schema. The remote service takes no region (numbers come
// as E.164), so neither does this. The zip is written to a temp file and
// renamed, so a rerun after a crash simply replaces it.
func (s *Server) export(ctx context.Context, t taskdb.Task) (validate.Summary, error) {
	var sum validate.Summary
	in, err := os.Open(s.inputPath(t.ID))
	if err != nil {
		return sum, err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(s.taskDir, "."+t.ID+".zip-*.tmp")
	if err != nil {
		return sum, err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()

	bw := bufpool.Writer(tmp)
	defer bufpool.PutWriter(bw)
	zw := zip.NewWriter(bw)
	zw.RegisterCompressor(zip.Deflate, results.ParallelDeflate) // on every core: one core was the bottleneck
	method := zip.Deflate
	if s.cfg.StoreResults {
		method = zip.Store
	}
	entry, err := zw.CreateHeader(&zip.FileHeader{Name: t.ID + ".csv", Method: method, Modified: s.now()})
	if err != nil {
		return sum, err
	}
	csv, err := results.NewWriter(results.CSV, entry)
	if err != nil {
		return sum, err
	}
	// The workers encode the rows; cw only counts them (and applies the
	// delay) on the writing goroutine.
	cw := &counter{ctx: ctx, delay: s.cfg.ProcessingDelay}
	sum, err = validate.Run(ctx, in, cw, validate.Options{
		Encoder:       results.EncoderOf(csv),
		Region:        "",
		ProgressEvery: s.cfg.ProgressEvery,
		Progress: func(int64, int64) { // called on the writing goroutine, as Write is
			if err := s.db.Progress(ctx, t.ID, cw.valid, cw.invalid, s.now()); err != nil && ctx.Err() == nil {
				s.log.Warn("recording progress", "task_id", t.ID, "err", err)
			}
		},
	})
	for _, step := range []func() error{func() error { return err }, csv.Close, zw.Close, bw.Flush, tmp.Sync, tmp.Close} {
		if err := step(); err != nil {
			return sum, err
		}
	}
	done = true
	if err := durable.Rename(tmp.Name(), s.zipPath(t.ID)); err != nil {
		os.Remove(tmp.Name())
		return sum, err
	}
	return sum, nil
}

// counter counts verdicts for the progress counters, and applies
// Config.ProcessingDelay; then it passes the row on to w, if any.
type counter struct {
	w              validate.RowWriter
	ctx            context.Context
	delay          time.Duration
	valid, invalid int64
}

func (c *counter) Write(r *phone.Result) error {
	if r.IsValid() {
		c.valid++
	} else {
		c.invalid++
	}
	if c.delay > 0 && (c.valid+c.invalid)%1000 == 0 {
		if !sleep(c.ctx, c.delay) {
			return c.ctx.Err()
		}
	}
	if c.w == nil {
		return nil
	}
	return c.w.Write(r)
}

// sleep waits d or until ctx is done; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// janitor removes what is older than the retention period, at start and
// every JanitorEvery.
func (s *Server) janitor(ctx context.Context) {
	tick := time.NewTicker(s.cfg.JanitorEvery)
	defer tick.Stop()
	for {
		s.sweep(ctx)
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

func (s *Server) sweep(ctx context.Context) {
	cutoff := s.now().Add(-s.cfg.Retention)
	ids, err := s.db.CreatedBefore(ctx, cutoff)
	if err != nil {
		s.log.Error("janitor: listing old tasks", "err", err)
		return
	}
	for _, id := range ids {
		os.Remove(s.inputPath(id))
		os.Remove(s.zipPath(id))
		if err := s.db.Delete(ctx, id); err != nil {
			s.log.Error("janitor: deleting a task", "task_id", id, "err", err)
			return
		}
	}
	pruned, err := s.db.PruneCharges(ctx, cutoff)
	if err != nil {
		s.log.Error("janitor: pruning the ledger", "err", err)
		return
	}
	orphans := s.removeOrphans(ctx)
	if len(ids) > 0 || pruned > 0 || orphans > 0 {
		s.log.Info("janitor", "tasks_removed", len(ids), "charges_pruned", pruned, "orphan_files_removed", orphans)
	}
}

// removeOrphans deletes files no task owns (temp files of a crashed upload
// or export, an input whose task was never recorded) once they are older
// than any request could be.
func (s *Server) removeOrphans(ctx context.Context) int {
	grace := max(time.Hour, 2*s.cfg.WriteTimeout)
	entries, err := os.ReadDir(s.taskDir)
	if err != nil {
		s.log.Error("janitor: reading the task directory", "err", err)
		return 0
	}
	n := 0
	for _, e := range entries {
		name := strings.TrimPrefix(e.Name(), ".")
		if len(name) >= 36 && validID(name[:36]) {
			if _, err := s.db.Task(ctx, name[:36]); !errors.Is(err, taskdb.ErrNotFound) {
				continue // owned, or unknown because the lookup failed: keep it
			}
		}
		fi, err := e.Info()
		if err != nil || s.now().Sub(fi.ModTime()) < grace {
			continue
		}
		if os.Remove(filepath.Join(s.taskDir, e.Name())) == nil {
			n++
		}
	}
	return n
}
