package devserver

import (
	"context"
	"database/sql"
	"github.com/phonecheck/phonecheck/internal/testkit"
	"net"
	"path/filepath"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	_ "modernc.org/sqlite"
)

func journalMode(t *testing.T, file string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+file+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	return mode
}

func sleeper(ctx workflow.Context, d time.Duration) (string, error) {
	if err := workflow.Sleep(ctx, d); err != nil {
		return "", err
	}
	return "woke", nil
}

// TestDevServerKeepsWorkflowsAcrossRestarts starts a workflow with a timer,
// stops the server before the timer fires, starts a new server on the same
// file and sees the workflow complete.
func TestDevServerKeepsWorkflowsAcrossRestarts(t *testing.T) {
	db := filepath.Join(t.TempDir(), "temporal.db")
	addr := testkit.FreeAddr(t)
	opts := Options{DatabaseFile: db, FrontendAddress: addr,
		SearchAttributes: map[string]enumspb.IndexedValueType{"PhonecheckStage": enumspb.INDEXED_VALUE_TYPE_KEYWORD}}
	start := time.Now()
	srv, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("server started in %v", time.Since(start))
	// The pragmas reach SQLite only under their exact names; a misspelt one
	// is ignored without a word, and each commit waits for an fsync.
	if mode := journalMode(t, db); mode != "wal" {
		t.Errorf("journal_mode %q, want wal", mode)
	}
	c, err := client.Dial(client.Options{HostPort: addr, Logger: quietLogger{}})
	if err != nil {
		t.Fatal(err)
	}
	run, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: "sleepy", TaskQueue: "q"}, sleeper, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	w := worker.New(c, "q", worker.Options{})
	w.RegisterWorkflow(sleeper)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // the timer is now in the database
	w.Stop()
	c.Close()
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}

	srv, err = Start(opts)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer srv.Stop()
	c, err = client.Dial(client.Options{HostPort: addr, Logger: quietLogger{}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w = worker.New(c, "q", worker.Options{})
	w.RegisterWorkflow(sleeper)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got string
	if err := c.GetWorkflow(ctx, "sleepy", run.GetRunID()).Get(ctx, &got); err != nil || got != "woke" {
		t.Fatalf("after restart: %q, %v", got, err)
	}
	resp, err := c.WorkflowService().GetSearchAttributes(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp
}

func TestDevServerPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = Start(Options{DatabaseFile: filepath.Join(t.TempDir(), "t.db"), FrontendAddress: l.Addr().String()})
	if err == nil {
		t.Fatal("started on a busy port")
	}
	t.Log(err)
}

type quietLogger struct{}

func (quietLogger) Debug(string, ...interface{}) {}
func (quietLogger) Info(string, ...interface{})  {}
func (quietLogger) Warn(string, ...interface{})  {}
func (quietLogger) Error(string, ...interface{}) {}
