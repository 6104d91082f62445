//go:build cluster

package cluster

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/phonecheck/phonecheck/apiserver/taskdb"
	"github.com/phonecheck/phonecheck/internal/corpus"
	"github.com/phonecheck/phonecheck/temporalx"
	"github.com/phonecheck/phonecheck/workflows"
)

// Key is the API key of the cluster: distinctive, so that finding it in a
// log, a volume or a history is certain to be a leak.
const Key = "cluster-SECRET-4b1d7e90-n0tinl0gs-c3a5"

// Region is the default region the test puts in .env (PHONECHECK_REGION).
const Region = "CH"

// cluster is the compose project running here, with what the checks need.
type cluster struct {
	*layout
	c         client.Client
	inbox     string // the watcher's inbox (its command's argument)
	out       string // PHONECHECK_OUT of the watcher
	apiData   string // PHONECHECK_DATA_DIR of the API server
	namespace string
	started   time.Time
}

// newCluster lays the compose project of files (docker-compose.yml when
// none) out in a temp dir with vars as its .env and starts it.
func newCluster(t *testing.T, vars map[string]string, files ...string) *cluster {
	t.Helper()
	return newClusterWith(t, nil, vars, files...)
}

// newClusterWith is newCluster with edit applied to the loaded project
// before it starts (nil for none).
func newClusterWith(t *testing.T, edit func(*layout), vars map[string]string, files ...string) *cluster {
	t.Helper()
	env := map[string]string{"PHONECHECK_API_KEY": Key, "PHONECHECK_REGION": Region}
	for k, v := range vars {
		env[k] = v
	}
	begin := time.Now()
	if len(files) == 0 {
		files = []string{"docker-compose.yml"}
	}
	l := loadLayout(t, t.TempDir(), env, files...)
	if edit != nil {
		edit(l)
	}
	c := &cluster{layout: l}
	t.Cleanup(c.checkNoSecrets) // runs after the processes stopped
	l.up()
	t.Logf("compose: the project is up in %s", time.Since(begin).Round(time.Millisecond))
	c.started = time.Now()
	watch := l.service("phonecheck-watch")
	c.inbox = l.rewrite("phonecheck-watch", 1, watch.Command[len(watch.Command)-1])
	c.out = envValue(l.envOf("phonecheck-watch", 1), "PHONECHECK_OUT")
	c.apiData = envValue(l.envOf("phonecheck-api", 1), "PHONECHECK_DATA_DIR")
	c.namespace = envValue(l.envOf("phonecheck-worker", 1), "TEMPORAL_NAMESPACE")
	tc, err := temporalx.Dial(temporalx.ClientOptions{Address: l.addr("temporal:7233"), Namespace: c.namespace})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	c.c = tc
	return c
}

// envValue is k's value in env, the last one as exec takes it.
func envValue(env []string, k string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], k+"="); ok {
			return v
		}
	}
	return ""
}

// file is one input dropped into the inbox, with what a clean run of
// `phonecheck validate` makes of it.
type file struct {
	name      string
	content   []byte
	id        string // its workflow
	csv, xlsx []byte
	rows      int
}

// numbers makes n files of lines lines each, content from seeds from seed
// on, and their clean runs (in parallel).
func numbers(t *testing.T, prefix string, n, lines int, seed uint64) []*file {
	t.Helper()
	files := make([]*file, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i := range files {
		var b bytes.Buffer
		corpus.New(seed+uint64(i)).Write(&b, lines)
		sum := sha256.Sum256(b.Bytes())
		f := &file{name: fmt.Sprintf("%s-%04d.txt", prefix, i), content: b.Bytes(), id: workflows.WorkflowID(hex.EncodeToString(sum[:]), workflows.Options{Region: Region})}
		files[i] = f
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cleanRun(t, f)
		}()
	}
	wg.Wait()
	return files
}

// cleanRun fills in f's expected outputs from `phonecheck validate`.
func cleanRun(t *testing.T, f *file) {
	dir, err := os.MkdirTemp("", "phonecheck-cluster-clean-")
	if err != nil {
		t.Error(err)
		return
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "in.txt")
	if err := os.WriteFile(in, f.content, 0o644); err != nil {
		t.Error(err)
		return
	}
	for _, o := range []struct {
		name string
		dst  *[]byte
	}{{"clean.csv", &f.csv}, {"clean.xlsx", &f.xlsx}} {
		out := filepath.Join(dir, o.name)
		if b, err := exec.Command(bin, "validate", "-q", "--region", Region, "-o", out, in).CombinedOutput(); err != nil {
			t.Errorf("phonecheck validate: %v\n%s", err, b)
			return
		}
		*o.dst, _ = os.ReadFile(out)
	}
	f.rows = bytes.Count(f.csv, []byte("\n")) - 1
}

// drop moves the files into the inbox as a copy tool that writes a temp
// name and renames it would, their modification time a minute back so that
// the watcher need not wait out its settle window.
func (c *cluster) drop(files ...*file) {
	c.t.Helper()
	for _, f := range files {
		tmp := filepath.Join(c.inbox, "."+f.name+".part")
		if err := os.WriteFile(tmp, f.content, 0o644); err != nil {
			c.t.Fatal(err)
		}
		old := time.Now().Add(-time.Minute)
		if err := os.Chtimes(tmp, old, old); err != nil {
			c.t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(c.inbox, f.name)); err != nil {
			c.t.Fatal(err)
		}
	}
}

// result waits for a file's workflow to close (across restarts of the
// cluster's services) and returns its result.
func (c *cluster) result(t *testing.T, f *file, timeout time.Duration) workflows.Result {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Until(deadline))
		var res workflows.Result
		err := c.c.GetWorkflow(ctx, f.id, "").Get(ctx, &res)
		cancel()
		var appErr *temporal.ApplicationError
		var we *temporal.WorkflowExecutionError
		var notFound *serviceerror.NotFound
		switch {
		case err == nil:
			return res
		case errors.As(err, &appErr), errors.As(err, &we):
			t.Fatalf("%s (%s) failed: %v", f.name, f.id, err)
		case errors.As(err, &notFound):
			// not started yet
		default:
			last = err
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s (%s) did not finish within %s (last error: %v)\n%s", f.name, f.id, timeout, last, c.logs(1500))
	return workflows.Result{}
}

// finish waits for every file and checks what must hold whatever was killed
// meanwhile: outputs byte-identical to a clean run, the input in done/, and
// exactly one charged upload per file.
func (c *cluster) finish(t *testing.T, files []*file, timeout time.Duration) map[string]workflows.Result {
	t.Helper()
	results := map[string]workflows.Result{}
	for _, f := range files {
		res := c.result(t, f, timeout)
		results[f.id] = res
		if got, err := c.read(res.Outputs["csv"]); err != nil || !bytes.Equal(got, f.csv) {
			t.Errorf("%s: CSV differs from phonecheck validate (%d bytes, want %d; %v)", f.name, len(got), len(f.csv), err)
		}
		if got, err := c.read(res.Outputs["xlsx"]); err != nil || !bytes.Equal(got, f.xlsx) {
			t.Errorf("%s: XLSX differs from phonecheck validate (%d bytes, want %d; %v)", f.name, len(got), len(f.xlsx), err)
		}
		if res.Rows != f.rows {
			t.Errorf("%s: %d rows, want %d", f.name, res.Rows, f.rows)
		}
		if b, err := os.ReadFile(res.Archived); err != nil || !bytes.Equal(b, f.content) {
			t.Errorf("%s: the input is not archived as %s (%v)", f.name, res.Archived, err)
		}
	}
	uploads := c.uploads()
	for _, f := range files {
		if task := results[f.id].TaskID; uploads[task] != 1 {
			t.Errorf("%s: %d charged uploads of task %q, want exactly 1", f.name, uploads[task], task)
		}
	}
	return results
}

// uploads counts the charged uploads by task, from the API server's ledger
// (its SQLite file, read beside the running server).
func (c *cluster) uploads() map[string]int {
	c.t.Helper()
	st, err := taskdb.Open(filepath.Join(c.apiData, "apiserver", "state.db"))
	if err != nil {
		c.t.Fatal(err)
	}
	defer st.Close()
	cs, err := st.Charges(context.Background(), taskdb.ChargeFilter{})
	if err != nil {
		c.t.Fatal(err)
	}
	out := map[string]int{}
	for _, ch := range cs {
		if ch.Endpoint == "tasks" {
			out[ch.TaskID]++
		}
	}
	return out
}

// pendingActivity waits until the workflow runs an activity of this type
// (started on a worker) and returns the pid of that worker.
func (c *cluster) pendingActivity(t *testing.T, id, activity string, timeout time.Duration) (pid int, ok bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		d, err := c.c.DescribeWorkflowExecution(ctx, id, "")
		cancel()
		if err == nil {
			if d.WorkflowExecutionInfo.Status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
				return 0, false
			}
			for _, a := range d.PendingActivities {
				if a.ActivityType.GetName() == activity && a.State == enumspb.PENDING_ACTIVITY_STATE_STARTED {
					p, _, _ := strings.Cut(a.LastWorkerIdentity, "@")
					if n, err := strconv.Atoi(p); err == nil {
						return n, true
					}
				}
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0, false
}

// workerByPid is the worker replica running as pid.
func (c *cluster) workerByPid(t *testing.T, pid int) *instance {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, in := range c.insts["phonecheck-worker"] {
		if in.proc().cmd.Process.Pid == pid {
			return in
		}
	}
	t.Fatalf("no worker runs as pid %d", pid)
	return nil
}

// metric sums a Prometheus counter's samples on an instance's metrics
// listener.
func (c *cluster) metric(t *testing.T, in *instance, name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + envValue(in.env, "PHONECHECK_METRICS_LISTEN") + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	sum := 0.0
	for _, line := range strings.Split(b.String(), "\n") {
		if rest, ok := strings.CutPrefix(line, name); ok && (strings.HasPrefix(rest, " ") || strings.HasPrefix(rest, "{")) {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			sum += v
		}
	}
	return sum
}

// run runs one of the compose project's phonecheck commands as a client
// would, with the environment of service svc.
func (c *cluster) run(t *testing.T, svc string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = c.envOf(svc, 1)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("phonecheck %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String(), err
}

// temporalCLI runs the official temporal CLI against the cluster.
func (c *cluster) temporalCLI(t *testing.T, args ...string) []byte {
	t.Helper()
	args = append(args, "--address", c.addr("temporal:7233"), "--namespace", c.namespace)
	cmd := exec.Command(filepath.Join(cliDir, "bin", "temporal"), args...)
	cmd.Env = baseEnv()
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%v: %s", err, ee.Stderr)
		}
		t.Fatalf("temporal %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// checkNoSecrets greps every file of the project (logs, volumes, outputs,
// Temporal's files) for the API key.
func (c *cluster) checkNoSecrets() {
	_ = filepath.WalkDir(c.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err == nil && bytes.Contains(b, []byte(Key)) {
			c.t.Errorf("the API key appears in %s", path)
		}
		return nil
	})
}

// decode is json.Unmarshal that fails the test.
func decode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v in %s", err, tail(string(b), 500))
	}
}
