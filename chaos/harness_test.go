//go:build chaos

package chaos

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/phonecheck/phonecheck/internal/testkit"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/phonecheck/phonecheck/activities"
	"github.com/phonecheck/phonecheck/apiserver/taskdb"
	"github.com/phonecheck/phonecheck/internal/corpus"
	"github.com/phonecheck/phonecheck/temporalx"
	"github.com/phonecheck/phonecheck/workflows"
)

// Key is the API key of every stack: distinctive, so that finding it in a
// log, a history or an output is certain to be a leak.
const Key = "chaos-SECRET-7f3a9c1e-d0n0tl34k-b8e2"

var (
	bin       string // the phonecheck binary under test
	seed      uint64 // CHAOS_SEED: every random choice derives from it
	kills     int    // CHAOS_KILLS: worker kills; up kills and serve restarts are a quarter each
	taskLines int    // CHAOS_LINES: lines of a crash run's file (100,000)
	raceBin   bool   // CHAOS_RACE=1: the binary is built with -race
)

func TestMain(m *testing.M) {
	seed = envUint("CHAOS_SEED", uint64(time.Now().UnixNano()))
	kills = int(envUint("CHAOS_KILLS", 20))
	taskLines = int(envUint("CHAOS_LINES", 100_000))
	raceBin = os.Getenv("CHAOS_RACE") == "1"
	dir, err := os.MkdirTemp("", "phonecheck-chaos-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "phonecheck")
	args := []string{"build", "-o", bin}
	if raceBin {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "../cmd/phonecheck")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	start := time.Now()
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "chaos: building phonecheck:", err)
		os.Exit(1)
	}
	fmt.Printf("chaos: seed %d (CHAOS_SEED=%d reproduces the kill points), %d worker kills, %d-line tasks, binary built in %s (race %v)\n",
		seed, seed, kills, taskLines, time.Since(start).Round(time.Millisecond), raceBin)
	code := m.Run()
	if err := report.write(); err != nil {
		fmt.Fprintln(os.Stderr, "chaos: report:", err)
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func envUint(name string, def uint64) uint64 {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			fmt.Fprintf(os.Stderr, "chaos: %s=%q is not a number\n", name, v)
			os.Exit(2)
		}
		return n
	}
	return def
}

// rng is a test's own random source, from the seed and the test's name, so
// that a test's choices do not depend on which others ran.
func rng(t testing.TB) *rand.Rand {
	h := sha256.Sum256([]byte(t.Name()))
	var s2 uint64
	for _, b := range h[:8] {
		s2 = s2<<8 | uint64(b)
	}
	return rand.New(rand.NewPCG(seed, s2))
}

// proc is a child process in its own process group, its stdout and stderr
// appended to one log file.
type proc struct {
	name, log string
	cmd       *exec.Cmd
	done      chan struct{}
	err       error
}

// spawn starts the binary with args in dir; env adds to a clean
// environment (no inherited PHONECHECK_* or TEMPORAL_*). The process group
// is killed when the test ends.
func spawn(t testing.TB, dir, logFile string, env []string, args ...string) *proc {
	t.Helper()
	f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PHONECHECK_") && !strings.HasPrefix(kv, "TEMPORAL_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatal(err)
	}
	p := &proc{name: args[0], log: logFile, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(p.kill)
	return p
}

func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL to the process group and waits for the exit.
func (p *proc) kill() {
	if p == nil {
		return
	}
	if p.running() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
	<-p.done
}

// interrupt asks the process to stop (SIGINT), killing it after 30 s.
func (p *proc) interrupt() {
	if p.running() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.kill()
	}
}

func (p *proc) output() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// waitLog waits until the process's log holds s.
func (p *proc) waitLog(t testing.TB, s string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.output(), s) {
		if !p.running() {
			t.Fatalf("%s exited (%v) before printing %q; its log:\n%s", p.name, p.err, s, tail(p.output(), 3000))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not print %q within %s; its log:\n%s", p.name, s, timeout, tail(p.output(), 3000))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// stackOptions choose a stack's shape.
type stackOptions struct {
	// Split runs `serve` (with ServeArgs), `up --no-worker --api-url` and a
	// `worker` process; otherwise `up` alone runs everything, its own offline
	// server included.
	Split      bool
	ServeArgs  []string
	WorkerArgs []string // extra flags of the worker (Split) or of up
	// APIURL, with Split false, points up at this API (a fake) with Key.
	APIURL string
	Region string // default CH
	// NotIdempotent leaves the worker's --api-idempotent off (the worker
	// must then treat a lost answer to an upload as possibly charged).
	NotIdempotent bool
}

// stack is a pipeline of child processes in a temp directory:
// inbox/, done/inbox, failed/inbox, results/, srv/, up/, wk/, logs/.
type stack struct {
	t                 *testing.T
	opts              stackOptions
	dir, inbox, out   string
	logs              string
	apiAddr, tempAddr string
	serve, up, worker *proc
	c                 client.Client
	key               string // the key the worker uses
	secretFiles       []string
	serveStarts       int
	seenSummaries     map[string]bool // of finished runs
}

func newStack(t *testing.T, opts stackOptions) *stack {
	t.Helper()
	if opts.Region == "" {
		opts.Region = "CH"
	}
	dir := t.TempDir()
	s := &stack{t: t, opts: opts, dir: dir, inbox: filepath.Join(dir, "inbox"), out: filepath.Join(dir, "results"),
		logs: filepath.Join(dir, "logs"), tempAddr: testkit.FreeAddr(t), key: Key}
	for _, d := range []string{s.inbox, s.out, s.logs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Runs before the temp dir goes: no secret anywhere in the stack's files.
	t.Cleanup(s.checkNoSecrets)
	if opts.Split {
		s.apiAddr = testkit.FreeAddr(t)
		s.startServe()
	}
	s.startUp()
	if opts.Split {
		s.startWorker()
	}
	c, err := temporalx.Dial(temporalx.ClientOptions{Address: s.tempAddr, Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	s.c = c
	t.Cleanup(c.Close)
	return s
}

func (s *stack) startServe() {
	s.t.Helper()
	s.serveStarts++
	args := append([]string{"serve", "--listen", s.apiAddr, "--data-dir", filepath.Join(s.dir, "srv")}, s.opts.ServeArgs...)
	s.serve = spawn(s.t, s.dir, filepath.Join(s.logs, "serve.log"), []string{"PHONECHECK_API_KEY=" + Key}, args...)
	s.serve.waitLog(s.t, "listening on", 30*time.Second)
	// A start appends "listening on" again; wait for this start's line.
	for strings.Count(s.serve.output(), "listening on") < s.serveStarts {
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *stack) startUp() {
	s.t.Helper()
	args := []string{"up", "--data-dir", filepath.Join(s.dir, "up"), "--inbox", s.inbox, "--out", s.out,
		"--temporal-listen", s.tempAddr, "--api-listen", "127.0.0.1:0", "--no-ui", "--region", s.opts.Region}
	var env []string
	switch {
	case s.opts.Split:
		// The worker shares the store that up's watcher puts inputs into.
		args = append(args, "--no-worker", "--api-url", "http://"+s.apiAddr, "--store", filepath.Join(s.dir, "store"))
		env = append(env, "PHONECHECK_API_KEY="+Key)
	case s.opts.APIURL != "":
		args = append(args, "--api-url", s.opts.APIURL)
		env = append(env, "PHONECHECK_API_KEY="+Key)
		args = append(args, s.opts.WorkerArgs...)
	default:
		args = append(args, s.opts.WorkerArgs...)
	}
	before := 0
	if s.up != nil {
		before = strings.Count(s.up.output(), "phonecheck is up")
	}
	s.up = spawn(s.t, s.dir, filepath.Join(s.logs, "up.log"), env, args...)
	// Temporal's services may take up to 2 min to start on a loaded host.
	deadline := time.Now().Add(150 * time.Second)
	for strings.Count(s.up.output(), "phonecheck is up") <= before {
		if !s.up.running() || time.Now().After(deadline) {
			s.t.Fatalf("up did not start (%v); its log:\n%s", s.up.err, tail(s.up.output(), 3000))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !s.opts.Split && s.opts.APIURL == "" {
		// up made its own key; it is as secret as ours.
		b, err := os.ReadFile(filepath.Join(s.dir, "up", "apiserver", "api-key"))
		if err != nil {
			s.t.Fatal(err)
		}
		s.key = strings.TrimSpace(string(b))
	}
}

func (s *stack) startWorker() {
	s.t.Helper()
	// serve honours Idempotency-Key, and a user pointing a worker at it says
	// so; a kill between the last byte and the answer is then retried, not
	// failed as ambiguous.
	args := []string{"worker", "--temporal-address", s.tempAddr, "--api-url", "http://" + s.apiAddr,
		"--data-dir", filepath.Join(s.dir, "wk"), "--store", filepath.Join(s.dir, "store")}
	if !s.opts.NotIdempotent {
		args = append(args, "--api-idempotent")
	}
	args = append(args, s.opts.WorkerArgs...)
	s.worker = spawn(s.t, s.dir, filepath.Join(s.logs, "worker.log"), []string{"PHONECHECK_API_KEY=" + Key}, args...)
}

// drop writes content into the inbox as name (atomically, as a user's copy
// tool that writes a temp name would) and returns the workflow id.
func (s *stack) drop(name string, content []byte) string {
	s.t.Helper()
	tmp := filepath.Join(s.inbox, "."+name+".part")
	if err := os.WriteFile(tmp, content, 0o644); err != nil {
		s.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(s.inbox, name)); err != nil {
		s.t.Fatal(err)
	}
	return s.workflowID(content)
}

// workflowID is the id of content dropped into the stack's inbox (with its region).
func (s *stack) workflowID(content []byte) string {
	sum := sha256.Sum256(content)
	return workflows.WorkflowID(hex.EncodeToString(sum[:]), workflows.Options{Region: s.opts.Region})
}

// outcome is how a workflow ended.
type outcome struct {
	Result workflows.Result
	Err    error // the workflow's failure
}

// wait waits for the workflow to close, across restarts of the processes
// (errors reaching Temporal are retried until the timeout).
func (s *stack) wait(id string, timeout time.Duration) outcome {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Until(deadline))
		var res workflows.Result
		err := s.c.GetWorkflow(ctx, id, "").Get(ctx, &res)
		cancel()
		var appErr *temporal.ApplicationError
		var notFound *serviceerror.NotFound
		switch {
		case err == nil:
			return outcome{Result: res}
		case errors.As(err, &appErr), isWorkflowFailure(err):
			return outcome{Err: err}
		case errors.As(err, &notFound):
			// not started yet: the watcher waits for the file to settle
		default:
			last = err
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("workflow %s did not close within %s (last error: %v)\n%s", id, timeout, last, s.diagnostics())
	return outcome{}
}

func isWorkflowFailure(err error) bool {
	var we *temporal.WorkflowExecutionError
	return errors.As(err, &we)
}

// progress asks the running workflow for its progress (needs a worker).
func (s *stack) progress(id string) (workflows.Progress, error) {
	var p workflows.Progress
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	v, err := s.c.QueryWorkflow(ctx, id, "", "progress")
	if err != nil {
		return p, err
	}
	return p, v.Get(&p)
}

// closed reports whether the workflow has closed.
func (s *stack) closed(id string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	d, err := s.c.DescribeWorkflowExecution(ctx, id, "")
	return err == nil && d.WorkflowExecutionInfo.Status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
}

// closedAt is the workflow's close time, if it has closed.
func (s *stack) closedAt(id string) (time.Time, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		d, err := s.c.DescribeWorkflowExecution(ctx, id, "")
		if err == nil {
			if d.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
				return time.Time{}, false
			}
			return d.WorkflowExecutionInfo.CloseTime.AsTime(), true
		}
		time.Sleep(100 * time.Millisecond) // up is being killed: Temporal is down for a moment
	}
	return time.Time{}, false
}

func (s *stack) diagnostics() string {
	var b strings.Builder
	for _, p := range []*proc{s.serve, s.up, s.worker} {
		if p != nil {
			fmt.Fprintf(&b, "--- %s (running %v) log tail:\n%s\n", p.name, p.running(), tail(p.output(), 2000))
		}
	}
	return b.String()
}

// charges reads the offline server's ledger (its SQLite file; WAL lets us
// read beside the running server).
func (s *stack) charges() []taskdb.Charge {
	s.t.Helper()
	db := filepath.Join(s.dir, "srv", "apiserver", "state.db")
	if !s.opts.Split {
		db = filepath.Join(s.dir, "up", "apiserver", "state.db")
	}
	st, err := taskdb.Open(db)
	if err != nil {
		s.t.Fatal(err)
	}
	defer st.Close()
	cs, err := st.Charges(context.Background(), taskdb.ChargeFilter{})
	if err != nil {
		s.t.Fatal(err)
	}
	return cs
}

// countCharges counts charges by endpoint, for one task or all ("").
func countCharges(cs []taskdb.Charge, endpoint, task string) int {
	n := 0
	for _, c := range cs {
		if c.Endpoint == endpoint && (task == "" || c.TaskID == task) {
			n++
		}
	}
	return n
}

// summary reads a finished file's summary.json.
func readSummary(t testing.TB, path string) activities.Summary {
	t.Helper()
	var sum activities.Summary
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	return sum
}

// expected is a clean run's output: `phonecheck validate` on the content.
type expected struct {
	csv, xlsx []byte
	rows      int
}

func cleanRun(t testing.TB, content []byte, region string) expected {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	if err := os.WriteFile(in, content, 0o644); err != nil {
		t.Fatal(err)
	}
	var e expected
	for _, f := range []struct {
		name string
		dst  *[]byte
	}{{"clean.csv", &e.csv}, {"clean.xlsx", &e.xlsx}} {
		out := filepath.Join(dir, f.name)
		cmd := exec.Command(bin, "validate", "-q", "--region", region, "-o", out, in)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("phonecheck validate: %v\n%s", err, b)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		*f.dst = b
	}
	e.rows = bytes.Count(e.csv, []byte("\n")) - 1
	return e
}

// numbersFile is a realistic file of n lines for a seed.
func numbersFile(n int, s uint64) []byte {
	var b bytes.Buffer
	corpus.New(s).Write(&b, n)
	return b.Bytes()
}

// checkOutputs compares a finished file's outputs with a clean run and
// returns the rows lost (0 when byte-identical).
func checkOutputs(t testing.TB, res workflows.Result, want expected) (lost int) {
	t.Helper()
	got, err := os.ReadFile(res.Outputs["csv"])
	if err != nil {
		t.Errorf("csv output: %v", err)
		return want.rows
	}
	if !bytes.Equal(got, want.csv) {
		rows := bytes.Count(got, []byte("\n")) - 1
		lost = max(1, want.rows-rows)
		t.Errorf("CSV differs from a clean run: %d rows, want %d (%d bytes, want %d)", rows, want.rows, len(got), len(want.csv))
	}
	if x, err := os.ReadFile(res.Outputs["xlsx"]); err != nil {
		t.Errorf("xlsx output: %v", err)
	} else if !bytes.Equal(x, want.xlsx) {
		t.Errorf("XLSX differs from a clean run (%d bytes, want %d)", len(x), len(want.xlsx))
		lost = max(lost, 1)
	}
	if res.Rows != want.rows {
		t.Errorf("the workflow counted %d rows, want %d", res.Rows, want.rows)
	}
	return lost
}

// checkNoPartials fails on temp files or partial outputs under dir.
func checkNoPartials(t testing.TB, dir string) {
	t.Helper()
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		name := d.Name()
		if strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".tmp") || strings.HasSuffix(name, ".part") {
			t.Errorf("temp file left behind: %s", path)
		}
		return nil
	})
}

// archived finds the input in done/ or failed/ by content.
func (s *stack) archived(sub string, content []byte) (string, bool) {
	want := sha256.Sum256(content)
	matches, _ := filepath.Glob(filepath.Join(s.dir, sub, "inbox", "*"))
	for _, m := range matches {
		if strings.HasSuffix(m, ".reason") || strings.HasSuffix(m, ".duplicate") {
			continue
		}
		b, err := os.ReadFile(m)
		if err == nil && sha256.Sum256(b) == want {
			return m, true
		}
	}
	return "", false
}

// checkNoSecrets greps every file of the stack (logs, outputs, archives,
// work and state directories, Temporal's SQLite file) for the API key.
func (s *stack) checkNoSecrets() {
	keys := []string{Key}
	if s.key != Key {
		keys = append(keys, s.key)
	}
	leaks := 0
	_ = filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if filepath.Base(path) == "api-key" { // where up keeps its own generated key, mode 0600
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		for _, k := range keys {
			if n := bytes.Count(b, []byte(k)); n > 0 {
				leaks += n
				s.t.Errorf("the API key appears %d times in %s", n, path)
			}
		}
		return nil
	})
	report.add(func(r *figures) { r.secretsChecked++; r.leakedSecrets += leaks })
}

// faultsInjected counts the serve log's injected faults by kind.
func (s *stack) faultsInjected() map[string]int {
	out := map[string]int{}
	if s.serve == nil {
		return out
	}
	sc := bufio.NewScanner(strings.NewReader(s.serve.output()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, " fault="); i >= 0 {
			v := line[i+len(" fault="):]
			if strings.HasPrefix(v, `"`) {
				v, _ = strconv.QuotedPrefix(v)
				v, _ = strconv.Unquote(v)
			} else if j := strings.IndexByte(v, ' '); j >= 0 {
				v = v[:j]
			}
			out[v]++
		}
	}
	return out
}

// httpClient is for the suite's own requests.
var httpClient = &http.Client{Timeout: 30 * time.Second}

// figures are the report's counts.
type figures struct {
	cases, faults, crashes, badInputs int
	lostRows, dupCharges              int
	secretsChecked, leakedSecrets     int
	extraPolls                        int
	lines                             []string // one per case, for the report's detail
}

type reporter struct {
	mu sync.Mutex
	f  figures
}

var report reporter

func (r *reporter) add(fn func(*figures)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fn(&r.f)
}

func (r *reporter) line(format string, a ...any) {
	r.add(func(f *figures) { f.lines = append(f.lines, fmt.Sprintf(format, a...)) })
}

// write prints the table and stores it as chaos-report.md (CHAOS_REPORT,
// else the temp dir).
func (r *reporter) write() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := r.f
	form := "full"
	if kills < 20 {
		form = fmt.Sprintf("bounded (CHAOS_KILLS=%d)", kills)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Chaos run of %s: %s form, seed %d, binary race %v.\n\n", time.Now().UTC().Format("2006-01-02"), form, seed, raceBin)
	fmt.Fprintf(&b, "| figure | count |\n|---|---|\n")
	fmt.Fprintf(&b, "| cases run | %d |\n| faults injected | %d |\n| crashes survived (SIGKILL, restart) | %d |\n| bad inputs tried | %d |\n",
		f.cases, f.faults, f.crashes, f.badInputs)
	fmt.Fprintf(&b, "| lost rows | **%d** |\n| duplicate charges | **%d** |\n| leaked secrets (%d stacks searched) | **%d** |\n",
		f.lostRows, f.dupCharges, f.secretsChecked, f.leakedSecrets)
	fmt.Fprintf(&b, "\nPolls charged beyond the workflow's count (answers lost in a crash): %d.\n\n", f.extraPolls)
	for _, l := range f.lines {
		fmt.Fprintf(&b, "- %s\n", l)
	}
	path := os.Getenv("CHAOS_REPORT")
	if path == "" {
		path = filepath.Join(os.TempDir(), "chaos-report.md")
	}
	fmt.Printf("\n%s\nchaos: report written to %s\n", b.String(), path)
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
