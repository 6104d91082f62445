package apiserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/tasks", only(s.handleCreate, http.MethodPost))
	mux.Handle("/v1/gettasks", only(s.handleGet, http.MethodPost))
	mux.Handle("/v1/balance", only(s.handleBalance, http.MethodGet, http.MethodHead))
	mux.Handle("/v1/results/{name}", only(s.handleResult, http.MethodGet, http.MethodHead))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: the API has POST /v1/tasks, POST /v1/gettasks and GET /v1/balance")
	})
	// Faults sit inside the log (so they are logged) and before everything
	// that can charge.
	return s.accessLog(s.faults(mux))
}

// only answers other methods with a JSON 405 (ServeMux's own is plain text).
func only(h http.HandlerFunc, methods ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, m := range methods {
			if r.Method == m {
				h(w, r)
				return
			}
		}
		w.Header().Set("Allow", strings.Join(methods, ", "))
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed here: use "+methods[0])
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // result_url keeps its & readable
	_ = enc.Encode(v)
}

// writeError writes the JSON error body every non-200 answer has.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"message": msg})
}

// authenticate returns the key's user, or answers 401 (free).
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (string, bool) {
	user, ok := s.keys.user(r.Header.Get("X-API-Key"))
	if !ok {
		msg := "the X-API-Key header is missing"
		if r.Header.Get("X-API-Key") != "" {
			msg = "the API key is not valid"
		}
		writeError(w, http.StatusUnauthorized, msg)
		return "", false
	}
	info(r).user = user
	return user, true
}

// tooMany answers 429 (free) with Retry-After set to the next UTC midnight,
// when the daily limit resets.
func (s *Server) tooMany(w http.ResponseWriter) {
	now := s.now()
	midnight := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(midnight.Sub(now).Seconds()))))
	writeError(w, http.StatusTooManyRequests, "the daily limit of "+strconv.Itoa(s.cfg.DailyLimit)+
		" charged requests for this key is used up: it resets at 00:00 UTC")
}

// reqInfo carries what handlers learn about a request to its log line.
type reqInfo struct{ user, task, fault string }

type infoKey struct{}

func info(r *http.Request) *reqInfo {
	if ri, ok := r.Context().Value(infoKey{}).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{}
}

// recorder remembers the status and size of a response for the log.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (rec *recorder) WriteHeader(code int) {
	if rec.status == 0 {
		rec.status = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	n, err := rec.ResponseWriter.Write(b)
	rec.bytes += int64(n)
	return n, err
}

// ReadFrom keeps the sendfile path of http.ServeContent for result zips.
func (rec *recorder) ReadFrom(r io.Reader) (int64, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	n, err := io.Copy(rec.ResponseWriter, r)
	rec.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach Hijack and deadlines.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// accessLog logs one line per request: the path without its query (a result
// link's signature stays out) and the user id, never the key.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &reqInfo{}
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), infoKey{}, ri)))
		attrs := []slog.Attr{
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", time.Since(start)), slog.String("remote", r.RemoteAddr),
		}
		for _, a := range [][2]string{{"user_id", ri.user}, {"task_id", ri.task}, {"fault", ri.fault}} {
			if a[1] != "" {
				attrs = append(attrs, slog.String(a[0], a[1]))
			}
		}
		level := slog.LevelInfo
		if rec.status >= 500 && ri.fault == "" {
			level = slog.LevelError
		}
		s.log.LogAttrs(r.Context(), level, "request", attrs...)
	})
}

// faults applies Config.Faults: latency first, then a dropped connection,
// a 500 or a 429, all before the request reaches anything that charges.
func (s *Server) faults(next http.Handler) http.Handler {
	f := s.cfg.Faults
	if f.Rate500 == 0 && f.DropRate == 0 && f.Latency == 0 && f.LatencyJitter == 0 && f.SpikeRate == 0 && f.Rate429 == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := f.Latency
		if f.LatencyJitter > 0 {
			d += rand.N(f.LatencyJitter)
		}
		if chance(f.SpikeRate) {
			d += f.Spike
			info(r).fault = "spike"
		}
		if d > 0 {
			// Read a small body first: only then does the request's context
			// end when the client hangs up, and a client that gave up during
			// the delay must not be served (and charged) afterwards, as a
			// request lost on a slow network never arrives.
			if r.ContentLength >= 0 && r.ContentLength <= preReadLimit {
				b, err := io.ReadAll(io.LimitReader(r.Body, preReadLimit+1))
				if err != nil {
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(b))
			}
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				info(r).fault = "client gone during injected latency"
				return
			}
		}
		if chance(f.DropRate) {
			info(r).fault = "drop"
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				panic(http.ErrAbortHandler) // HTTP/2: reset the stream instead
			}
			conn.Close()
			return
		}
		if chance(f.Rate500) {
			info(r).fault = "500"
			writeError(w, http.StatusInternalServerError, "injected fault (--fault-500-rate): retry the request")
			return
		}
		if chance(f.Rate429) {
			info(r).fault = "429"
			secs := max(1, int(math.Ceil(f.RetryAfter.Seconds())))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeError(w, http.StatusTooManyRequests, "injected fault (--fault-429-rate): retry after "+strconv.Itoa(secs)+" s")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// preReadLimit bounds the body the latency faults read before waiting.
const preReadLimit = 1 << 20

// unreadable answers 200 with a body that is not the API's JSON, as a proxy
// or a broken service does; what the request did (and charged) stands.
func unreadable(w http.ResponseWriter, r *http.Request) {
	info(r).fault = "unreadable 200"
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "<!DOCTYPE html><html><body><h1>Gateway Timeout</h1></body></html>\n")
}

// throttledReader reads no faster than bps bytes per second; it gives up
// when ctx ends (the client is gone).
type throttledReader struct {
	r     io.Reader
	ctx   context.Context
	bps   int64
	start time.Time
	n     int64
}

func throttleReader(ctx context.Context, r io.Reader, bps int64) io.Reader {
	if bps <= 0 {
		return r
	}
	return &throttledReader{r: r, ctx: ctx, bps: bps, start: time.Now()}
}

func (t *throttledReader) Read(p []byte) (int, error) {
	if chunk := max(1, int(t.bps/20)); len(p) > chunk { // 50 ms worth at a time
		p = p[:chunk]
	}
	n, err := t.r.Read(p)
	t.n += int64(n)
	if err == nil {
		if !throttleWait(t.ctx, t.start, t.n, t.bps) {
			return n, t.ctx.Err()
		}
	}
	return n, err
}

// throttledWriter writes no faster than bps bytes per second. It hides
// ReadFrom, so http.ServeContent cannot bypass it with sendfile.
type throttledWriter struct {
	http.ResponseWriter
	ctx   context.Context
	bps   int64
	start time.Time
	n     int64
}

func (t *throttledWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), max(1, int(t.bps/20)))]
		n, err := t.ResponseWriter.Write(chunk)
		written += n
		t.n += int64(n)
		if err != nil {
			return written, err
		}
		if !throttleWait(t.ctx, t.start, t.n, t.bps) {
			return written, t.ctx.Err()
		}
		p = p[n:]
	}
	return written, nil
}

// throttleWait sleeps until n bytes at bps are due since start; it reports
// false when ctx ended first.
func throttleWait(ctx context.Context, start time.Time, n, bps int64) bool {
	due := start.Add(time.Duration(float64(n) / float64(bps) * float64(time.Second)))
	d := time.Until(due)
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
