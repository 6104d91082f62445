package taskapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// bodyLog is what a server has read of a request body so far.
type bodyLog struct {
	mu       sync.Mutex
	b        bytes.Buffer
	complete bool
}

func (l *bodyLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *bodyLog) snapshot() (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String(), l.complete
}

// TestCreateTaskCommitsBeforeTheLastBytes: commit runs when all of the
// form but its closing boundary has reached the server, so the server
// cannot hold a whole request before it; an error from commit abandons the
// request, incomplete, and is CreateTask's error; progress counts the
// file's bytes.
func TestCreateTaskCommitsBeforeTheLastBytes(t *testing.T) {
	var log bodyLog
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.mu.Lock()
		log.b.Reset()
		log.complete = false
		log.mu.Unlock()
		if _, err := io.Copy(&log, r.Body); err != nil {
			return // incomplete: no task
		}
		log.mu.Lock()
		log.complete = true
		log.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"task_id": "t-1", "status": "pending", "total": 2})
	}))
	defer srv.Close()
	c := newClient(t, srv)
	file := strings.Repeat("+41791234567\n", 20000)

	var progress atomic.Int64
	var seen string
	commit := func() error {
		// Wait for the server to have read all there is to read.
		deadline := time.Now().Add(5 * time.Second)
		for {
			s, _ := log.snapshot()
			if strings.HasSuffix(s, "phoneCheck") || time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		seen, _ = log.snapshot()
		return nil
	}
	ctx := WithProgress(WithCommit(context.Background(), commit), progress.Store)
	if _, err := c.CreateTask(ctx, "n.txt", strings.NewReader(file)); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(seen, `name="task_type"`+"\r\n\r\nphoneCheck") {
		t.Errorf("at commit the server had read up to %q; want all but the closing boundary", seen[max(0, len(seen)-60):])
	}
	if s, complete := log.snapshot(); !complete || !strings.HasSuffix(s, "--\r\n") {
		t.Errorf("after commit the request was not completed")
	}
	if progress.Load() != int64(len(file)) {
		t.Errorf("progress %d, want the file's %d bytes", progress.Load(), len(file))
	}

	refused := errors.New("not the current attempt")
	_, err := c.CreateTask(WithCommit(context.Background(), func() error { return refused }), "n.txt", strings.NewReader(file))
	if !errors.Is(err, refused) {
		t.Errorf("commit refused: CreateTask gave %v, want the commit's error", err)
	}
	time.Sleep(100 * time.Millisecond)
	if s, complete := log.snapshot(); complete || strings.HasSuffix(s, "--\r\n") {
		t.Errorf("a request whose commit was refused reached the server whole")
	}
}
