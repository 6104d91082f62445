// Package taskapi is a client for the phoneCheck v1 tasks API: upload a file
// of numbers as a task, poll the task, download its results zip. The same
// contract is served by the remote service and by `phonecheck serve`.
//
// Every error wraps one kind (ErrBadRequest, ErrUnauthorized, ErrNotFound,
// ErrRateLimited, ErrServer, ErrNetwork, ErrBadResponse, ErrConfig,
// ErrTooLarge, ErrTaskFailed) or the caller's context error; IsRetryable and
// RetryAfter tell what to do next. The API key never appears in errors or in
// the Client's printed form, and is sent only to the base URL's origin.
package taskapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"
)

// Version goes into the User-Agent. It defaults to the main module's version
// from the build info; a program may set it (before New) to its own.
var Version = buildVersion()

func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

const (
	// DefaultTimeout bounds each call: GetTask as a whole; CreateTask and
	// DownloadResult while no bytes move (so large transfers are not cut off).
	DefaultTimeout = 60 * time.Second
	// maxJSON bounds a JSON response body.
	maxJSON = 1 << 20
	// headerKey carries the API key.
	headerKey = "X-API-Key"
	// maxRedirects is what net/http allows by default.
	maxRedirects = 10
)

// Client calls one v1 API. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	key     string
	hc      *http.Client
	ua      string
	timeout time.Duration
}

// Option configures a Client.
type Option func(*Client) error

// WithHTTPClient uses hc's Transport, Jar and Timeout. The Client works on a
// copy: its redirect policy (which strips the API key on the way to another
// host) runs first, then hc.CheckRedirect if set. hc.Timeout, if set, bounds
// whole transfers, including large uploads and downloads.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("nil *http.Client")
		}
		c.hc = hc
		return nil
	}
}

// WithTimeout replaces DefaultTimeout.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) error {
		if d <= 0 {
			return fmt.Errorf("timeout %s is not positive", d)
		}
		c.timeout = d
		return nil
	}
}

// WithUserAgent appends suffix (such as "worker/3") to the User-Agent.
func WithUserAgent(suffix string) Option {
	return func(c *Client) error {
		if strings.ContainsAny(suffix, "\r\n") {
			return errors.New("user agent suffix holds a line break")
		}
		if suffix = strings.TrimSpace(suffix); suffix != "" {
			c.ua += " " + suffix
		}
		return nil
	}
}

// New returns a client of the API at baseURL (such as
// "http://127.0.0.1:8080" or "https://api.example.com/prefix") that
// authenticates with apiKey.
func New(baseURL, apiKey string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// url.Parse errors quote the input; the input is not secret, but keep it short.
		return nil, fmt.Errorf("task API: API URL %q is not an http(s) URL with a host: %w", baseURL, ErrConfig)
	}
	u.RawQuery, u.Fragment = "", ""
	if apiKey == "" {
		return nil, fmt.Errorf("task API: no API key: %w", ErrConfig)
	}
	if strings.ContainsAny(apiKey, "\r\n\x00") {
		return nil, fmt.Errorf("task API: the API key holds a control character: %w", ErrConfig)
	}
	c := &Client{
		base:    u,
		key:     apiKey,
		hc:      http.DefaultClient,
		ua:      "phonecheck/" + Version + " (+https://github.com/phonecheck/phonecheck)",
		timeout: DefaultTimeout,
	}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, fmt.Errorf("task API: %w: %w", err, ErrConfig)
		}
	}
	hc := *c.hc
	next := hc.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := c.checkRedirect(req, via); err != nil {
			return err
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	c.hc = &hc
	return c, nil
}

// String hides the API key, so a Client can be logged.
func (c Client) String() string {
	return fmt.Sprintf("taskapi.Client{%s, key [redacted]}", c.base.Redacted())
}

// GoString hides the API key from %#v too.
func (c Client) GoString() string { return c.String() }

// BaseURL is the API's base URL (with any password hidden).
func (c *Client) BaseURL() string { return c.base.Redacted() }

var errTooManyRedirects = errors.New("stopped after 10 redirects")

// checkRedirect keeps the API key to the base URL's origin: net/http copies
// custom headers to every redirect target, and strips only its own
// sensitive ones. API calls (POST) do not follow redirects at all, since
// net/http would replay them as a bodiless GET.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if via[0].Method != http.MethodGet {
		return http.ErrUseLastResponse
	}
	if len(via) >= maxRedirects {
		return errTooManyRedirects
	}
	if !sameOrigin(req.URL, c.base) {
		req.Header.Del(headerKey)
	}
	return nil
}

// sameOrigin compares scheme, host and port (default ports made explicit).
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) &&
		port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// endpointURL is the base URL joined with an API path.
func (c *Client) endpointURL(path string) string { return c.base.JoinPath(path).String() }

// redact removes the API key from text that came from the server.
func (c *Client) redact(s string) string {
	if c.key == "" {
		return s
	}
	return strings.ReplaceAll(s, c.key, "[redacted]")
}

// watchdog cancels a call's context once no bytes moved for d.
type watchdog struct {
	t *time.Timer
	d time.Duration
}

// watch derives the call's context: canceled with a timeoutError after
// c.timeout without kick, or when the caller's ctx ends.
func (c *Client) watch(ctx context.Context) (context.Context, *watchdog, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	w := &watchdog{d: c.timeout}
	w.t = time.AfterFunc(c.timeout, func() { cancel(&timeoutError{c.timeout}) })
	return ctx, w, func() { w.t.Stop(); cancel(context.Canceled) }
}

func (w *watchdog) kick() { w.t.Reset(w.d) }

// progressReader kicks the watchdog on every read, reports the bytes so
// far to the caller's progress function (WithProgress), and remembers read
// errors (to tell a broken connection from a failing disk in io.Copy).
type progressReader struct {
	r        io.Reader
	w        *watchdog
	progress func(int64)
	n        int64
	err      error
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.w.kick()
		p.n += int64(n)
		if p.progress != nil {
			p.progress(p.n)
		}
	}
	if err != nil && err != io.EOF {
		p.err = err
	}
	return n, err
}

type progressKey struct{}

// WithProgress returns a context whose uploads (CreateTask) and downloads
// (DownloadResult) call fn with the bytes of the file sent or received so
// far, as they move: for a caller that must show it is alive while a long
// transfer runs (a heartbeat). fn is called on the transfer's goroutine.
func WithProgress(ctx context.Context, fn func(bytes int64)) context.Context {
	return context.WithValue(ctx, progressKey{}, fn)
}

func progressOf(ctx context.Context) func(int64) {
	fn, _ := ctx.Value(progressKey{}).(func(int64))
	return fn
}

// transportError turns an error from sending a request or reading its
// response into the error callers see. parent is the caller's context, ctx
// the call's own (with the watchdog).
func (c *Client) transportError(parent, ctx context.Context, endpoint string, err error, sent bool) error {
	if parent.Err() != nil { // the caller canceled: not ours to retry
		return fmt.Errorf("task API: %s: %w", endpoint, context.Cause(parent))
	}
	if errors.Is(err, errTooManyRedirects) {
		return fmt.Errorf("task API: %s: %w: %w", endpoint, errTooManyRedirects, ErrBadResponse)
	}
	var te *timeoutError
	if cause := context.Cause(ctx); errors.As(cause, &te) {
		err = te
	} else if ue := (*url.Error)(nil); errors.As(err, &ue) {
		err = ue.Err // url.Error prints the URL, which may hold a presigned signature
	}
	if isCertError(err) {
		return fmt.Errorf("task API: %s: %s: %w", endpoint, c.redact(err.Error()), ErrConfig)
	}
	return &NetworkError{Endpoint: endpoint, Sent: sent, Err: err}
}

// statusError reads a non-success response into an APIError.
func (c *Client) statusError(endpoint string, resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &APIError{Endpoint: endpoint, StatusCode: resp.StatusCode, kind: kindOf(resp.StatusCode),
		Message: c.redact(serverMessage(body))}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		loc := resp.Header.Get("Location")
		if u, err := url.Parse(loc); err == nil {
			u.RawQuery = ""
			loc = u.Redacted()
		}
		e.Message = c.redact(fmt.Sprintf("the API redirects to %q; set the API URL to that address", loc))
	}
	return e
}

// serverMessage is the message of a JSON error body ({"message": ...}, or
// the "error"/"detail" that other frameworks use), else a snippet of it.
func serverMessage(body []byte) string {
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		for _, k := range []string{"message", "error", "detail", "msg"} {
			if s, ok := m[k].(string); ok && s != "" {
				return snippet([]byte(s))
			}
		}
	}
	return snippet(bytes.TrimSpace(body))
}

// drainClose reads a little of what is left, so the connection can be
// reused, then closes the body.
func drainClose(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, 64<<10)
	_ = body.Close()
}

// do sends req and decodes a 2xx JSON answer into v. The caller has
// created req with ctx; sent, if not nil, reports whether the request body
// was complete (only CreateTask, where it matters, tracks that).
func (c *Client) do(parent, ctx context.Context, endpoint string, req *http.Request, sent func() bool, v any) error {
	c.setHeaders(req)
	wasSent := func() bool { return sent != nil && sent() }
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.transportError(parent, ctx, endpoint, err, wasSent())
	}
	defer drainClose(resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return c.statusError(endpoint, resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJSON+1))
	if err != nil {
		return c.transportError(parent, ctx, endpoint, err, sent != nil)
	}
	if len(body) > maxJSON {
		return fmt.Errorf("task API: %s: response larger than %d bytes: %w", endpoint, maxJSON, ErrBadResponse)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("task API: %s: HTTP %d with a body that is not the expected JSON (%v): %q: %w",
			endpoint, resp.StatusCode, err, c.redact(snippet(body)), ErrBadResponse)
	}
	return nil
}

func (c *Client) setHeaders(req *http.Request) {
	req.Header.Set("User-Agent", c.ua)
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	if sameOrigin(req.URL, c.base) {
		req.Header.Set(headerKey, c.key)
	}
}
