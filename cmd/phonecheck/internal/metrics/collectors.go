package metrics

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/phonecheck/phonecheck/watcher"
	"github.com/phonecheck/phonecheck/workflows"
)

// WatchWatcher exports a watcher's live counters: files by event (seen,
// claimed, failed, …), rescans, overflows and errors. The watcher keeps the
// counters; this only reads them at scrape time.
func (m *Metrics) WatchWatcher(w *watcher.Watcher) {
	if m == nil {
		return
	}
	m.Registry.MustRegister(watcherCollector{w.Stats()})
}

var (
	watcherFilesDesc = prometheus.NewDesc(Namespace+"_watcher_files_total",
		"Files by watcher event: seen (noticed in an inbox), claimed (renamed into processing/), recovered (found in processing/ at start), "+
			"started (new workflow), existing (content already had one), duplicate (moved to done/), failed (moved to failed/ with a reason).",
		[]string{"event"}, nil)
	watcherRescansDesc   = prometheus.NewDesc(Namespace+"_watcher_rescans_total", "Full scans of an inbox.", nil, nil)
	watcherOverflowsDesc = prometheus.NewDesc(Namespace+"_watcher_overflows_total", "File system event queue overflows.", nil, nil)
	watcherErrorsDesc    = prometheus.NewDesc(Namespace+"_watcher_errors_total", "Errors the watcher logged (watch, scan, rename, start).", nil, nil)
	watcherRetriesDesc   = prometheus.NewDesc(Namespace+"_watcher_start_retries_total", "Workflow starts scheduled again after an error.", nil, nil)
)

type watcherCollector struct{ s *watcher.Stats }

func (c watcherCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{watcherFilesDesc, watcherRescansDesc, watcherOverflowsDesc, watcherErrorsDesc, watcherRetriesDesc} {
		ch <- d
	}
}

func (c watcherCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.s.Snapshot()
	for _, e := range []struct {
		event string
		n     int64
	}{{"seen", s.Seen}, {"claimed", s.Claimed}, {"recovered", s.Recovered}, {"started", s.Started},
		{"existing", s.Existing}, {"duplicate", s.Duplicates}, {"failed", s.Failed}} {
		ch <- prometheus.MustNewConstMetric(watcherFilesDesc, prometheus.CounterValue, float64(e.n), e.event)
	}
	ch <- prometheus.MustNewConstMetric(watcherRescansDesc, prometheus.CounterValue, float64(s.Rescans))
	ch <- prometheus.MustNewConstMetric(watcherOverflowsDesc, prometheus.CounterValue, float64(s.Overflows))
	ch <- prometheus.MustNewConstMetric(watcherErrorsDesc, prometheus.CounterValue, float64(s.Errors))
	ch <- prometheus.MustNewConstMetric(watcherRetriesDesc, prometheus.CounterValue, float64(s.Retries))
}

// Starter counts the watcher's workflow starts by result.
func (m *Metrics) Starter(next watcher.Starter) watcher.Starter {
	if m == nil {
		return next
	}
	return watcher.StarterFunc(func(ctx context.Context, c watcher.Claim) (watcher.StartResult, error) {
		res, err := next.Start(ctx, c)
		switch {
		case err != nil:
			m.workflowsStarted.WithLabelValues("error").Inc()
		case res.Existing:
			m.workflowsStarted.WithLabelValues("existing").Inc()
		default:
			m.workflowsStarted.WithLabelValues("started").Inc()
		}
		return res, err
	})
}

// CountStarted counts one start outside the watcher (submit-like callers).
func (m *Metrics) CountStarted(existing bool, err error) {
	if m == nil {
		return
	}
	switch {
	case err != nil:
		m.workflowsStarted.WithLabelValues("error").Inc()
	case existing:
		m.workflowsStarted.WithLabelValues("existing").Inc()
	default:
		m.workflowsStarted.WithLabelValues("started").Inc()
	}
}

// Stages exports phonecheck_files{stage}: how many files' workflows are in
// each stage, from Temporal's visibility (running workflows for the working
// stages, all kept ones for done and failed). Counts are cached for
// cacheFor, so scrapes cost at most one round of queries each period.
func (m *Metrics) Stages(c client.Client, cacheFor time.Duration, log *slog.Logger) {
	if m == nil {
		return
	}
	m.Registry.MustRegister(&stageCollector{c: c, every: cacheFor, log: log})
}

var stagesDesc = prometheus.NewDesc(Namespace+"_files", "Files whose workflow is in each stage (from Temporal visibility).", []string{"stage"}, nil)

// Stages of a file, in order (workflows.Stage*).
var stages = []string{workflows.StagePreparing, workflows.StageUploading, workflows.StagePolling, workflows.StageDownloading,
	workflows.StageJoining, workflows.StageExporting, workflows.StageArchiving, workflows.StageAwaitingWatcher, workflows.StageDone, workflows.StageFailed}

type stageCollector struct {
	c     client.Client
	every time.Duration
	log   *slog.Logger

	mu     sync.Mutex
	at     time.Time
	counts map[string]int64
}

func (s *stageCollector) Describe(ch chan<- *prometheus.Desc) { ch <- stagesDesc }

func (s *stageCollector) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.counts == nil || time.Since(s.at) >= s.every {
		counts, err := s.count()
		if err != nil {
			s.log.Debug("cannot count files by stage", "error", err)
		} else {
			s.counts, s.at = counts, time.Now()
		}
	}
	for _, st := range stages {
		if n, ok := s.counts[st]; ok {
			ch <- prometheus.MustNewConstMetric(stagesDesc, prometheus.GaugeValue, float64(n), st)
		}
	}
}

func (s *stageCollector) count() (map[string]int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	out := map[string]int64{}
	for _, st := range stages {
		q, _ := workflows.ListQuery(st) // stage names are constants
		if st != workflows.StageDone && st != workflows.StageFailed {
			q += " AND ExecutionStatus = 'Running'"
		}
		resp, err := s.c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: q})
		if err != nil {
			return nil, err
		}
		out[st] = resp.GetCount()
	}
	return out, nil
}
