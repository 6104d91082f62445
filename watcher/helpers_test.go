package watcher

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeStarter behaves like Temporal with workflow ids derived from the hash:
// the first Start of a content starts a run, later ones report Existing with
// the path that run was started with.
type fakeStarter struct {
	mu        sync.Mutex
	runPath   map[string]string // sha256 -> the path its run was started with
	calls     map[string]int    // sha256 -> Start calls (errors included)
	started   []Claim           // claims that started a run, in order
	startedAt map[string]time.Time
	failNext  int   // the next failNext calls return an error
	failWith  error // the error (default: a transient one)
	hidePath  bool  // report Existing without the path, like a starter that cannot tell
	verify    bool  // check that the file at Path has the claimed hash
	bad       []string
	block     bool // block until ctx is done
	// await, when set, gives Existing results an Await that waits for
	// finish(sha256, outcome).
	await    bool
	outcomes map[string]chan Outcome
}

// finish ends the run of a content with an outcome, for Await.
func (s *fakeStarter) finish(sha string, o Outcome) {
	s.outcome(sha) <- o
}

func (s *fakeStarter) outcome(sha string) chan Outcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.outcomes == nil {
		s.outcomes = map[string]chan Outcome{}
	}
	ch, ok := s.outcomes[sha]
	if !ok {
		ch = make(chan Outcome, 1)
		s.outcomes[sha] = ch
	}
	return ch
}

func newFake() *fakeStarter {
	return &fakeStarter{runPath: map[string]string{}, calls: map[string]int{}, startedAt: map[string]time.Time{}}
}

func (s *fakeStarter) Start(ctx context.Context, c Claim) (StartResult, error) {
	if err := ctx.Err(); err != nil {
		return StartResult{}, err
	}
	s.mu.Lock()
	block := s.block
	s.mu.Unlock()
	if block {
		<-ctx.Done()
		return StartResult{}, ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[c.SHA256]++
	if s.failNext > 0 {
		s.failNext--
		if s.failWith != nil {
			return StartResult{}, s.failWith
		}
		return StartResult{}, errors.New("dial tcp 127.0.0.1:7233: connection refused")
	}
	if s.verify {
		data, err := os.ReadFile(c.Path)
		sum := sha256.Sum256(data)
		if err != nil || hex.EncodeToString(sum[:]) != c.SHA256 {
			s.bad = append(s.bad, fmt.Sprintf("%s: content does not match the claimed hash (%v)", c.Name, err))
		}
	}
	if c.Folder == nil || c.Name == "" || c.Size <= 0 || !strings.HasPrefix(c.Path, c.Folder.ProcessingDir()+string(filepath.Separator)) {
		s.bad = append(s.bad, fmt.Sprintf("malformed claim %+v", c))
	}
	wf := "phonecheck-" + c.SHA256[:16]
	if p, ok := s.runPath[c.SHA256]; ok {
		r := StartResult{WorkflowID: wf, Existing: true, Path: p}
		if s.hidePath {
			r.Path = ""
		}
		if s.await {
			sha := c.SHA256
			r.Await = func(ctx context.Context) (Outcome, error) {
				ch := s.outcome(sha)
				select {
				case o := <-ch:
					ch <- o // every copy learns it
					return o, nil
				case <-ctx.Done():
					return Outcome{}, ctx.Err()
				}
			}
		}
		return r, nil
	}
	s.runPath[c.SHA256] = c.Path
	s.started = append(s.started, c)
	s.startedAt[c.Rel] = time.Now()
	return StartResult{WorkflowID: wf}, nil
}

func (s *fakeStarter) numStarted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.started)
}

func (s *fakeStarter) startedNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, c := range s.started {
		out = append(out, c.Rel)
	}
	slices.Sort(out)
	return out
}

func (s *fakeStarter) check(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.bad {
		t.Error(b)
	}
}

func sum(data string) string {
	s := sha256.Sum256([]byte(data))
	return hex.EncodeToString(s[:])
}

// env is one test's layout: <root>/inbox (and more inboxes) with state beside.
type env struct {
	t    testing.TB
	root string
}

func newEnv(t testing.TB) *env { return &env{t: t, root: t.TempDir()} }

func (e *env) dir(name string) string { return filepath.Join(e.root, name) }

func (e *env) folder(name string) Folder {
	return Folder{Dir: e.dir(name), Settle: 200 * time.Millisecond}
}

func (e *env) config(folders ...Folder) Config {
	return Config{Folders: folders, Rescan: time.Hour, PollInterval: 100 * time.Millisecond,
		RetryMin: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond, ShutdownGrace: time.Second}
}

func (e *env) write(rel, content string) {
	e.t.Helper()
	p := filepath.Join(e.root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

// files lists the regular files in root/rel (not recursive), sorted.
func (e *env) files(rel string) []string {
	e.t.Helper()
	entries, err := os.ReadDir(filepath.Join(e.root, rel))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		e.t.Fatal(err)
	}
	var out []string
	for _, en := range entries {
		if en.Type().IsRegular() {
			out = append(out, en.Name())
		}
	}
	return out
}

func (e *env) read(rel string) string {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(e.root, rel))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

func testLogger(t testing.TB, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: level}))
}

// running is a Watcher being run by a test.
type running struct {
	*Watcher
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returned
	err    error
}

// stop cancels Run and waits for it to return.
func (r *running) stop(t testing.TB) {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
		if r.err != nil {
			t.Errorf("Run: %v", r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10s of cancellation")
	}
}

// start runs w until the test ends or stop is called.
func start(t testing.TB, w *Watcher) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Watcher: w, cancel: cancel, done: make(chan struct{})}
	go func() { r.err = w.Run(ctx); close(r.done) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

func mustNew(t testing.TB, cfg Config, s Starter) *Watcher {
	t.Helper()
	w, err := New(cfg, s, testLogger(t, slog.LevelWarn))
	if err != nil {
		t.Fatal(err)
	}
	return w
}
