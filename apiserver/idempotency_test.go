package apiserver_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/apiserver"
	"github.com/phonecheck/phonecheck/apiserver/taskdb"
)

// An upload repeated with the same Idempotency-Key (a worker that crashed
// while the server took its file, found by the chaos suite as a second
// upload charge) gets the first task back and is not charged again; the
// key is the user's own, and a new key is a new task.
func TestIdempotentUpload(t *testing.T) {
	e := start(t, apiserver.Config{})
	up := func(key, idem, content string) reply {
		t.Helper()
		body, ct := form("@file", content, "task_type", "phoneCheck")
		req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/v1/tasks", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("X-API-Key", key)
		if idem != "" {
			req.Header.Set(apiserver.IdempotencyHeader, idem)
		}
		r := e.do(req)
		if r.Status != 200 {
			t.Fatalf("upload: %d %s", r.Status, r.Raw)
		}
		return r
	}
	first := up(keyA, "file-1", "+41791234567\n")
	again := up(keyA, "file-1", "+41791234567\n")
	if again.str("task_id") != first.str("task_id") {
		t.Errorf("the repeat made task %s, want %s", again.str("task_id"), first.str("task_id"))
	}
	if n := len(e.charges(apiserver.ChargeFilter{Endpoint: "tasks"})); n != 1 {
		t.Errorf("%d upload charges for one key, want 1", n)
	}
	other := up(keyB, "file-1", "+41791234567\n")
	fresh := up(keyA, "file-2", "+41791234567\n")
	plain := up(keyA, "", "+41791234567\n")
	plain2 := up(keyA, "", "+41791234567\n")
	ids := map[string]bool{first.str("task_id"): true}
	for _, r := range []reply{other, fresh, plain, plain2} {
		if ids[r.str("task_id")] {
			t.Errorf("task %s given twice", r.str("task_id"))
		}
		ids[r.str("task_id")] = true
	}
	if n := len(e.charges(apiserver.ChargeFilter{Endpoint: "tasks"})); n != 5 {
		t.Errorf("%d upload charges, want 5", n)
	}
	if entries, _ := os.ReadDir(filepath.Join(e.cfg.Dir, "tasks")); len(entries) > 2*5 {
		t.Errorf("%d files in tasks/ for 5 tasks", len(entries))
	}
	body, ct := form("@file", "+41791234567\n", "task_type", "phoneCheck")
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/v1/tasks", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("X-API-Key", keyA)
	req.Header.Set(apiserver.IdempotencyHeader, string(bytes.Repeat([]byte("k"), 300)))
	if r := e.do(req); r.Status != 400 {
		t.Errorf("a 300-character key: %d, want 400", r.Status)
	}
}

// The key column is added to a database made without it (every fresh one
// is), and survives reopening.
func TestStoreMigratesIdempotencyKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := taskdb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	task := taskdb.Task{ID: "00000000-0000-4000-8000-000000000001", UserID: "u", Total: 1, CreatedAt: time.Now(), IdempotencyKey: "k"}
	if err := st.CreateTask(ctx, task, 0); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateTask(ctx, taskdb.Task{ID: "00000000-0000-4000-8000-000000000002", UserID: "u", Total: 1, CreatedAt: time.Now(), IdempotencyKey: "k"}, 0); !errors.Is(err, taskdb.ErrDuplicate) {
		t.Errorf("a second task with the key: %v, want ErrDuplicate", err)
	}
	st.Close()
	if st, err = taskdb.Open(path); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got, err := st.TaskByKey(ctx, "u", "k"); err != nil || got.ID != task.ID {
		t.Errorf("after reopening: %v, %v", got.ID, err)
	}
	if _, err := st.TaskByKey(ctx, "other", "k"); !errors.Is(err, taskdb.ErrNotFound) {
		t.Errorf("another user's key: %v, want ErrNotFound", err)
	}
}
