package taskapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// DefaultMaxResultSize is DownloadResult's limit when maxBytes <= 0.
const DefaultMaxResultSize = 1 << 30

// DownloadResult fetches a task's result_url into the file dst and returns
// its size. A relative resultURL is resolved against the base URL. The API
// key is sent only when the URL (and every redirect) has the base URL's
// scheme, host and port: a presigned link elsewhere gets no key.
//
// The body streams into a temp file beside dst, which is synced and renamed
// onto dst once complete, so dst is never partial. A body over maxBytes
// (DefaultMaxResultSize if maxBytes <= 0) fails with ErrTooLarge. An
// expired link gives ErrNotFound (404/410) or ErrUnauthorized (403): get the
// task again for a fresh link.
func (c *Client) DownloadResult(ctx context.Context, resultURL, dst string, maxBytes int64) (int64, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxResultSize
	}
	u, err := c.resolve(resultURL)
	if err != nil {
		return 0, err
	}
	endpoint := "GET " + publicURL(u)
	callCtx, wd, stop := c.watch(ctx)
	defer stop()
	req, err := http.NewRequestWithContext(callCtx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, fmt.Errorf("task API: %s: %w: %w", endpoint, err, ErrBadResponse)
	}
	req.Header.Set("Accept", "*/*")
	c.setHeaders(req)
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, c.transportError(ctx, callCtx, endpoint, err, false)
	}
	defer drainClose(resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return 0, c.statusError(endpoint, resp)
	}
	tooLarge := func() error {
		return fmt.Errorf("task API: %s: the result is larger than the limit of %d bytes: %w", endpoint, maxBytes, ErrTooLarge)
	}
	if resp.ContentLength > maxBytes {
		return 0, tooLarge()
	}

	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".*.tmp")
	if err != nil {
		return 0, fmt.Errorf("task API: download to %s: %w", dst, err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	body := &progressReader{r: resp.Body, w: wd, progress: progressOf(ctx)}
	n, err := io.Copy(tmp, io.LimitReader(body, maxBytes+1))
	switch {
	case body.err != nil:
		return 0, c.transportError(ctx, callCtx, endpoint, body.err, false)
	case err != nil:
		return 0, fmt.Errorf("task API: download to %s: %w", dst, err)
	case n > maxBytes:
		return 0, tooLarge()
	}
	if err := tmp.Sync(); err != nil {
		return 0, fmt.Errorf("task API: download to %s: %w", dst, err)
	}
	if err := tmp.Close(); err != nil {
		return 0, fmt.Errorf("task API: download to %s: %w", dst, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return 0, fmt.Errorf("task API: download to %s: %w", dst, err)
	}
	ok = true
	if d, err := os.Open(filepath.Dir(dst)); err == nil { // make the rename durable; best effort
		_ = d.Sync()
		_ = d.Close()
	}
	return n, nil
}

// resolve reads a result_url, relative to the base URL if it has no host.
func (c *Client) resolve(resultURL string) (*url.URL, error) {
	const what = "task API: result_url"
	if strings.TrimSpace(resultURL) == "" {
		return nil, fmt.Errorf("%s is empty (is the task exported?): %w", what, ErrBadResponse)
	}
	ref, err := url.Parse(strings.TrimSpace(resultURL))
	if err != nil {
		return nil, fmt.Errorf("%s is not a URL: %w", what, ErrBadResponse)
	}
	u := c.base.ResolveReference(ref) // RFC 3986, as a browser would

	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s %q is not an http(s) URL: %w", what, publicURL(u), ErrBadResponse)
	}
	return u, nil
}

// publicURL prints u without user info, query or fragment, which may hold
// credentials or a presigned signature.
func publicURL(u *url.URL) string {
	v := *u
	v.User, v.RawQuery, v.Fragment, v.ForceQuery = nil, "", "", false
	return v.String()
}
