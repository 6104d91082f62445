package apiserver_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/apiserver"
	"github.com/phonecheck/phonecheck/internal/corpus"
	"github.com/phonecheck/phonecheck/internal/validate"
	"github.com/phonecheck/phonecheck/results"
)

const (
	keyA = "key-alice-0123456789"
	keyB = "key-bob-9876543210"
)

// env is one server on a real TCP listener (httptest), with its logs.
type env struct {
	t    *testing.T
	srv  *apiserver.Server
	ts   *httptest.Server
	cfg  apiserver.Config
	logs *syncBuffer
}

// start runs a server; cfg.Dir defaults to a temp dir and Keys to keyA and keyB.
func start(t *testing.T, cfg apiserver.Config) *env {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	if cfg.Keys == nil {
		cfg.Keys = []apiserver.Key{apiserver.NewKey(keyA), apiserver.NewKey(keyB)}
	}
	e := &env{t: t, logs: &syncBuffer{}}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv, err := apiserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.srv, e.cfg = srv, cfg
	e.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(e.stop)
	return e
}

// stop closes the listener, then the server; it may be called again.
func (e *env) stop() {
	e.ts.Close()
	if err := e.srv.Close(); err != nil {
		e.t.Error(err)
	}
}

// reply is a decoded JSON answer.
type reply struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

func (r reply) str(k string) string {
	s, _ := r.Body[k].(string)
	return s
}

func (r reply) num(k string) int64 {
	f, _ := r.Body[k].(float64)
	return int64(f)
}

func (e *env) do(req *http.Request) reply {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := reply{Status: resp.StatusCode, Header: resp.Header, Raw: string(b)}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		e.t.Fatalf("%s %s: Content-Type %q, want application/json; body %q", req.Method, req.URL.Path, ct, b)
	}
	if err := json.Unmarshal(b, &r.Body); err != nil {
		e.t.Fatalf("%s %s: body is not JSON: %q", req.Method, req.URL.Path, b)
	}
	if r.Status != 200 && r.str("message") == "" {
		e.t.Errorf("%s %s: %d without a message: %s", req.Method, req.URL.Path, r.Status, b)
	}
	return r
}

// form builds a multipart body; a field whose name starts with @ is a file part.
func form(fields ...string) (body []byte, contentType string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(fields); i += 2 {
		if name, ok := strings.CutPrefix(fields[i], "@"); ok {
			w, _ := mw.CreateFormFile(name, "numbers.txt")
			w.Write([]byte(fields[i+1]))
		} else {
			mw.WriteField(fields[i], fields[i+1])
		}
	}
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

func (e *env) post(path, key string, body []byte, contentType string) reply {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	return e.do(req)
}

// upload creates a task from content as key's user.
func (e *env) upload(key, content string) reply {
	e.t.Helper()
	body, ct := form("@file", content, "task_type", "phoneCheck")
	return e.post("/v1/tasks", key, body, ct)
}

func (e *env) mustUpload(key, content string) string {
	e.t.Helper()
	r := e.upload(key, content)
	if r.Status != 200 {
		e.t.Fatalf("upload: %d %s", r.Status, r.Raw)
	}
	return r.str("task_id")
}

// get polls a task, with task_id multipart-encoded or urlencoded.
func (e *env) get(key, id string, urlencoded bool) reply {
	e.t.Helper()
	if urlencoded {
		return e.post("/v1/gettasks", key, []byte(url.Values{"task_id": {id}}.Encode()), "application/x-www-form-urlencoded")
	}
	body, ct := form("task_id", id)
	return e.post("/v1/gettasks", key, body, ct)
}

// waitStatus polls until the task has status, and returns that answer.
func (e *env) waitStatus(key, id, status string) reply {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := e.get(key, id, false)
		if r.Status != 200 {
			e.t.Fatalf("gettasks: %d %s", r.Status, r.Raw)
		}
		if r.str("status") == status {
			return r
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("task %s still %s, want %s", id, r.str("status"), status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *env) charges(f apiserver.ChargeFilter) []apiserver.Charge {
	e.t.Helper()
	c, err := e.srv.Charges(context.Background(), f)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// download fetches a result_url without any API key and returns the CSV
// entry of the zip, checking the zip holds exactly <task_id>.csv.
func download(t *testing.T, resultURL, id string) []byte {
	t.Helper()
	resp, err := http.Get(resultURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("download: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	return unzipCSV(t, b, id)
}

func unzipCSV(t *testing.T, b []byte, id string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != id+".csv" {
		t.Fatalf("zip holds %d entries (first %q), want only %s.csv", len(zr.File), zr.File[0].Name, id)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	csv, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return csv
}

// expectedCSV is what phonecheck validate writes for input with no region.
func expectedCSV(t *testing.T, input string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := results.NewWriter(results.CSV, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := validate.Run(context.Background(), strings.NewReader(input), w, validate.Options{Region: ""}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// syncBuffer is a log sink shared by the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// clock is a settable Config.Now.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.set(t)
	return c
}

func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }

// numbers returns n lines of the realistic benchmark mix.
func numbers(n int) string {
	var b strings.Builder
	corpus.New(7).Write(&b, n)
	return b.String()
}
