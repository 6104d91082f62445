package workflows_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/phonecheck/phonecheck/activities"
	"github.com/phonecheck/phonecheck/internal/corpus"
	"github.com/phonecheck/phonecheck/internal/report"
	"github.com/phonecheck/phonecheck/internal/store"
	"github.com/phonecheck/phonecheck/internal/testkit"
	"github.com/phonecheck/phonecheck/internal/testkit/stack"
	"github.com/phonecheck/phonecheck/internal/validate"
	"github.com/phonecheck/phonecheck/results"
	"github.com/phonecheck/phonecheck/workflows"
)

type liveStack struct{ *stack.Stack }

func newStack(t testing.TB, processingDelay time.Duration) liveStack {
	if b, ok := t.(*testing.B); ok {
		b.StopTimer()
		defer b.StartTimer()
	}
	return liveStack{stack.New(t, processingDelay)}
}

// input writes a numbers file into the stack's inbox and returns the workflow input.
func (s liveStack) input(t testing.TB, name string, lines int, seed uint64) workflows.Input {
	var b bytes.Buffer
	corpus.New(seed).Write(&b, lines)
	path := filepath.Join(s.Dir, "inbox", name)
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b.Bytes())
	sha := hex.EncodeToString(sum[:])
	return workflows.Input{Path: path, Name: name, SHA256: sha, Size: int64(b.Len()), Options: workflows.Options{Region: corpus.Region},
		Formats: []string{"csv", "xlsx"}, OutputDir: filepath.Join(s.Dir, "out"),
		DoneDir: filepath.Join(s.Dir, "done"), FailedDir: filepath.Join(s.Dir, "failed"), PollInterval: 500 * time.Millisecond}
}

// validateCSV is `phonecheck validate` on the same content.
func validateCSV(t testing.TB, content []byte, region string) []byte {
	var out bytes.Buffer
	w, _ := results.NewWriter(results.CSV, &out)
	if _, err := validate.Run(context.Background(), bytes.NewReader(content), w, validate.Options{Region: region}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return out.Bytes()
}

func waitResult(t testing.TB, c client.Client, id string) workflows.Result {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var res workflows.Result
	if err := c.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
		t.Fatalf("workflow %s: %v", id, err)
	}
	return res
}

// TestFileThroughThePipelineEqualsValidate runs a file through the live
// stack twice: small, with local steps, and as if large, every step an
// activity. Both give validate's CSV with one upload charge.
func TestFileThroughThePipelineEqualsValidate(t *testing.T) {
	s := newStack(t, 0)
	for _, mode := range []struct {
		name     string
		size     int64 // 0: the file's own
		history  string
		activity int    // activities scheduled
		watcher  string // the files queue's owner, as with phonecheck watch ("": none, as in up)
	}{
		{"local-steps", 0, "testdata/history_local.json", 1, ""},
		{"local-steps-files-queue", 0, "testdata/history_local_files_queue.json", 2, "pipeline-watcher"},
		{"activities", workflows.LocalStepMaxBytes + 1, "testdata/history_activities.json", 0, ""},
	} {
		t.Run(mode.name, func(t *testing.T) {
			in := s.input(t, mode.name+".txt", 5000, 21+uint64(len(mode.name)))
			if mode.size > 0 {
				in.Size = mode.size
			}
			if mode.watcher != "" {
				in.FilesQueue = workflows.FilesQueue(mode.watcher)
				files := workflows.NewFilesWorker(s.Client, &activities.Activities{Store: s.Store}, mode.watcher)
				if err := files.Start(); err != nil {
					t.Fatal(err)
				}
				defer files.Stop()
			}
			content, _ := os.ReadFile(in.Path)
			before, beforePolls := s.Charges("tasks"), s.Charges("gettasks")
			run, existing, err := workflows.Submit(context.Background(), s.Client, s.Store, in)
			if err != nil || existing {
				t.Fatalf("start: %v (existing %v)", err, existing)
			}
			res := waitResult(t, s.Client, run.GetID())
			got, err := os.ReadFile(res.Outputs["csv"])
			if err != nil {
				t.Fatal(err)
			}
			if want := validateCSV(t, content, in.Region); !bytes.Equal(got, want) {
				t.Fatalf("pipeline CSV differs from validate (%d vs %d bytes)", len(got), len(want))
			}
			if _, err := os.Stat(res.Outputs["xlsx"]); err != nil {
				t.Fatal(err)
			}
			page, err := os.ReadFile(res.Report)
			if err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf(`id="rows">%s<`, report.Group(res.Rows)); !bytes.Contains(page, []byte(want)) || filepath.Dir(res.Report) != res.OutputDir {
				t.Errorf("report %s lacks %s", res.Report, want)
			}
			if res.Archived != filepath.Join(in.DoneDir, in.Name) {
				t.Errorf("archived to %q", res.Archived)
			}
			if n := s.Charges("tasks") - before; n != 1 {
				t.Errorf("%d upload charges, want 1", n)
			}
			if n := s.Charges("gettasks") - beforePolls; n != res.Polls {
				t.Errorf("%d poll charges, workflow counted %d", n, res.Polls)
			}
			events := historyEvents(t, s.Client, run.GetID())
			scheduled, versions := 0, 0
			for _, e := range events.Events {
				if e.GetEventType() == enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED {
					scheduled++
				}
				if e.GetMarkerRecordedEventAttributes().GetMarkerName() == "Version" {
					versions++
				}
			}
			// The change level comes with the input: a new run records no
			// version marker, nor the upsert (a visibility write) that
			// comes with one.
			if versions != 0 {
				t.Errorf("%d version markers in a run started at change level %d, want none", versions, workflows.CurrentChanges)
			}
			if mode.activity > 0 && scheduled != mode.activity {
				t.Errorf("%d activities scheduled, want %d (the upload and an archive on a files queue; the rest local)", scheduled, mode.activity)
			}
			if mode.activity == 0 && scheduled < 8 {
				t.Errorf("%d activities scheduled, want every step", scheduled)
			}
			t.Logf("uploaded %d, folded %d, set aside %d, polls %d, %d history events, %d activities",
				res.Uploaded, res.Folded, res.SetAside, res.Polls, len(events.Events), scheduled)
			if *updateHistory {
				saveHistory(t, events, mode.history)
			}

			// The same content again is the same workflow: no second task.
			again := s.input(t, "copy-of-"+mode.name+".txt", 5000, 21+uint64(len(mode.name)))
			run2, existing, err := workflows.Submit(context.Background(), s.Client, s.Store, again)
			if err != nil || !existing || run2.GetID() != run.GetID() {
				t.Fatalf("second start: %v, existing %v, id %s", err, existing, run2.GetID())
			}
			if n := s.Charges("tasks") - before; n != 1 {
				t.Errorf("%d upload charges after the second start, want 1", n)
			}
		})
	}
}

var updateHistory = flag.Bool("update-history", false, "rewrite the current version's testdata/history_*.json from live runs")

// historyEvents reads a workflow's whole history.
func historyEvents(t *testing.T, c client.Client, id string) *historypb.History {
	var h historypb.History
	it := c.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, e)
	}
	return &h
}

// saveHistory writes a workflow's history as JSON for the replay test.
func saveHistory(t *testing.T, h *historypb.History, path string) {
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d events)", path, len(h.Events))
}

// waitStage polls the progress query until the workflow reaches stage.
func waitStage(t *testing.T, c client.Client, id, stage string) {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if v, err := c.QueryWorkflow(context.Background(), id, "", "progress"); err == nil {
			var p workflows.Progress
			if v.Get(&p) == nil && p.Stage == stage {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("workflow %s never reached %s", id, stage)
}

func TestWorkerStoppedMidPollResumesWithOneUpload(t *testing.T) {
	s := newStack(t, 400*time.Millisecond) // 400ms per 1000 rows: a few seconds of processing
	in := s.input(t, "slow.txt", 8000, 22)
	content, _ := os.ReadFile(in.Path)
	run, _, err := workflows.Submit(context.Background(), s.Client, s.Store, in)
	if err != nil {
		t.Fatal(err)
	}
	waitStage(t, s.Client, run.GetID(), workflows.StagePolling)
	s.StopWorker()
	time.Sleep(time.Second)
	s.StartWorker()
	res := waitResult(t, s.Client, run.GetID())
	if n := s.Charges("tasks"); n != 1 {
		t.Errorf("%d upload charges, want 1", n)
	}
	got, _ := os.ReadFile(res.Outputs["csv"])
	if !bytes.Equal(got, validateCSV(t, content, in.Region)) {
		t.Error("outputs differ from validate after the worker restart")
	}
}

// TestWorkersOnTwoHostsShareTheStore: the file is claimed on a third host,
// which only archives it; worker A prepares and uploads, then is gone with
// its scratch directory, and worker B, with a directory of its own, polls,
// downloads, joins and exports from the shared store. One upload charge,
// validate's CSV, and the input archived on the host that claimed it. The
// store is a shared directory, and then a bucket reached over the S3
// protocol (an in-process fake S3, as MinIO would be).
func TestWorkersOnTwoHostsShareTheStore(t *testing.T) {
	t.Run("directory", func(t *testing.T) { twoHosts(t, newStack(t, 400*time.Millisecond)) })
	t.Run("s3", func(t *testing.T) {
		s := newStack(t, 400*time.Millisecond)
		st, err := store.Open(context.Background(), testkit.FakeS3(t, "phonecheck"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		s.UseStore(st)
		twoHosts(t, s)
	})
}

func twoHosts(t *testing.T, s liveStack) {
	in := s.input(t, "shared.txt", 8000, 23)
	in.FilesQueue = workflows.FilesQueue("watcher-host")
	content, _ := os.ReadFile(in.Path)
	files := workflows.NewFilesWorker(s.Client, &activities.Activities{Store: s.Store}, "watcher-host")
	if err := files.Start(); err != nil {
		t.Fatal(err)
	}
	defer files.Stop()

	s.StopWorker()
	scratchA, scratchB := filepath.Join(s.Dir, "host-a"), filepath.Join(s.Dir, "host-b")
	s.StartWorkerAt(scratchA)
	run, _, err := workflows.Submit(context.Background(), s.Client, s.Store, in)
	if err != nil {
		t.Fatal(err)
	}
	waitStage(t, s.Client, run.GetID(), workflows.StagePolling)
	s.StopWorker()
	if err := os.RemoveAll(scratchA); err != nil { // host A is gone, and its disk with it
		t.Fatal(err)
	}
	s.StartWorkerAt(scratchB)
	res := waitResult(t, s.Client, run.GetID())
	if n := s.Charges("tasks"); n != 1 {
		t.Errorf("%d upload charges, want 1", n)
	}
	got, _ := os.ReadFile(res.Outputs["csv"])
	if !bytes.Equal(got, validateCSV(t, content, in.Region)) {
		t.Error("outputs differ from validate across workers")
	}
	if _, err := os.Stat(scratchA); !os.IsNotExist(err) {
		t.Errorf("worker B used worker A's scratch directory: %v", err)
	}
	if res.Archived != filepath.Join(in.DoneDir, "shared.txt") {
		t.Errorf("archived to %q", res.Archived)
	}
	// Done: the store keeps nothing of the file.
	if ok, _ := s.Store.Exists(context.Background(), in.Key); ok {
		t.Error("the input is still in the store")
	}
	if ok, _ := s.Store.Exists(context.Background(), "work/"+workflows.FileKey(in.SHA256, in.Options)+"/local.csv"); ok {
		t.Error("the work files are still in the store")
	}
}

func TestTemporalRestartedMidPollResumes(t *testing.T) {
	s := newStack(t, 400*time.Millisecond)
	in := s.input(t, "restart.txt", 8000, 23)
	run, _, err := workflows.Submit(context.Background(), s.Client, s.Store, in)
	if err != nil {
		t.Fatal(err)
	}
	waitStage(t, s.Client, run.GetID(), workflows.StagePolling)
	s.StopTemporal()
	s.StartTemporal()
	s.StartWorker()
	res := waitResult(t, s.Client, run.GetID())
	if n := s.Charges("tasks"); n != 1 {
		t.Errorf("%d upload charges, want 1", n)
	}
	if res.Stage != workflows.StageDone {
		t.Errorf("stage %s", res.Stage)
	}
}

func TestEmptyFileEndsInFailed(t *testing.T) {
	s := newStack(t, 0)
	path := filepath.Join(s.Dir, "inbox", "empty.txt")
	os.MkdirAll(filepath.Dir(path), 0o755)
	os.WriteFile(path, []byte("\n  \n\n"), 0o644)
	sum := sha256.Sum256([]byte("\n  \n\n"))
	in := workflows.Input{Path: path, Name: "empty.txt", SHA256: hex.EncodeToString(sum[:]), Formats: []string{"csv"},
		OutputDir: filepath.Join(s.Dir, "out"), DoneDir: filepath.Join(s.Dir, "done"), FailedDir: filepath.Join(s.Dir, "failed")}
	run, _, err := workflows.Submit(context.Background(), s.Client, s.Store, in)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = run.Get(ctx, nil)
	if err == nil {
		t.Fatal("an empty file succeeded")
	}
	reason, rerr := os.ReadFile(filepath.Join(s.Dir, "failed", "empty.txt.reason"))
	if rerr != nil || !bytes.Contains(reason, []byte("holds no phone numbers")) {
		t.Fatalf("reason %q, %v (workflow error %v)", reason, rerr, err)
	}
	if n := s.Charges("tasks"); n != 0 {
		t.Errorf("%d upload charges for an empty file", n)
	}
}

// BenchmarkPipeline1M carries a realistic 1M-line file from start to both
// exports on disk, on the live embedded stack; its baseline is validate
// writing the same two files from the same input in one process:
//
//	go test ./workflows -run '^$' -bench Pipeline -benchtime 1x
func BenchmarkPipeline1M(b *testing.B) {
	s := newStack(b, 0)
	in := s.input(b, "1m.txt", 1_000_000, 1)
	// validate first: the pipeline moves the inputs to done/.
	b.Run("validate", func(b *testing.B) {
		start := time.Now()
		validateFiles(b, s.Dir, []string{in.Path}, in.Region)
		b.ReportMetric(time.Since(start).Seconds(), "s/file")
	})
	b.Run("pipeline", func(b *testing.B) {
		start := time.Now()
		run, _, err := workflows.Submit(context.Background(), s.Client, s.Store, in)
		if err != nil {
			b.Fatal(err)
		}
		res := waitResult(b, s.Client, run.GetID())
		b.ReportMetric(time.Since(start).Seconds(), "s/file")
		b.Logf("rows %d, uploaded %d, polls %d", res.Rows, res.Uploaded, res.Polls)
	})
}

// validateFiles is the baseline of the pipeline benchmarks: validate
// writing CSV and XLSX for each file, one file after the other.
func validateFiles(b *testing.B, dir string, paths []string, region string) {
	for i, p := range paths {
		for _, f := range []results.Format{results.CSV, results.XLSX} {
			in, err := os.Open(p)
			if err != nil {
				b.Fatal(err)
			}
			out, err := results.Create(filepath.Join(dir, fmt.Sprintf("baseline-%d.%s", i, f)), f)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := validate.Run(context.Background(), in, out, validate.Options{Region: region}); err != nil {
				b.Fatal(err)
			}
			in.Close()
			if err := out.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkPipeline1000Files submits 1,000 files of 100 lines at once and
// waits for all of them: the per-workflow overhead.
func BenchmarkPipeline1000Files(b *testing.B) {
	s := newStack(b, 0)
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("PHONECHECK_BENCH_FILES")); err == nil && v > 0 {
		n = v // a shorter run while tuning; the README's figure is 1,000
	}
	ins := make([]workflows.Input, n)
	paths := make([]string, n)
	for i := range ins {
		ins[i] = s.input(b, fmt.Sprintf("f%04d.txt", i), 100, uint64(1000+i))
		paths[i] = ins[i].Path
	}
	// validate first: the pipeline moves the inputs to done/.
	b.Run("validate", func(b *testing.B) {
		start := time.Now()
		validateFiles(b, s.Dir, paths, corpus.Region)
		total := time.Since(start)
		b.ReportMetric(total.Seconds(), "s/all")
		b.ReportMetric(float64(total.Milliseconds())/float64(len(ins)), "ms/file")
	})
	b.Run("pipeline", func(b *testing.B) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		ids := make([]string, len(ins))
		for i, in := range ins {
			run, _, err := workflows.Submit(context.Background(), s.Client, s.Store, in)
			if err != nil {
				b.Fatal(err)
			}
			ids[i] = run.GetID()
		}
		polls := 0
		for _, id := range ids {
			polls += waitResult(b, s.Client, id).Polls
		}
		total := time.Since(start)
		runtime.ReadMemStats(&after)
		// The whole process's allocations: the embedded server's too.
		b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(len(ids))/1e6, "alloc-MB/file")
		b.ReportMetric(float64(polls)/float64(len(ids)), "polls/file")
		b.ReportMetric(total.Seconds(), "s/all")
		b.ReportMetric(float64(total.Milliseconds())/float64(len(ins)), "ms/file")
	})
}

// TestStartedPath: the path a run was started with is known from its memo,
// and, for runs started before the memo held it, from its start event.
func TestStartedPath(t *testing.T) {
	s := newStack(t, 0)
	s.StopWorker() // the runs stay open
	ctx := context.Background()
	in := s.input(t, "memo.txt", 10, 31)
	run, _, err := workflows.Submit(ctx, s.Client, s.Store, in)
	if err != nil {
		t.Fatal(err)
	}
	if got := workflows.StartedPath(ctx, s.Client, run.GetID(), run.GetRunID()); got != in.Path {
		t.Errorf("StartedPath = %q, want %q", got, in.Path)
	}
	old := s.input(t, "old.txt", 10, 32)
	oldRun, err := s.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.WorkflowID(old.SHA256, old.Options), TaskQueue: workflows.TaskQueue,
		Memo: map[string]any{"file": old.Name}}, workflows.ProcessFile, old)
	if err != nil {
		t.Fatal(err)
	}
	if got := workflows.StartedPath(ctx, s.Client, oldRun.GetID(), ""); got != old.Path {
		t.Errorf("StartedPath of a run without the path in its memo = %q, want %q", got, old.Path)
	}
	if got := workflows.StartedPath(ctx, s.Client, "phonecheck-unknown", ""); got != "" {
		t.Errorf("StartedPath of an unknown workflow = %q", got)
	}
}

// TestWorkersNameTheirBuild: each workflow task records the build of the
// worker that ran it. Given none, the SDK takes an MD5 of the whole
// executable at the worker's start (about a second of CPU).
func TestWorkersNameTheirBuild(t *testing.T) {
	s := newStack(t, 0)
	in := s.input(t, "build.txt", 20, 5)
	run, _, err := workflows.Submit(context.Background(), s.Client, s.Store, in)
	if err != nil {
		t.Fatal(err)
	}
	waitResult(t, s.Client, run.GetID())
	ctx := context.Background()
	tasks := 0
	for it := s.Client.GetWorkflowHistory(ctx, run.GetID(), "", false, 0); it.HasNext(); {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := e.GetWorkflowTaskCompletedEventAttributes(); a != nil {
			tasks++
			build := cmp.Or(a.GetWorkerVersion().GetBuildId(), a.GetBinaryChecksum())
			if !strings.HasPrefix(build, "phonecheck@") {
				t.Fatalf("workflow task %d recorded build %q", e.GetEventId(), build)
			}
		}
	}
	if tasks == 0 {
		t.Fatal("no workflow task completed")
	}
}
