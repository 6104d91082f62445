package taskapi

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestCreateTaskSlowReaderIsProgress: a service that reads an upload more
// slowly than the client writes it leaves the whole body in the socket
// buffers early; while it goes on taking it in, the call is making
// progress and is not timed out, although the body reader is done.
func TestCreateTaskSlowReaderIsProgress(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the unacknowledged bytes of a connection are read on Linux only")
	}
	defer func(d time.Duration) { drainInterval = d }(drainInterval)
	drainInterval = 50 * time.Millisecond
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 16<<10)
		for {
			time.Sleep(100 * time.Millisecond) // 160 kB/s
			if _, err := io.ReadFull(r.Body, buf); err != nil {
				break
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"task_id": "t-1", "status": "pending", "total": 1})
	}))
	defer srv.Close()
	c := newClient(t, srv, WithTimeout(time.Second))
	file := strings.Repeat("+41791234567\n", 60_000) // 780 kB: about 5 s
	start := time.Now()
	task, err := c.CreateTask(context.Background(), "numbers.txt", strings.NewReader(file))
	if err != nil {
		t.Fatalf("after %s: %v", time.Since(start).Round(time.Millisecond), err)
	}
	if task.ID != "t-1" {
		t.Errorf("task %+v", task)
	}
}
