package apiserver_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/apiserver"
)

// rawPost posts and returns the status and body as they are (the faults
// below answer with what is not JSON on purpose).
func rawPost(t *testing.T, e *env, path string, body []byte, ct string, header map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("X-API-Key", keyA)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestFaultsOfARealRemote: each fault behaves as a real remote does, and
// charges what such a remote would.
func TestFaultsOfARealRemote(t *testing.T) {
	t.Run("ignore idempotency", func(t *testing.T) {
		e := start(t, apiserver.Config{Faults: apiserver.Faults{IgnoreIdempotency: true}})
		body, ct := form("@file", "+41791234567\n", "task_type", "phoneCheck")
		var ids []string
		for range 2 {
			code, b := rawPost(t, e, "/v1/tasks", body, ct, map[string]string{apiserver.IdempotencyHeader: "same"})
			if code != 200 {
				t.Fatalf("%d %s", code, b)
			}
			ids = append(ids, b)
		}
		if ids[0] == ids[1] {
			t.Error("the repeat was answered with the first task")
		}
		if n := len(e.charges(apiserver.ChargeFilter{Endpoint: "tasks"})); n != 2 {
			t.Errorf("%d upload charges, want 2", n)
		}
	})
	t.Run("unreadable create", func(t *testing.T) {
		e := start(t, apiserver.Config{Faults: apiserver.Faults{UnreadableCreateRate: 1}})
		body, ct := form("@file", "+41791234567\n", "task_type", "phoneCheck")
		code, b := rawPost(t, e, "/v1/tasks", body, ct, nil)
		if code != 200 || strings.Contains(b, "task_id") {
			t.Errorf("%d %q, want a 200 without a task", code, b)
		}
		if n := len(e.charges(apiserver.ChargeFilter{Endpoint: "tasks"})); n != 1 {
			t.Errorf("%d upload charges, want 1: the task was created", n)
		}
	})
	for _, tc := range []struct {
		name   string
		faults apiserver.Faults
		check  func(t *testing.T, code int, body string)
		polls  int
	}{
		{"unreadable poll", apiserver.Faults{UnreadablePollRate: 1}, func(t *testing.T, code int, body string) {
			if code != 200 || strings.Contains(body, "status") {
				t.Errorf("%d %q", code, body)
			}
		}, 1},
		{"no link", apiserver.Faults{NoLinkRate: 1}, func(t *testing.T, code int, body string) {
			if code != 200 || !strings.Contains(body, `"exported"`) || strings.Contains(body, "result_url") {
				t.Errorf("%d %q", code, body)
			}
		}, 1},
		{"unknown task", apiserver.Faults{UnknownTaskRate: 1}, func(t *testing.T, code int, body string) {
			if code != 404 {
				t.Errorf("%d %q", code, body)
			}
		}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := start(t, apiserver.Config{})
			id := e.mustUpload(keyA, "+41791234567\n")
			e.waitStatus(keyA, id, "exported")
			before := len(e.charges(apiserver.ChargeFilter{Endpoint: "gettasks"}))
			e.srv.Close()
			f := start(t, apiserver.Config{Dir: e.cfg.Dir, Faults: tc.faults})
			body, ct := form("task_id", id)
			code, b := rawPost(t, f, "/v1/gettasks", body, ct, nil)
			tc.check(t, code, b)
			if n := len(f.charges(apiserver.ChargeFilter{Endpoint: "gettasks"})) - before; n != tc.polls {
				t.Errorf("%d gettasks charges, want %d", n, tc.polls)
			}
		})
	}
	t.Run("refused link", func(t *testing.T) {
		e := start(t, apiserver.Config{Faults: apiserver.Faults{RefuseLinkRate: 1}})
		id := e.mustUpload(keyA, "+41791234567\n")
		r := e.waitStatus(keyA, id, "exported")
		resp, err := http.Get(r.str("result_url"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("download: %d, want 403", resp.StatusCode)
		}
	})
	t.Run("slow link", func(t *testing.T) {
		e := start(t, apiserver.Config{Faults: apiserver.Faults{UploadBPS: 100_000, DownloadBPS: 100_000}})
		content := numbers(20_000) // about 260 kB
		start := time.Now()
		id := e.mustUpload(keyA, content)
		if d := time.Since(start); d < 2*time.Second {
			t.Errorf("%d bytes uploaded in %s at 100 kB/s", len(content), d)
		}
		r := e.waitStatus(keyA, id, "exported")
		start = time.Now()
		resp, err := http.Get(r.str("result_url"))
		if err != nil {
			t.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if want := time.Duration(float64(n) / 100_000 * float64(time.Second) * 0.9); time.Since(start) < want {
			t.Errorf("%d bytes downloaded in %s at 100 kB/s", n, time.Since(start))
		}
	})
}
