package apiserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/phonecheck/phonecheck/internal/testkit"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/apiserver"
)

// endless is a multipart upload of size bytes of numbers, produced on demand
// and counted as the client sends it.
type endless struct {
	r    io.Reader
	sent atomic.Int64
}

func newEndless(size int64) (*endless, string, int64) {
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	mw.WriteField("task_type", "phoneCheck")
	mw.CreateFormFile("file", "big.txt")
	tail := "\r\n--" + mw.Boundary() + "--\r\n"
	line := []byte("+41791234567\n")
	lines := io.LimitReader(&repeater{line: line}, size)
	return &endless{r: io.MultiReader(bytes.NewReader(head.Bytes()), lines, strings.NewReader(tail))},
		mw.FormDataContentType(), int64(head.Len()) + size + int64(len(tail))
}

func (e *endless) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	e.sent.Add(int64(n))
	return n, err
}

type repeater struct {
	line []byte
	off  int
}

func (r *repeater) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.line[r.off]
		r.off = (r.off + 1) % len(r.line)
	}
	return len(p), nil
}

// An upload over the limit is refused without reading it: the answer comes
// while the client has sent only a small part of a 256 MiB body, with or
// without a Content-Length.
func TestOversizedUploadIsNotRead(t *testing.T) {
	e := start(t, apiserver.Config{MaxUpload: 1 << 20})
	for _, chunked := range []bool{false, true} {
		body, ct, size := newEndless(256 << 20)
		req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/v1/tasks", body)
		req.Header.Set("Content-Type", ct)
		req.Header.Set("X-API-Key", keyA)
		req.ContentLength = size
		if chunked {
			req.ContentLength = -1
		}
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("chunked %v: %v (sent %d bytes)", chunked, err, body.sent.Load())
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(msg), "larger than the limit") {
			t.Errorf("chunked %v: %d %s", chunked, resp.StatusCode, msg)
		}
		if sent := body.sent.Load(); sent > 32<<20 {
			t.Errorf("chunked %v: the client sent %d MiB of 256 before the refusal", chunked, sent>>20)
		}
		t.Logf("chunked %v: refused after the client sent %d KiB, in %v", chunked, body.sent.Load()>>10, time.Since(start))
	}
	if n := len(e.charges(apiserver.ChargeFilter{})); n != 0 {
		t.Errorf("%d charges for refused uploads", n)
	}
	if files, _ := os.ReadDir(filepath.Join(e.cfg.Dir, "tasks")); len(files) != 0 {
		t.Errorf("%d files left in the task directory", len(files))
	}
}

// serve runs a server with Serve (and so its timeouts) on a real listener.
func serve(t *testing.T, cfg apiserver.Config) (addr string, cancel context.CancelFunc, done chan error) {
	t.Helper()
	cfg.Dir = t.TempDir()
	cfg.Keys = []apiserver.Key{apiserver.NewKey(keyA)}
	cfg.Logger = slog.New(slog.DiscardHandler)
	srv, err := apiserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done = make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		srv.Close()
	})
	return ln.Addr().String(), cancel, done
}

// closedWithin sends msg one byte per tick and reports how long the server
// took to close the connection, and how much was sent by then.
func closedWithin(t *testing.T, addr, msg string, tick time.Duration) (time.Duration, int) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	closed := make(chan struct{})
	go func() {
		io.Copy(io.Discard, conn) // returns when the server closes
		close(closed)
	}()
	for i := 0; i < len(msg); i++ {
		select {
		case <-closed:
			return time.Since(start), i
		case <-time.After(tick):
		}
		if _, err := conn.Write([]byte{msg[i]}); err != nil {
			<-closed
			return time.Since(start), i
		}
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the server kept the connection open 10 s after the whole message")
	}
	return time.Since(start), len(msg)
}

// Slowloris clients, dripping headers or a body, are cut by the timeouts.
func TestSlowClientsAreCut(t *testing.T) {
	addr, _, _ := serve(t, apiserver.Config{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 800 * time.Millisecond})
	headers := "POST /v1/tasks HTTP/1.1\r\nHost: x\r\nX-API-Key: " + keyA + "\r\nContent-Type: text/plain\r\nX-Pad: " + strings.Repeat("a", 100) + "\r\n\r\n"
	took, sent := closedWithin(t, addr, headers, 30*time.Millisecond) // the headers alone take 6 s
	if sent == len(headers) || took > 3*time.Second {
		t.Errorf("dripping headers: closed after %v and %d of %d bytes", took, sent, len(headers))
	}

	body, ct := form("@file", strings.Repeat("+41791234567\n", 50), "task_type", "phoneCheck")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	io.WriteString(conn, "POST /v1/tasks HTTP/1.1\r\nHost: x\r\nX-API-Key: "+keyA+"\r\nContent-Type: "+ct+"\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n")
	closed := make(chan struct{})
	go func() { io.Copy(io.Discard, conn); close(closed) }()
	for i := 0; ; i++ {
		select {
		case <-closed:
			if took := time.Since(start); took > 3*time.Second || i >= len(body) {
				t.Errorf("dripping a body: closed after %v and %d of %d bytes", took, i, len(body))
			}
			return
		case <-time.After(30 * time.Millisecond):
		}
		if i < len(body) {
			conn.Write(body[i : i+1])
		} else if time.Since(start) > 10*time.Second {
			t.Fatal("the server kept a dripping upload open")
		}
	}
}

// Shutdown lets a request in flight finish and then refuses connections.
func TestGracefulShutdown(t *testing.T) {
	addr, cancel, done := serve(t, apiserver.Config{Faults: apiserver.Faults{Latency: 400 * time.Millisecond}})
	got := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/v1/balance", nil)
		req.Header.Set("X-API-Key", keyA)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- 0
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	time.Sleep(150 * time.Millisecond) // the request is in the server
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	done <- nil // for the cleanup
	if code := <-got; code != 200 {
		t.Errorf("request in flight during shutdown: %d, want 200", code)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("the listener still accepts after shutdown")
	}
}

// A task caught mid-processing by a shutdown is processed again by the next
// server on the same directory, and the upload stays charged once.
func TestRestartMidProcessing(t *testing.T) {
	dir := t.TempDir()
	input := numbers(10_000)
	e := start(t, apiserver.Config{Dir: dir, ProcessingDelay: 200 * time.Millisecond, ProgressEvery: 10 * time.Millisecond})
	id := e.mustUpload(keyA, input)
	for {
		g := e.waitStatus(keyA, id, "processing")
		if g.num("success") > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.stop()
	if _, err := os.Stat(filepath.Join(dir, "tasks", id+".zip")); err == nil {
		t.Fatal("the zip exists although processing was interrupted")
	}

	e2 := start(t, apiserver.Config{Dir: dir})
	g := e2.waitStatus(keyA, id, "exported")
	if g.num("success")+g.num("failure") != g.num("total") {
		t.Errorf("after restart: %s", g.Raw)
	}
	if got := download(t, g.str("result_url"), id); !bytes.Equal(got, expectedCSV(t, input)) {
		t.Error("the zip rebuilt after the restart differs from phonecheck validate's CSV")
	}
	if n := len(e2.charges(apiserver.ChargeFilter{Endpoint: "tasks", TaskID: id})); n != 1 {
		t.Errorf("%d upload charges after the restart, want exactly 1", n)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "tasks", ".*"))
	if len(leftovers) != 0 {
		t.Errorf("temp files left behind: %v", leftovers)
	}
}

// Injected faults never charge: 500s, drops and latency all act before the
// ledger.
func TestFaultsAreFree(t *testing.T) {
	all500 := start(t, apiserver.Config{Faults: apiserver.Faults{Rate500: 1}})
	if r := all500.upload(keyA, "+41791234567\n"); r.Status != 500 {
		t.Errorf("rate 1: %d", r.Status)
	}
	if n := len(all500.charges(apiserver.ChargeFilter{})); n != 0 {
		t.Errorf("500s charged %d times", n)
	}

	drop := start(t, apiserver.Config{Faults: apiserver.Faults{DropRate: 1}})
	body, ct := form("@file", "+41791234567\n", "task_type", "phoneCheck")
	req, _ := http.NewRequest(http.MethodPost, drop.ts.URL+"/v1/tasks", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("X-API-Key", keyA)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("drop rate 1: got %d, want the connection closed", resp.StatusCode)
	} else if !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "EOF") && !strings.Contains(err.Error(), "reset") {
		t.Errorf("drop rate 1: %v", err)
	}
	if n := len(drop.charges(apiserver.ChargeFilter{})); n != 0 {
		t.Errorf("drops charged %d times", n)
	}

	slow := start(t, apiserver.Config{Faults: apiserver.Faults{Latency: 150 * time.Millisecond, LatencyJitter: 50 * time.Millisecond}})
	begin := time.Now()
	id := slow.mustUpload(keyA, "+41791234567\n")
	if d := time.Since(begin); d < 150*time.Millisecond {
		t.Errorf("latency fault: answered in %v", d)
	}
	if n := len(slow.charges(apiserver.ChargeFilter{TaskID: id})); n != 1 {
		t.Errorf("a slow 200 is charged %d times, want 1", n)
	}

	// A mix: only the 200s reach the ledger.
	mixed := start(t, apiserver.Config{Faults: apiserver.Faults{Rate500: 0.3, DropRate: 0.1}})
	var task string
	for task == "" {
		if r, err := tryUpload(mixed); err == nil && r.Status == 200 {
			task = r.str("task_id")
		}
	}
	ok, failed, dropped := 0, 0, 0
	for range 150 {
		b := []byte(url.Values{"task_id": {task}}.Encode())
		req, _ := http.NewRequest(http.MethodPost, mixed.ts.URL+"/v1/gettasks", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-API-Key", keyA)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			dropped++
			continue
		}
		resp.Body.Close()
		switch resp.StatusCode {
		case 200:
			ok++
		case 500:
			failed++
		default:
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	if n := len(mixed.charges(apiserver.ChargeFilter{Endpoint: "gettasks"})); n != ok {
		t.Errorf("%d gettasks charges for %d answers 200", n, ok)
	}
	if failed < 15 || failed > 75 || dropped < 3 || dropped > 40 {
		t.Errorf("of 150 requests %d were 500 and %d dropped: rates 0.3 and 0.1 not applied", failed, dropped)
	}
}

func tryUpload(e *env) (reply, error) {
	body, ct := form("@file", "+41791234567\n", "task_type", "phoneCheck")
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/v1/tasks", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("X-API-Key", keyA)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	r := reply{Status: resp.StatusCode}
	return r, json.NewDecoder(resp.Body).Decode(&r.Body)
}

// The janitor removes tasks, files and ledger rows past the retention, and
// temp files nobody owns once they are old.
func TestRetentionJanitor(t *testing.T) {
	clk := newClock(time.Now())
	e := start(t, apiserver.Config{Now: clk.now, Retention: 24 * time.Hour, JanitorEvery: 10 * time.Millisecond})
	tasks := filepath.Join(e.cfg.Dir, "tasks")
	stale := filepath.Join(tasks, ".upload-stale.tmp")
	fresh := filepath.Join(tasks, ".upload-fresh.tmp")
	os.WriteFile(stale, []byte("x"), 0o600)
	os.WriteFile(fresh, []byte("x"), 0o600)
	old := clk.now().Add(-2 * time.Hour)
	os.Chtimes(stale, old, old)

	id := e.mustUpload(keyA, "+41791234567\n")
	g := e.waitStatus(keyA, id, "exported")
	testkit.WaitFor(t, 10*time.Second, "the stale temp file to go", func() bool { _, err := os.Stat(stale); return err != nil })
	if _, err := os.Stat(fresh); err != nil {
		t.Fatal("a fresh temp file (an upload in progress) was removed")
	}
	clk.add(23 * time.Hour)
	time.Sleep(50 * time.Millisecond) // several sweeps
	if r := e.get(keyA, id, false); r.Status != 200 {
		t.Fatalf("a task younger than the retention is gone: %d", r.Status)
	}
	clk.add(2 * time.Hour)
	testkit.WaitFor(t, 10*time.Second, "the old task to go", func() bool { return e.get(keyB, id, false).Status == 400 && e.get(keyA, id, false).Status == 400 })
	if files, _ := os.ReadDir(tasks); len(files) != 0 {
		t.Errorf("%d files left after the retention", len(files))
	}
	if n := len(e.charges(apiserver.ChargeFilter{TaskID: id, Endpoint: "tasks"})); n != 0 {
		t.Errorf("the old upload charge is still in the ledger")
	}
	resp, err := http.Get(g.str("result_url"))
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != 403 && resp.StatusCode != 404 { // 403: the link expired too (24 h)
			t.Errorf("result of a removed task: %d", resp.StatusCode)
		}
	}
}

// The logs name the user, never the key or a link's signature.
func TestLogsHoldNoSecrets(t *testing.T) {
	e := start(t, apiserver.Config{Faults: apiserver.Faults{}})
	id := e.mustUpload(keyA, "+41791234567\n")
	g := e.waitStatus(keyA, id, "exported")
	download(t, g.str("result_url"), id)
	const wrong = "wrong-secret-key-7f3a9c"
	e.upload(wrong, "+41791234567\n")
	e.get(keyB, id, true)
	u, _ := url.Parse(g.str("result_url"))
	sig := u.Query().Get("sig")
	http.Get(strings.Replace(g.str("result_url"), sig, sig[:10]+"0000"+sig[14:], 1))
	e.stop()

	logs := e.logs.String()
	for _, secret := range []string{keyA, keyB, wrong, sig, sig[:16]} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs hold a secret %q", secret)
		}
	}
	for _, want := range []string{apiserver.NewKey(keyA).UserID, id, `"status":401`, `"status":403`, `"path":"/v1/results/` + id + `.zip"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the logs lack %s", want)
		}
	}
}

// A 429 fault carries Retry-After and is free; a latency spike past the
// client's timeout is not served once the client has gone, so nothing the
// client never saw is charged.
func TestFaults429AndSpikes(t *testing.T) {
	limited := start(t, apiserver.Config{Faults: apiserver.Faults{Rate429: 1, RetryAfter: 1500 * time.Millisecond}})
	r := limited.upload(keyA, "+41791234567\n")
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "2" {
		t.Errorf("rate 1: %d, Retry-After %q; want 429 with 2", r.Status, r.Header.Get("Retry-After"))
	}
	if n := len(limited.charges(apiserver.ChargeFilter{})); n != 0 {
		t.Errorf("429s charged %d times", n)
	}

	spiky := start(t, apiserver.Config{Faults: apiserver.Faults{SpikeRate: 1, Spike: 2 * time.Second}})
	body, ct := form("@file", "+41791234567\n", "task_type", "phoneCheck")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, spiky.ts.URL+"/v1/tasks", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("X-API-Key", keyA)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("spike: answered %d within the client's timeout", resp.StatusCode)
	}
	testkit.WaitFor(t, 10*time.Second, "the abandoned request's log line", func() bool {
		return strings.Contains(spiky.logs.String(), "client gone during injected latency")
	})
	if n := len(spiky.charges(apiserver.ChargeFilter{})); n != 0 {
		t.Errorf("a request the client gave up on was charged %d times", n)
	}
	if matches, _ := filepath.Glob(filepath.Join(spiky.cfg.Dir, "tasks", "*")); len(matches) != 0 {
		t.Errorf("an abandoned upload left files: %v", matches)
	}
}
