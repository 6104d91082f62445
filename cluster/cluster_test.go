//go:build cluster

package cluster

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/internal/testkit"
	"github.com/phonecheck/phonecheck/workflows"
)

// Sizes: CLUSTER_LINES is the lines of the large files (killed mid-upload
// and mid-export; above the size that runs local steps), CLUSTER_FILES the
// small files of each batch.
var (
	bigLines   = envInt("CLUSTER_LINES", 1_000_000)
	smallFiles = envInt("CLUSTER_FILES", 20)
)

func envInt(name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			panic(fmt.Sprintf("%s=%q is not a number", name, v))
		}
		return n
	}
	return def
}

// TestCluster runs docker-compose.yml's layout and takes files through the
// watcher while its processes are killed with SIGKILL and brought back by
// their restart policy. Every file, whatever was killed on its way, must
// come out byte-identical to `phonecheck validate` with exactly one charged
// upload.
func TestCluster(t *testing.T) {
	if bigLines*15 < workflows.LocalStepMaxBytes {
		t.Fatalf("CLUSTER_LINES=%d: the large files must exceed %d bytes to run as activities", bigLines, workflows.LocalStepMaxBytes)
	}
	c := newCluster(t, nil)
	var all []*file
	seed := uint64(1)
	batch := func(prefix string, n, lines int) []*file {
		fs := numbers(t, prefix, n, lines, seed)
		seed += uint64(n)
		all = append(all, fs...)
		return fs
	}
	const timeout = 10 * time.Minute

	t.Run("doctor", func(t *testing.T) { c.doctor(t) })
	if t.Failed() {
		t.FailNow()
	}

	t.Run("files", func(t *testing.T) {
		files := append(batch("small", smallFiles, 100), batch("large", 1, bigLines)...)
		start := time.Now()
		c.drop(files...)
		c.finish(t, files, timeout)
		t.Logf("%d small files and one of %d lines in %s", smallFiles, bigLines, time.Since(start).Round(time.Millisecond))
	})

	// Temporal's services, killed while files run.
	for _, role := range []string{"history", "matching"} {
		t.Run("kill-temporal-"+role, func(t *testing.T) {
			files := append(batch(role, smallFiles, 500), batch(role+"-large", 1, bigLines/2)...)
			c.drop(files...)
			large := files[len(files)-1]
			c.waitStage(t, large, workflows.StagePolling)
			in := c.temporal(role)
			in.kill()
			in.waitRestarted(t, in.restarts+1)
			t.Logf("temporal %s killed and restarted (its restart policy %q)", role, in.restart)
			c.finish(t, files, timeout)
		})
	}

	// A worker killed while it runs the billed upload, and while it writes
	// the outputs.
	for _, activity := range []string{"Upload", "Export"} {
		t.Run("kill-worker-mid-"+strings.ToLower(activity), func(t *testing.T) {
			files := batch("worker-"+strings.ToLower(activity), 1, bigLines)
			c.drop(files...)
			pid, ok := c.pendingActivity(t, files[0].id, activity, 5*time.Minute)
			if !ok {
				t.Fatalf("%s did not run %s on a worker", files[0].name, activity)
			}
			w := c.workerByPid(t, pid)
			restarts := w.restarts
			w.kill()
			w.waitRestarted(t, restarts+1)
			t.Logf("%s (pid %d) killed during %s and restarted", w.name, pid, activity)
			c.finish(t, files, timeout)
		})
	}

	t.Run("kill-watcher", func(t *testing.T) {
		files := batch("watch", smallFiles, 100)
		c.drop(files...)
		c.waitStarted(t, files[0])
		w := c.replica("phonecheck-watch", 1)
		restarts := w.restarts
		w.kill()
		w.waitRestarted(t, restarts+1)
		c.finish(t, files, timeout)
		c.checkInboxEmpty(t)
	})

	t.Run("worker-added", func(t *testing.T) {
		// Large files run every step as an activity, which any worker takes.
		files := append(batch("scale-large", 4, bigLines), batch("scale", 3*smallFiles, 100)...)
		c.drop(files...)
		c.waitStarted(t, files[0])
		w := c.startReplica("phonecheck-worker", 3)
		c.healthy(w, 2*time.Minute)
		c.finish(t, files, timeout)
		if n := c.metric(t, w, "phonecheck_activity_duration_seconds_count"); n == 0 {
			t.Errorf("the worker added while %d files ran took no activity", len(files))
		} else {
			t.Logf("the worker added while files ran took %.0f activities", n)
		}
	})

	t.Run("clients-agree", func(t *testing.T) { c.checkClientsAgree(t, all) })
}

// doctor runs `phonecheck doctor` with a worker's settings and the
// watcher's inbox and results, requires every check ✓, and returns its
// report.
func (c *cluster) doctor(t *testing.T) string {
	t.Helper()
	out, err := c.run(t, "phonecheck-worker", "doctor", "--inbox", c.inbox, "--out", c.out)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(line, "✓") {
			t.Errorf("doctor: %s", line)
		}
	}
	t.Logf("doctor against the cluster:\n%s", out)
	return out
}

// waitStarted waits until the file's workflow exists.
func (c *cluster) waitStarted(t *testing.T, f *file) {
	t.Helper()
	testkit.WaitFor(t, 2*time.Minute, f.name+" started", func() bool {
		_, err := c.c.DescribeWorkflowExecution(t.Context(), f.id, "")
		return err == nil
	})
}

// waitStage waits until the file's workflow has reached stage (or later).
func (c *cluster) waitStage(t *testing.T, f *file, stage string) {
	t.Helper()
	order := []string{workflows.StagePreparing, workflows.StageUploading, workflows.StagePolling, workflows.StageDownloading,
		workflows.StageJoining, workflows.StageExporting, workflows.StageArchiving, workflows.StageDone}
	testkit.WaitFor(t, 5*time.Minute, f.name+" in "+stage, func() bool {
		v, err := c.c.QueryWorkflow(t.Context(), f.id, "", "progress")
		if err != nil {
			return false
		}
		var p workflows.Progress
		return v.Get(&p) == nil && slices.Index(order, p.Stage) >= slices.Index(order, stage)
	})
}

// checkInboxEmpty: every file dropped was claimed, none left behind.
func (c *cluster) checkInboxEmpty(t *testing.T) {
	t.Helper()
	entries, _ := os.ReadDir(c.inbox)
	for _, e := range entries {
		t.Errorf("left in the inbox: %s", e.Name())
	}
}

// checkClientsAgree compares what phonecheck list/status say about every
// file with what the official temporal CLI says, an independent client of
// the same cluster.
func (c *cluster) checkClientsAgree(t *testing.T, files []*file) {
	t.Helper()
	limit := strconv.Itoa(len(files) + 10)
	out, err := c.run(t, "phonecheck-worker", "list", "--json", "--limit", limit)
	if err != nil {
		t.Fatal(err)
	}
	var ours []struct {
		ID     string `json:"workflow_id"`
		File   string `json:"file"`
		Stage  string `json:"stage"`
		Status string `json:"status"`
	}
	decode(t, []byte(out), &ours)
	var theirs []struct {
		Execution struct {
			WorkflowID string `json:"workflowId"`
		} `json:"execution"`
		Status           string `json:"status"`
		SearchAttributes struct {
			IndexedFields map[string]struct {
				Data string `json:"data"`
			} `json:"indexedFields"`
		} `json:"searchAttributes"`
	}
	decode(t, c.temporalCLI(t, "workflow", "list", "--query", "WorkflowType = 'ProcessFile'", "--limit", limit, "--output", "json"), &theirs)
	if len(ours) != len(files) || len(theirs) != len(files) {
		t.Errorf("phonecheck list shows %d files, temporal workflow list %d, %d were dropped", len(ours), len(theirs), len(files))
	}
	stages := map[string]string{}
	for _, w := range theirs {
		if w.Status != "WORKFLOW_EXECUTION_STATUS_COMPLETED" {
			t.Errorf("temporal: %s is %s", w.Execution.WorkflowID, w.Status)
		}
		var stage string
		if b, err := base64.StdEncoding.DecodeString(w.SearchAttributes.IndexedFields[workflows.StageSearchAttribute].Data); err == nil {
			json.Unmarshal(b, &stage)
		}
		stages[w.Execution.WorkflowID] = stage
	}
	names := map[string]string{}
	for _, r := range ours {
		names[r.ID] = r.File
		if r.Status != "completed" || r.Stage != workflows.StageDone {
			t.Errorf("phonecheck list: %s (%s) is %s in stage %s", r.ID, r.File, r.Status, r.Stage)
		}
		if s, ok := stages[r.ID]; !ok || s != r.Stage {
			t.Errorf("%s: phonecheck list says stage %q, temporal workflow list %q (listed %v)", r.ID, r.Stage, s, ok)
		}
	}
	for _, f := range files {
		if names[f.id] != f.name {
			t.Errorf("phonecheck list: %s is %q, want %s", f.id, names[f.id], f.name)
		}
		out, err := c.run(t, "phonecheck-worker", "status", f.id, "--json")
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			Status   string             `json:"status"`
			Progress workflows.Progress `json:"progress"`
		}
		decode(t, []byte(out), &st)
		var show struct {
			Events []struct {
				EventType string          `json:"eventType"`
				Completed json.RawMessage `json:"workflowExecutionCompletedEventAttributes"`
			} `json:"events"`
		}
		decode(t, c.temporalCLI(t, "workflow", "show", "--workflow-id", f.id, "--output", "json"), &show)
		last := ""
		if n := len(show.Events); n > 0 {
			last = show.Events[n-1].EventType
		}
		if st.Status != "completed" || st.Progress.Stage != workflows.StageDone || last != "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED" {
			t.Errorf("%s: phonecheck status %s (stage %s), temporal workflow show ends with %s", f.name, st.Status, st.Progress.Stage, last)
		}
	}
}
