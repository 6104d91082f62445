//go:build chaos

package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	enumspb "go.temporal.io/api/enums/v1"
)

// TestSecurity runs a file through a split stack, then checks end to end,
// against the built binary: the key is nowhere in Temporal (history, search
// attributes, memo), logs or outputs; requests without the right key get
// 401 and cost nothing; an oversized upload is refused without being read
// whole; a slow client is cut off; result links cannot be forged, pointed
// at another task, or used past their expiry. (apiserver's own tests cover
// the same in process: TestAuthentication, TestOversizedUploadIsNotRead,
// TestSlowClientsAreCut, TestSignedResultURL, TestLogsHoldNoSecrets.)
func TestSecurity(t *testing.T) {
	t.Parallel()
	s := newStack(t, stackOptions{Split: true, ServeArgs: []string{"--max-upload", "1MiB", "--result-url-ttl", "4s"}})
	content, want := cleanRunOf(t, 5000, seed^0x5ec)
	id := s.drop("secret-check.txt", content)
	o := s.wait(id, 3*time.Minute)
	if o.Err != nil {
		t.Fatal(o.Err)
	}
	checkOutputs(t, o.Result, want)
	base := "http://" + s.apiAddr
	checks := 0
	check := func(name string, ok bool, format string, a ...any) {
		t.Helper()
		checks++
		if !ok {
			t.Errorf(name+": "+format, a...)
		}
	}

	t.Run("temporal", func(t *testing.T) {
		ctx := context.Background()
		var hist bytes.Buffer
		it := s.c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		events := 0
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			// The wire form holds payloads as raw bytes (JSON would
			// base64 them and hide a key from the search).
			b, _ := proto.Marshal(e)
			hist.Write(b)
			events++
		}
		desc, err := s.c.DescribeWorkflowExecution(ctx, id, "")
		if err != nil {
			t.Fatal(err)
		}
		meta, _ := proto.Marshal(desc)
		leaks := bytes.Count(hist.Bytes(), []byte(Key)) + bytes.Count(meta, []byte(Key))
		check("history", leaks == 0, "the key appears %d times in the history, search attributes or memo", leaks)
		check("history", events > 10 && bytes.Contains(hist.Bytes(), []byte("secret-check.txt")), "the history read (%d events) does not even hold the file's name: the search proves nothing", events)
		// The history's payloads are JSON, so a number would show; none may.
		check("history", !bytes.Contains(hist.Bytes(), []byte("result_url")), "a result link (a bearer token) is in the history")
		report.add(func(f *figures) { f.leakedSecrets += leaks })
	})

	post := func(path, key string, body io.Reader, ct string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodPost, base+path, body)
		req.Header.Set("Content-Type", ct)
		if key != "" {
			req.Header.Set("X-API-Key", key)
		}
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, b
	}
	upload := func(key string, content string) (*http.Response, []byte) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		fw, _ := mw.CreateFormFile("file", "n.txt")
		io.WriteString(fw, content)
		mw.WriteField("task_type", "phoneCheck")
		mw.Close()
		return post("/v1/tasks", key, &b, mw.FormDataContentType())
	}

	t.Run("401", func(t *testing.T) {
		before := len(s.charges())
		for _, key := range []string{"", "wrong-" + Key, strings.ToUpper(Key), Key[:len(Key)-1]} {
			resp, body := upload(key, "+41446681800\n")
			check("401", resp.StatusCode == 401, "upload with key %q: %d %s", key, resp.StatusCode, body)
			form := url.Values{"task_id": {"00000000-0000-4000-8000-000000000000"}}.Encode()
			resp, body = post("/v1/gettasks", key, strings.NewReader(form), "application/x-www-form-urlencoded")
			check("401", resp.StatusCode == 401, "gettasks with key %q: %d %s", key, resp.StatusCode, body)
			check("401", !bytes.Contains(body, []byte(Key)), "a 401 body echoes the key")
		}
		check("401", len(s.charges()) == before, "refused requests were charged")
	})

	t.Run("oversized", func(t *testing.T) {
		// A declared size over the limit: refused at once.
		req, _ := http.NewRequest(http.MethodPost, base+"/v1/tasks", io.LimitReader(zeros{}, 10<<30))
		req.ContentLength = 10 << 30
		req.Header.Set("X-API-Key", Key)
		req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
		start := time.Now()
		resp, err := httpClient.Do(req)
		if err == nil {
			resp.Body.Close()
			check("oversized", resp.StatusCode == 400, "10 GiB declared: %d", resp.StatusCode)
		}
		check("oversized", time.Since(start) < 10*time.Second, "10 GiB declared: answered after %s", time.Since(start))
		// A streamed body without a length: cut once past the limit.
		sent := &countingReader{r: endlessUpload()}
		pr, pw := io.Pipe()
		go func() { io.Copy(pw, io.LimitReader(sent, 1<<30)); pw.Close() }()
		req, _ = http.NewRequest(http.MethodPost, base+"/v1/tasks", pr)
		req.Header.Set("X-API-Key", Key)
		req.Header.Set("Content-Type", "multipart/form-data; boundary=chaosboundary")
		resp, err = httpClient.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			check("oversized", resp.StatusCode == 400 && bytes.Contains(b, []byte("larger than the limit")), "streamed 1 GiB: %d %s", resp.StatusCode, b)
		}
		pr.CloseWithError(io.ErrClosedPipe)
		check("oversized", sent.n.Load() < 64<<20, "the server read %d MiB of a 1 MiB-limited upload", sent.n.Load()>>20)
		t.Logf("streamed upload cut after %d KiB were sent (limit 1 MiB)", sent.n.Load()>>10)
	})

	t.Run("slow client", func(t *testing.T) {
		conn, err := net.Dial("tcp", s.apiAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		io.WriteString(conn, "POST /v1/tasks HTTP/1.1\r\nHost: x\r\n")
		closed := make(chan time.Duration, 1)
		go func() {
			buf := make([]byte, 1)
			for {
				conn.SetReadDeadline(time.Now().Add(time.Second))
				if _, err := conn.Read(buf); err != nil && !isTimeout(err) {
					closed <- time.Since(start)
					return
				}
				if _, err := io.WriteString(conn, "X"); err != nil { // one header byte a second
					closed <- time.Since(start)
					return
				}
			}
		}()
		select {
		case d := <-closed:
			check("slow client", d < 15*time.Second, "cut after %s", d)
			t.Logf("a client sending a header byte a second was cut after %s", d.Round(100*time.Millisecond))
		case <-time.After(30 * time.Second):
			check("slow client", false, "still connected after 30 s")
		}
	})

	t.Run("signed links", func(t *testing.T) {
		var taskA, taskB string
		for _, n := range []string{"+41446681800\n", "+41446681801\n"} {
			resp, body := upload(Key, n)
			if resp.StatusCode != 200 {
				t.Fatalf("upload: %d %s", resp.StatusCode, body)
			}
			var r struct {
				TaskID string `json:"task_id"`
			}
			json.Unmarshal(body, &r)
			if taskA == "" {
				taskA = r.TaskID
			} else {
				taskB = r.TaskID
			}
		}
		link := func(task string) string {
			deadline := time.Now().Add(time.Minute)
			for time.Now().Before(deadline) {
				_, body := post("/v1/gettasks", Key, strings.NewReader(url.Values{"task_id": {task}}.Encode()), "application/x-www-form-urlencoded")
				var r struct {
					Status    string `json:"status"`
					ResultURL string `json:"result_url"`
				}
				json.Unmarshal(body, &r)
				if r.ResultURL != "" {
					return r.ResultURL
				}
				time.Sleep(100 * time.Millisecond)
			}
			t.Fatalf("task %s not exported", task)
			return ""
		}
		get := func(u string) int {
			resp, err := httpClient.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		a := link(taskA)
		link(taskB)
		check("links", get(a) == 200, "a fresh link does not work")
		u, _ := url.Parse(a)
		q := u.Query()
		forged := *u
		sig := []byte(q.Get("sig"))
		sig[0] ^= 1
		fq := url.Values{"expires": {q.Get("expires")}, "sig": {string(sig)}}
		forged.RawQuery = fq.Encode()
		check("links", get(forged.String()) == 403, "a forged signature is accepted")
		longer := *u
		lq := url.Values{"expires": {fmt.Sprint(time.Now().Add(time.Hour).Unix())}, "sig": {q.Get("sig")}}
		longer.RawQuery = lq.Encode()
		check("links", get(longer.String()) == 403, "a link whose expiry was pushed back is accepted")
		other := *u
		other.Path = strings.Replace(u.Path, taskA, taskB, 1)
		check("links", get(other.String()) == 403, "task A's signature opens task B's result")
		nosig := *u
		nosig.RawQuery = ""
		check("links", get(nosig.String()) == 403, "a link without a signature is accepted")
		// Past its expiry (the server's TTL is 4 s here) the same link is refused.
		exp := time.Unix(mustInt(q.Get("expires")), 0)
		for time.Now().Before(exp.Add(10 * time.Second)) {
			if get(a) == 403 {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		check("links", get(a) == 403, "a link still works 10 s past its expiry")
		check("links", !time.Now().Before(exp), "the link was refused before it expired")
	})
	report.add(func(f *figures) { f.cases++ })
	report.line("security: %d end-to-end checks (key not in Temporal history, search attributes, memo, logs or outputs; 401s free; oversized upload cut; slow client cut; result links not forgeable, transferable or reusable past expiry)", checks)
}

func mustInt(s string) int64 {
	var n int64
	fmt.Sscan(s, &n)
	return n
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// endlessUpload is a multipart body whose file part never ends.
func endlessUpload() io.Reader {
	head := "--chaosboundary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"n.txt\"\r\nContent-Type: text/plain\r\n\r\n"
	return io.MultiReader(strings.NewReader(head), repeatReader("+41446681800\n"))
}

type repeatReader string

func (r repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], r)
	}
	return n, nil
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}
