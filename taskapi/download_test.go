package taskapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// keyLog records which paths a server was asked for and with which key.
type keyLog struct {
	mu   sync.Mutex
	seen map[string]string
}

func (k *keyLog) record(r *http.Request) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.seen == nil {
		k.seen = map[string]string{}
	}
	k.seen[r.URL.Path] = r.Header.Get("X-API-Key")
}

func (k *keyLog) key(path string) (string, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.seen[path]
	return v, ok
}

const zipBody = "PK\x05\x06" + "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"

// TestDownloadKeyOrigin: the key goes to the base URL's origin only, for
// direct links and across redirects.
func TestDownloadKeyOrigin(t *testing.T) {
	var apiLog, fileLog keyLog
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fileLog.record(r)
		if r.URL.Path == "/bounce" { // back to the API host
			http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
			return
		}
		_, _ = io.WriteString(w, zipBody)
	}))
	defer files.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apiLog.record(r)
		switch r.URL.Path {
		case "/v1/results/local.zip", "/v1/results/back.zip":
			_, _ = io.WriteString(w, zipBody)
		case "/v1/results/away.zip":
			http.Redirect(w, r, files.URL+"/presigned/away.zip?X-Amz-Signature=abc", http.StatusFound)
		case "/v1/results/same.zip":
			http.Redirect(w, r, "/v1/results/local.zip", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer api.Close()
	c := newClient(t, api)
	dir := t.TempDir()
	get := func(u string) {
		t.Helper()
		n, err := c.DownloadResult(context.Background(), u, filepath.Join(dir, "r.zip"), 1<<20)
		if err != nil || n != int64(len(zipBody)) {
			t.Fatalf("download %s: %d, %v", u, n, err)
		}
		b, _ := os.ReadFile(filepath.Join(dir, "r.zip"))
		if string(b) != zipBody {
			t.Fatalf("download %s: wrong content %q", u, b)
		}
	}

	get(files.URL + "/presigned/direct.zip?X-Amz-Signature=abc")
	if k, ok := fileLog.key("/presigned/direct.zip"); !ok || k != "" {
		t.Errorf("presigned host got key %q (asked: %v); want none", k, ok)
	}
	get("/v1/results/local.zip") // relative: resolved against the base URL, same origin
	if k, _ := apiLog.key("/v1/results/local.zip"); k != testKey {
		t.Errorf("API host got key %q for a relative link; want the key", k)
	}
	get(api.URL + "/v1/results/away.zip") // API host redirects to another host
	if k, ok := fileLog.key("/presigned/away.zip"); !ok || k != "" {
		t.Errorf("redirect target got key %q (asked: %v); want none", k, ok)
	}
	get(api.URL + "/v1/results/same.zip") // same-origin redirect keeps it
	if k, _ := apiLog.key("/v1/results/local.zip"); k != testKey {
		t.Errorf("same-origin redirect lost the key")
	}
	// another host redirecting to the API host: the request started without the key, so none is added
	get(files.URL + "/bounce?to=" + api.URL + "/v1/results/back.zip")
	if k, ok := apiLog.key("/v1/results/back.zip"); !ok || k != "" {
		t.Errorf("API host got key %q via a foreign link; want none", k)
	}
	// A different port on the same host is another origin.
	if sameOrigin(mustURL(t, "http://127.0.0.1:1"), mustURL(t, "http://127.0.0.1:2")) ||
		!sameOrigin(mustURL(t, "HTTPS://Example.com"), mustURL(t, "https://example.com:443/x")) ||
		sameOrigin(mustURL(t, "http://example.com"), mustURL(t, "https://example.com")) {
		t.Error("sameOrigin is wrong")
	}
}

func TestDownloadLimits(t *testing.T) {
	const size = 10000
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("chunked") == "" {
			w.Header().Set("Content-Length", strconv.Itoa(size))
		} else {
			w.(http.Flusher).Flush() // no length: chunked
		}
		_, _ = w.Write(make([]byte, size))
	}))
	defer srv.Close()
	c := newClient(t, srv)
	dir := t.TempDir()
	dst := filepath.Join(dir, "r.zip")
	for _, q := range []string{"/r.zip", "/r.zip?chunked=1"} {
		_, err := c.DownloadResult(context.Background(), q, dst, size-1)
		if !errors.Is(err, ErrTooLarge) || IsRetryable(err) || !strings.Contains(err.Error(), "9999 bytes") {
			t.Errorf("%s: %v; want ErrTooLarge naming the limit", q, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%s: left %v behind", q, entries)
		}
		if n, err := c.DownloadResult(context.Background(), q, dst, size); err != nil || n != size {
			t.Errorf("%s at the limit: %d, %v", q, n, err)
		}
		_ = os.Remove(dst)
	}
}

func TestDownloadErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/expired":
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>")
		case "/gone":
			http.NotFound(w, r)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/stall":
			w.Header().Set("Content-Length", "100")
			_, _ = w.Write([]byte("PK"))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		case "/slow": // 6 chunks over ~600ms: slower than the timeout overall, never stalled
			for range 6 {
				_, _ = w.Write([]byte("PK"))
				w.(http.Flusher).Flush()
				time.Sleep(100 * time.Millisecond)
			}
		}
	}))
	defer srv.Close()
	c := newClient(t, srv, WithTimeout(300*time.Millisecond))
	dst := filepath.Join(t.TempDir(), "r.zip")
	ctx := context.Background()

	_, err := c.DownloadResult(ctx, srv.URL+"/expired?X-Amz-Signature=topsecret", dst, 0)
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "Request has expired") || strings.Contains(err.Error(), "topsecret") {
		t.Errorf("expired: %v; want ErrUnauthorized with the body, without the signature", err)
	}
	if _, err = c.DownloadResult(ctx, "/gone", dst, 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("gone: %v", err)
	}
	if _, err = c.DownloadResult(ctx, "/loop", dst, 0); !errors.Is(err, ErrBadResponse) {
		t.Errorf("loop: %v; want ErrBadResponse", err)
	}
	start := time.Now()
	_, err = c.DownloadResult(ctx, "/stall?sig=topsecret", dst, 0)
	if !errors.Is(err, ErrNetwork) || !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "topsecret") || time.Since(start) > 3*time.Second {
		t.Errorf("stall: %v after %v; want a quick network timeout", err, time.Since(start))
	}
	if n, err := c.DownloadResult(ctx, "/slow", dst, 0); err != nil || n != 12 {
		t.Errorf("slow but moving: %d, %v; want it to finish", n, err)
	}
	for _, u := range []string{"", "  ", "ftp://x/r.zip", "javascript:alert(1)", "http://[::1"} {
		if _, err := c.DownloadResult(ctx, u, dst, 0); !errors.Is(err, ErrBadResponse) {
			t.Errorf("result_url %q: %v; want ErrBadResponse", u, err)
		}
	}
	if _, err := c.DownloadResult(ctx, "/slow", filepath.Join(t.TempDir(), "missing", "r.zip"), 0); err == nil || IsRetryable(err) {
		t.Errorf("unwritable destination: %v; want a local, non-retryable error", err)
	}
}

func TestDownloadCancel(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for {
			if _, err := w.Write(make([]byte, 1024)); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			time.Sleep(10 * time.Millisecond)
		}
	}))
	defer srv.Close()
	c := newClient(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	dir := t.TempDir()
	_, err := c.DownloadResult(ctx, "/r.zip", filepath.Join(dir, "r.zip"), 0)
	if !errors.Is(err, context.DeadlineExceeded) || IsRetryable(err) {
		t.Errorf("err = %v; want the caller's deadline, not retryable", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left %v behind", entries)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
