package taskapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const testKey = "sk-test-0123456789abcdef"

// newClient is a client of srv with a short timeout.
func newClient(t *testing.T, srv *httptest.Server, opts ...Option) *Client {
	t.Helper()
	c, err := New(srv.URL, testKey, append([]Option{WithTimeout(5 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// noKey fails the test if err's text holds the API key.
func noKey(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), testKey) {
		t.Errorf("error shows the API key: %v", err)
	}
}

func TestNew(t *testing.T) {
	for _, u := range []string{"", "localhost:8080", "ftp://x", "http://", "://x", "http://[::1"} {
		if _, err := New(u, testKey); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%q) = %v; want ErrConfig", u, err)
		}
	}
	for _, k := range []string{"", "a\nb", "a\rb"} {
		_, err := New("http://x", k)
		if !errors.Is(err, ErrConfig) {
			t.Errorf("New(key %q) = %v; want ErrConfig", k, err)
		}
		if k != "" && strings.Contains(err.Error(), k) {
			t.Errorf("error shows the key: %v", err)
		}
	}
	for _, o := range []Option{WithTimeout(0), WithHTTPClient(nil), WithUserAgent("a\nb")} {
		if _, err := New("http://x", testKey, o); !errors.Is(err, ErrConfig) {
			t.Errorf("bad option: %v; want ErrConfig", err)
		}
	}
}

func TestClientHidesKey(t *testing.T) {
	c, err := New("https://user:pw@api.example.com/p", testKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), fmt.Sprintf("%v %+v %#v", *c, *c, *c), c.BaseURL()} {
		if strings.Contains(s, testKey) || strings.Contains(s, "pw") {
			t.Errorf("printed client shows a secret: %s", s)
		}
	}
	if !strings.Contains(c.String(), "api.example.com") {
		t.Errorf("String() = %s; want the host", c)
	}
}

func TestCreateTask(t *testing.T) {
	const numbers = "+41446681800\n+41791234567\n"
	var got struct {
		key, ua, file, filename, ctype, taskType string
		contentLength                            int64
		chunked                                  bool
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/tasks" {
			writeJSON(w, 404, map[string]string{"message": "no route " + r.URL.Path})
			return
		}
		got.key, got.ua = r.Header.Get("X-API-Key"), r.UserAgent()
		got.contentLength, got.chunked = r.ContentLength, len(r.TransferEncoding) > 0
		mr, err := r.MultipartReader()
		if err != nil {
			writeJSON(w, 400, map[string]string{"message": err.Error()})
			return
		}
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				writeJSON(w, 400, map[string]string{"message": err.Error()})
				return
			}
			b, _ := io.ReadAll(p)
			switch p.FormName() {
			case "file":
				got.file, got.filename, got.ctype = string(b), p.FileName(), p.Header.Get("Content-Type")
			case "task_type":
				got.taskType = string(b)
			}
		}
		writeJSON(w, 200, map[string]any{"task_id": "t-1", "status": "pending", "total": 2,
			"message": "Task created successfully", "created_at": "2025-03-01T10:00:00Z"})
	}))
	defer srv.Close()
	c, err := New(srv.URL+"/api/", testKey, WithUserAgent("worker/1"))
	if err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(t.TempDir(), "numbers.txt")
	if err := os.WriteFile(path, []byte(numbers), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	readers := []struct {
		name   string
		r      io.Reader
		length bool
	}{
		{"file", f, true},
		{"strings.Reader", strings.NewReader(numbers), true},
		{"unknown size", io.MultiReader(strings.NewReader(numbers)), false},
	}
	for _, tc := range readers {
		t.Run(tc.name, func(t *testing.T) {
			task, err := c.CreateTask(context.Background(), "/some/dir/numbers.txt", tc.r)
			if err != nil {
				t.Fatal(err)
			}
			want := &Task{ID: "t-1", Status: StatusPending, Total: 2, Message: "Task created successfully"}
			if task.ID != want.ID || task.Status != want.Status || task.Total != want.Total || task.Message != want.Message ||
				!task.CreatedAt.Equal(time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)) {
				t.Errorf("task = %+v", task)
			}
			if got.key != testKey || got.file != numbers || got.filename != "numbers.txt" || got.taskType != "phoneCheck" ||
				!strings.HasPrefix(got.ctype, "text/plain") {
				t.Errorf("server got %+v", got)
			}
			if !strings.HasPrefix(got.ua, "phonecheck/") || !strings.Contains(got.ua, "(+https://github.com/phonecheck/phonecheck) worker/1") {
				t.Errorf("User-Agent = %q", got.ua)
			}
			if tc.length && (got.contentLength <= int64(len(numbers)) || got.chunked) {
				t.Errorf("Content-Length %d, chunked %v; want a length", got.contentLength, got.chunked)
			}
			if !tc.length && !got.chunked {
				t.Errorf("Content-Length %d; want chunked", got.contentLength)
			}
		})
	}
}

// genReader yields n bytes of number lines without holding them.
type genReader struct {
	n, produced atomic.Int64
}

func (g *genReader) Read(p []byte) (int, error) {
	left := g.n.Load() - g.produced.Load()
	if left <= 0 {
		return 0, io.EOF
	}
	const line = "+41791234567\n"
	if int64(len(p)) > left {
		p = p[:left]
	}
	for i := range p {
		p[i] = line[i%len(line)]
	}
	g.produced.Add(int64(len(p)))
	return len(p), nil
}

// TestCreateTaskStreams uploads 50 MB and checks that the server sees the
// start of the file before the client has read far into it, and that the
// client allocates far less than the file's size.
func TestCreateTaskStreams(t *testing.T) {
	const size = 50 << 20
	gen := new(genReader)
	gen.n.Store(size)
	var aheadAtFirstByte, received atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mr, err := r.MultipartReader()
		if err != nil {
			writeJSON(w, 400, map[string]string{"message": err.Error()})
			return
		}
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			if p.FormName() == "file" {
				var one [1]byte
				if _, err := io.ReadFull(p, one[:]); err == nil {
					aheadAtFirstByte.Store(gen.produced.Load())
					n, _ := io.Copy(io.Discard, p)
					received.Store(n + 1)
				}
			}
		}
		writeJSON(w, 200, map[string]any{"task_id": "big", "status": "pending", "total": size / 13})
	}))
	defer srv.Close()
	c := newClient(t, srv)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if _, err := c.CreateTask(context.Background(), "big.txt", gen); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if received.Load() != size {
		t.Fatalf("server received %d bytes; want %d", received.Load(), size)
	}
	if a := aheadAtFirstByte.Load(); a > 4<<20 {
		t.Errorf("client had read %d bytes when the server saw the first; want a streaming upload", a)
	}
	// Client and server share the process, so this bounds both.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("uploading %d bytes allocated %d bytes; want it streamed", size, alloc)
	}
	t.Logf("50 MiB upload: server saw the first byte after the client read %d bytes; %d KiB allocated",
		aheadAtFirstByte.Load(), (after.TotalAlloc-before.TotalAlloc)>>10)
}

func TestCreateTaskReadError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		writeJSON(w, 400, map[string]string{"message": "bad file"})
	}))
	defer srv.Close()
	c := newClient(t, srv)
	disk := errors.New("disk on fire")
	_, err := c.CreateTask(context.Background(), "n.txt", io.MultiReader(strings.NewReader("+41\n"), iotestErr{disk}))
	if !errors.Is(err, disk) || IsRetryable(err) || !strings.Contains(err.Error(), "reading n.txt") {
		t.Errorf("err = %v; want the read error, not retryable", err)
	}
}

type iotestErr struct{ err error }

func (e iotestErr) Read([]byte) (int, error) { return 0, e.err }

func TestStatusErrors(t *testing.T) {
	cases := []struct {
		code      int
		body      string
		header    string
		kind      error
		retryable bool
		msg       string
		after     time.Duration
	}{
		{400, `{"message":"file is empty"}`, "", ErrBadRequest, false, "file is empty", 0},
		{401, `{"message":"invalid API key ` + testKey + `"}`, "", ErrUnauthorized, false, "invalid API key [redacted]", 0},
		{403, `{"error":"forbidden"}`, "", ErrUnauthorized, false, "forbidden", 0},
		{404, `{"detail":"task not found"}`, "", ErrNotFound, false, "task not found", 0},
		{413, `<html><body><h1>413 Request Entity Too Large</h1></body></html>`, "", ErrBadRequest, false, "<html><body><h1>413 Request Entity Too Large</h1></body></html>", 0},
		{422, `{"message":""}`, "", ErrBadRequest, false, `{"message":""}`, 0},
		{429, `{"message":"slow down"}`, "7", ErrRateLimited, true, "slow down", 7 * time.Second},
		{500, `{"message":"database down"}`, "", ErrServer, true, "database down", 0},
		{502, "bad gateway\n\n\x00\x01 " + strings.Repeat("x", 1000), "", ErrServer, true, "bad gateway ?? xxx", 0},
		{503, `{"message":"maintenance"}`, "120", ErrServer, true, "maintenance", 2 * time.Minute},
		{408, ``, "", ErrServer, true, "", 0},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.header != "" {
					w.Header().Set("Retry-After", tc.header)
				}
				w.WriteHeader(tc.code)
				_, _ = io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			c := newClient(t, srv)
			for _, call := range []struct {
				endpoint string
				fn       func() error
			}{
				{"POST /v1/tasks", func() error {
					_, err := c.CreateTask(context.Background(), "n.txt", strings.NewReader("+41446681800\n"))
					return err
				}},
				{"POST /v1/gettasks", func() error { _, err := c.GetTask(context.Background(), "t-1"); return err }},
			} {
				err := call.fn()
				var ae *APIError
				if !errors.As(err, &ae) || !errors.Is(err, tc.kind) {
					t.Fatalf("%s: err = %v; want an APIError of kind %v", call.endpoint, err, tc.kind)
				}
				if ae.StatusCode != tc.code || ae.Endpoint != call.endpoint || !strings.HasPrefix(ae.Message, tc.msg) || len(ae.Message) > snippetMax+10 {
					t.Errorf("%s: %+v; want message %q", call.endpoint, ae, tc.msg)
				}
				if IsRetryable(err) != tc.retryable || RetryAfter(err) != tc.after {
					t.Errorf("%s: retryable %v after %v; want %v after %v", call.endpoint, IsRetryable(err), RetryAfter(err), tc.retryable, tc.after)
				}
				if !strings.Contains(err.Error(), call.endpoint) || !strings.Contains(err.Error(), fmt.Sprint(tc.code)) {
					t.Errorf("error %q does not name the endpoint and status", err)
				}
				noKey(t, err)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"0":                             0,
		"-5":                            0,
		" 30 ":                          30 * time.Second,
		"soon":                          0,
		"Sat, 01 Mar 2025 12:01:30 GMT": 90 * time.Second,
		"Sat, 01 Mar 2025 11:00:00 GMT": 0,
		"99999999999999999999":          0,
		"9999999999999":                 time.Duration(1<<63-1) / time.Second * time.Second,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v; want %v", in, got, want)
		}
	}
}

func TestGetTask(t *testing.T) {
	var body string
	var gotID, gotCT string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/gettasks" || r.Header.Get("X-API-Key") != testKey {
			writeJSON(w, 401, map[string]string{"message": "no"})
			return
		}
		gotCT = r.Header.Get("Content-Type")
		gotID = r.FormValue("task_id")
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}))
	defer srv.Close()
	c := newClient(t, srv)
	ctx := context.Background()

	body = `{"created_at":"2025-03-01T10:00:00Z","updated_at":"2025-03-01T10:05:30.5+01:00","task_id":"t-1","user_id":42,
		"status":"exported","total":"3","success":2,"failure":1,"result_url":"https://files.example.com/t-1.zip?sig=x"}`
	task, err := c.GetTask(ctx, "t-1")
	if err != nil {
		t.Fatal(err)
	}
	if gotID != "t-1" || !strings.HasPrefix(gotCT, "multipart/form-data") {
		t.Errorf("server got task_id %q as %q; want multipart", gotID, gotCT)
	}
	if task.ID != "t-1" || task.UserID != "42" || task.Status != StatusExported || !task.Ready() ||
		task.Total != 3 || task.Success != 2 || task.Failure != 1 || task.ResultURL == "" ||
		!task.UpdatedAt.Equal(time.Date(2025, 3, 1, 9, 5, 30, 5e8, time.UTC)) {
		t.Errorf("task = %+v", task)
	}

	for raw, want := range map[string]time.Time{
		`"2025-03-01T10:00:00"`:        time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC),
		`"2025-03-01 10:00:00"`:        time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC),
		`"2025-03-01 10:00:00.123456"`: time.Date(2025, 3, 1, 10, 0, 0, 123456000, time.UTC),
		`"2025-03-01 10:00:00+02:00"`:  time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC),
		`"2025-03-01T10:00:00+0200"`:   time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC),
		`1740823200`:                   time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC),
		`"yesterday"`:                  {},
		`null`:                         {},
		`{"a":1}`:                      {},
	} {
		body = `{"task_id":"t-2","status":"Processing","created_at":` + raw + `}`
		task, err := c.GetTask(ctx, "t-2")
		if err != nil {
			t.Fatalf("created_at %s: %v", raw, err)
		}
		if !task.CreatedAt.Equal(want) || task.Status != StatusProcessing || !task.Status.InProgress() {
			t.Errorf("created_at %s: got %v (raw %q), status %q; want %v", raw, task.CreatedAt.Time, task.CreatedAt.Raw, task.Status, want)
		}
		if raw == `"yesterday"` && task.CreatedAt.Raw != "yesterday" {
			t.Errorf("raw timestamp lost: %+v", task.CreatedAt)
		}
	}

	body = `{"task_id":"t-3","status":"queued_for_review"}`
	if task, err = c.GetTask(ctx, "t-3"); err != nil || task.Status != "queued_for_review" || !task.Status.InProgress() || task.Ready() {
		t.Errorf("unknown status: %+v, %v; want in progress, kept as given", task, err)
	}
	// exported without a link is not ready yet
	body = `{"task_id":"t-3","status":"exported"}`
	if task, err = c.GetTask(ctx, "t-3"); err != nil || task.Ready() {
		t.Errorf("exported without result_url: %+v, %v; want not ready", task, err)
	}

	for _, st := range []string{"failed", "ERROR"} {
		body = `{"task_id":"t-4","status":"` + st + `","message":"file unreadable"}`
		task, err = c.GetTask(ctx, "t-4")
		var te *TaskError
		if !errors.As(err, &te) || !errors.Is(err, ErrTaskFailed) || IsRetryable(err) || task == nil || te.Message != "file unreadable" {
			t.Errorf("status %s: %+v, %v; want the task and a TaskError", st, task, err)
		}
	}

	if _, err := c.GetTask(ctx, " "); !errors.Is(err, ErrBadRequest) {
		t.Errorf("empty id: %v", err)
	}

	// A task as JSON round-trips (payloads may carry it).
	body = `{"task_id":"t-5","status":"pending","created_at":"2025-03-01 10:00:00"}`
	task, _ = c.GetTask(ctx, "t-5")
	b, _ := json.Marshal(task)
	var back Task
	if err := json.Unmarshal(b, &back); err != nil || back.ID != "t-5" || !back.CreatedAt.Equal(task.CreatedAt.Time) {
		t.Errorf("round trip %s: %+v, %v", b, back, err)
	}
}

func TestBadResponses(t *testing.T) {
	var body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, body)
	}))
	defer srv.Close()
	c := newClient(t, srv)
	for name, b := range map[string]string{
		"html":      "<html>Welcome to the hotel wifi</html>",
		"truncated": `{"task_id":"t-1","status":`,
		"array":     `[1,2,3]`,
		"huge":      `{"message":"` + strings.Repeat("a", maxJSON) + `"}`,
		"no id":     `{"status":"pending"}`,
	} {
		body = b
		_, err := c.CreateTask(context.Background(), "n.txt", strings.NewReader("+41446681800\n"))
		if !errors.Is(err, ErrBadResponse) || IsRetryable(err) || len(err.Error()) > 600 {
			t.Errorf("%s: %v; want a short ErrBadResponse", name, err)
		}
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newClient(t, srv, WithTimeout(200*time.Millisecond))
	start := time.Now()
	_, err := c.GetTask(context.Background(), "t-1")
	var ne *NetworkError
	if !errors.As(err, &ne) || !errors.Is(err, ErrNetwork) || !errors.Is(err, context.DeadlineExceeded) || !IsRetryable(err) {
		t.Errorf("err = %v; want a retryable network timeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("timed out after %v; want about 200ms", d)
	}
	_, err = c.CreateTask(context.Background(), "n.txt", strings.NewReader("+41446681800\n"))
	if !errors.Is(err, ErrNetwork) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("create: err = %v; want a network timeout", err)
	}
	noKey(t, err)
}

func TestCancel(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // ends when the client hangs up
		<-r.Context().Done()
	}))
	defer srv.Close()
	c := newClient(t, srv)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := c.CreateTask(ctx, "n.txt", new(blockingReader))
	if !errors.Is(err, context.Canceled) || IsRetryable(err) {
		t.Errorf("err = %v; want context.Canceled, not retryable", err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, err := c.GetTask(ctx, "t"); !errors.Is(err, context.Canceled) || IsRetryable(err) {
		t.Errorf("err = %v; want context.Canceled", err)
	}
}

// blockingReader yields a line every 10ms, for ever.
type blockingReader struct{}

func (blockingReader) Read(p []byte) (int, error) {
	time.Sleep(10 * time.Millisecond)
	return copy(p, "+41446681800\n"), nil
}

func TestNetworkErrors(t *testing.T) {
	// refused: a port that was just closed
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, _ := New(url, testKey)
	_, err := c.GetTask(context.Background(), "t-1")
	if !errors.Is(err, ErrNetwork) || !IsRetryable(err) {
		t.Errorf("refused: %v; want ErrNetwork", err)
	}

	// The server reads the whole upload, then drops the connection.
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		conn, _, _ := w.(http.Hijacker).Hijack()
		_ = conn.Close()
	}))
	defer srv.Close()
	c = newClient(t, srv)
	_, err = c.CreateTask(context.Background(), "n.txt", strings.NewReader("+41446681800\n"))
	var ne *NetworkError
	if !errors.As(err, &ne) || !ne.Sent || !IsRetryable(err) {
		t.Errorf("dropped after upload: %v; want a NetworkError with Sent", err)
	}

	// The body ends before its Content-Length.
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, _ := w.(http.Hijacker).Hijack()
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"task_id\":\"t")
		_ = buf.Flush()
		_ = conn.Close()
	}))
	defer srv2.Close()
	c = newClient(t, srv2)
	_, err = c.GetTask(context.Background(), "t-1")
	if !errors.Is(err, ErrNetwork) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("cut body: %v; want ErrNetwork wrapping io.ErrUnexpectedEOF", err)
	}
}

func TestAPIRedirectNotFollowed(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the redirect was followed (key sent: %v)", r.Header.Get("X-API-Key") != "")
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/v1/tasks?token=secret", http.StatusPermanentRedirect)
	}))
	defer srv.Close()
	c := newClient(t, srv)
	_, err := c.CreateTask(context.Background(), "n.txt", strings.NewReader("+41\n"))
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), other.URL) || strings.Contains(err.Error(), "secret") {
		t.Errorf("err = %v; want ErrConfig naming the target without its query", err)
	}
	_, err = c.GetTask(context.Background(), "t")
	if !errors.Is(err, ErrConfig) {
		t.Errorf("err = %v; want ErrConfig", err)
	}
}

func TestRace(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseMultipartForm(1 << 20)
		writeJSON(w, 200, map[string]any{"task_id": fmt.Sprint(n.Add(1)), "status": "pending"})
	}))
	defer srv.Close()
	c := newClient(t, srv)
	errs := make(chan error, 16)
	for i := range 16 {
		go func() {
			var err error
			if i%2 == 0 {
				_, err = c.CreateTask(context.Background(), "n.txt", strings.NewReader("+41446681800\n"))
			} else {
				_, err = c.GetTask(context.Background(), "t")
			}
			errs <- err
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// WithIdempotencyKey puts the key in the upload's Idempotency-Key header.
func TestCreateTaskIdempotencyKey(t *testing.T) {
	got := make(chan string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Idempotency-Key")
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"task_id":"t-1","status":"pending","total":1}`)
	}))
	defer srv.Close()
	c, err := New(srv.URL, "k")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTask(WithIdempotencyKey(context.Background(), "phonecheck-abc"), "n.txt", strings.NewReader("+41791234567\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTask(context.Background(), "n.txt", strings.NewReader("+41791234567\n")); err != nil {
		t.Fatal(err)
	}
	if a, b := <-got, <-got; a != "phonecheck-abc" || b != "" {
		t.Errorf("Idempotency-Key headers %q and %q, want phonecheck-abc and none", a, b)
	}
	if _, err := c.CreateTask(WithIdempotencyKey(context.Background(), "a\nb"), "n.txt", strings.NewReader("1\n")); !errors.Is(err, ErrConfig) {
		t.Errorf("a key with a line break: %v, want ErrConfig", err)
	}
}
