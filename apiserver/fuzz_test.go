package apiserver_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/phonecheck/phonecheck/apiserver"
)

// FuzzHandlers sends random bodies, content types, keys and paths to the
// HTTP handlers: client garbage must get a 4xx (or a 200 when it happens to
// be a valid request), never a 5xx or a panic.
func FuzzHandlers(f *testing.F) {
	body, ct := form("@file", "+41791234567\n0041 44 668 18 00\n", "task_type", "phoneCheck")
	f.Add(uint8(0), uint8(0), ct, body, "")
	f.Add(uint8(0), uint8(0), ct, body[:len(body)/2], "")
	f.Add(uint8(1), uint8(0), "application/x-www-form-urlencoded", []byte("task_id=00000000-0000-4000-8000-000000000000"), "")
	f.Add(uint8(1), uint8(0), "multipart/form-data; boundary=zz", []byte("--zz\r\nContent-Disposition: form-data; name=\"task_id\"\r\n\r\nx\r\n--zz--\r\n"), "")
	f.Add(uint8(2), uint8(0), "", []byte{}, "day=2026-13-45")
	f.Add(uint8(3), uint8(2), "", []byte{}, "expires=99999999999&sig=00")
	f.Add(uint8(0), uint8(1), "multipart/form-data; boundary=\"", []byte("\x00\xff--"), "")
	f.Add(uint8(4), uint8(0), "text/plain", []byte("GET / HTTP/1.1"), "%zz")

	srv, err := apiserver.New(apiserver.Config{Dir: f.TempDir(), Keys: []apiserver.Key{apiserver.NewKey(keyA)},
		Processors: 1, MaxUpload: 64 << 10, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	h := srv.Handler()
	paths := []string{"/v1/tasks", "/v1/gettasks", "/v1/balance", "/v1/results/00000000-0000-4000-8000-000000000000.zip", "/v1/nothing"}
	methods := []string{http.MethodPost, http.MethodPost, http.MethodGet, http.MethodGet, http.MethodPut}
	keys := []string{keyA, "", "not-a-key"}

	f.Fuzz(func(t *testing.T, which, key uint8, contentType string, body []byte, query string) {
		i := int(which) % len(paths)
		method := methods[i]
		if which >= 128 { // every method on every path, too
			method = []string{http.MethodGet, http.MethodPost, http.MethodHead, http.MethodDelete}[int(which)%4]
		}
		req := httptest.NewRequest(method, "http://phonecheck.test"+paths[i], bytes.NewReader(body))
		req.URL.RawQuery = query
		if contentType != "" {
			if strings.ContainsAny(contentType, "\r\n") {
				return // not a header a client can send
			}
			req.Header.Set("Content-Type", contentType)
		}
		if k := keys[int(key)%len(keys)]; k != "" {
			req.Header.Set("X-API-Key", k)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s?%s (Content-Type %q, %d bytes): %d %s", method, paths[i], query, contentType, len(body), rec.Code, rec.Body)
		}
		if rec.Code != http.StatusOK && method != http.MethodHead {
			b, _ := io.ReadAll(rec.Body)
			if !bytes.Contains(b, []byte(`"message"`)) {
				t.Fatalf("%s %s: %d without a JSON message: %q", method, paths[i], rec.Code, b)
			}
		}
	})
}
