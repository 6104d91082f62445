package metrics

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Middleware counts and times the offline API server's requests by
// endpoint and status code. The endpoint is the route, never the raw path
// (a result link carries a task id and a signature).
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			code := "none" // no answer: the connection was dropped
			if sw.status != 0 {
				code = strconv.Itoa(sw.status)
			}
			ep := route(r.URL.Path)
			m.httpRequests.WithLabelValues(ep, code).Inc()
			m.httpSeconds.WithLabelValues(ep).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(sw, r)
	})
}

func route(path string) string {
	switch {
	case path == "/v1/tasks", path == "/v1/gettasks", path == "/v1/balance":
		return path
	case strings.HasPrefix(path, "/v1/results/"):
		return "/v1/results/{name}"
	}
	return "other"
}

// statusWriter remembers the status code.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// ReadFrom keeps the sendfile path of http.ServeContent for result zips.
func (s *statusWriter) ReadFrom(r io.Reader) (int64, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return io.Copy(s.ResponseWriter, r)
}

// Unwrap lets http.ResponseController reach the connection (the server's
// fault injection hijacks it, and sendfile needs ReadFrom).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
