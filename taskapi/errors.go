package taskapi

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Error kinds. Every error the client returns wraps exactly one of them (or
// the caller's own context error), so callers branch with errors.Is and ask
// IsRetryable whether trying again can help.
var (
	// ErrBadRequest: 400 and the other 4xx without a kind of their own. The
	// parameters or the file are wrong; retrying the same call cannot help.
	ErrBadRequest = errors.New("bad request")
	// ErrUnauthorized: 401 or 403. The API key is missing, wrong or revoked.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrNotFound: 404 or 410. An unknown task id, or an expired result link
	// (get the task again for a fresh result_url).
	ErrNotFound = errors.New("not found")
	// ErrRateLimited: 429. Retry after RetryAfter(err).
	ErrRateLimited = errors.New("rate limited")
	// ErrServer: 5xx (and 408). Free of charge per the API; retry with backoff.
	ErrServer = errors.New("server error")
	// ErrNetwork: no answer, or an answer cut off: timeouts, refused or reset
	// connections, bodies that end early. Retry with backoff; for CreateTask
	// see NetworkError.Sent first.
	ErrNetwork = errors.New("network error")
	// ErrBadResponse: a success status with a body we cannot read (not JSON,
	// no task id, too large), or a result_url that is not a URL. Not
	// retryable: after CreateTask the task may exist and be charged.
	ErrBadResponse = errors.New("unreadable response")
	// ErrConfig: the client's setup is wrong: base URL, TLS certificate, an
	// API endpoint that redirects. Fix the configuration.
	ErrConfig = errors.New("client configuration")
	// ErrTooLarge: the result is larger than the caller's limit.
	ErrTooLarge = errors.New("result too large")
	// ErrTaskFailed: the service reports the task as failed (TaskError).
	ErrTaskFailed = errors.New("task failed")
)

// APIError is an HTTP answer other than success.
type APIError struct {
	// Endpoint names the call: "POST /v1/tasks", or "GET https://host/path"
	// for downloads (never the query, which may hold a presigned signature).
	Endpoint   string
	StatusCode int
	// Message is the server's JSON message, or a bounded, cleaned-up snippet
	// of a body that is not JSON.
	Message string
	// RetryAfter is the server's Retry-After (seconds or HTTP date), 0 if none.
	RetryAfter time.Duration
	kind       error
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "task API: %s: HTTP %d", e.Endpoint, e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteString(" " + t)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// Unwrap gives the error's kind (ErrBadRequest, ErrServer, ...).
func (e *APIError) Unwrap() error { return e.kind }

// NetworkError is a call that got no complete answer. It wraps ErrNetwork
// and the underlying cause (so errors.Is(err, context.DeadlineExceeded)
// holds for timeouts).
type NetworkError struct {
	Endpoint string
	// Sent (CreateTask only) reports that the whole upload had been handed
	// to the connection: a task may exist, and be charged, although no task
	// id came back. Look before uploading again.
	Sent bool
	Err  error
}

func (e *NetworkError) Error() string {
	s := fmt.Sprintf("task API: %s: network error: %v", e.Endpoint, e.Err)
	if e.Sent {
		s += " (after the request was sent)"
	}
	return s
}

func (e *NetworkError) Unwrap() []error { return []error{ErrNetwork, e.Err} }

// TaskError is a task the service reports as failed ("failed" or "error").
type TaskError struct {
	TaskID  string
	Status  Status
	Message string
}

func (e *TaskError) Error() string {
	s := fmt.Sprintf("task API: task %s ended with status %q", e.TaskID, e.Status)
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

func (e *TaskError) Unwrap() error { return ErrTaskFailed }

// IsRetryable reports whether the same call may succeed later: rate limits,
// server errors and network errors. Everything else needs a change first.
func IsRetryable(err error) bool {
	return errors.Is(err, ErrServer) || errors.Is(err, ErrRateLimited) || errors.Is(err, ErrNetwork)
}

// RetryAfter is how long the server asked to wait (Retry-After), or 0.
func RetryAfter(err error) time.Duration {
	var e *APIError
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// kindOf maps a non-success status to its error kind.
func kindOf(code int) error {
	switch {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return ErrUnauthorized
	case code == http.StatusNotFound || code == http.StatusGone:
		return ErrNotFound
	case code == http.StatusTooManyRequests:
		return ErrRateLimited
	case code == http.StatusRequestTimeout || code >= 500:
		return ErrServer
	case code >= 400:
		return ErrBadRequest
	case code >= 300:
		return ErrConfig // a redirect we did not follow (API calls never replay a POST elsewhere)
	}
	return ErrBadResponse
}

// parseRetryAfter reads Retry-After as delay seconds or an HTTP date;
// anything else, or a date in the past, is 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, int64(1<<63-1)/int64(time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// timeoutError is the cause of a call the client gave up on.
type timeoutError struct{ d time.Duration }

func (e *timeoutError) Error() string   { return fmt.Sprintf("timed out: no progress for %s", e.d) }
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Is(t error) bool { return t == context.DeadlineExceeded }

// isCertError reports TLS verification failures, which retrying cannot fix.
func isCertError(err error) bool {
	var (
		v *tls.CertificateVerificationError
		u x509.UnknownAuthorityError
		h x509.HostnameError
		c x509.CertificateInvalidError
	)
	return errors.As(err, &v) || errors.As(err, &u) || errors.As(err, &h) || errors.As(err, &c)
}

// snippetMax bounds how much of a non-JSON error body goes into a message.
const snippetMax = 200

// snippet makes a short one-line excerpt of a body for an error message.
func snippet(b []byte) string {
	var s strings.Builder
	space := false
	for len(b) > 0 && s.Len() < snippetMax {
		r, n := utf8.DecodeRune(b)
		b = b[n:]
		switch {
		case unicode.IsSpace(r):
			space = s.Len() > 0
			continue
		case r == utf8.RuneError || !unicode.IsPrint(r):
			r = '?'
		}
		if space {
			s.WriteByte(' ')
			space = false
		}
		s.WriteRune(r)
	}
	if len(b) > 0 {
		s.WriteString("…")
	}
	return s.String()
}
