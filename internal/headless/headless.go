// Package headless drives a headless Chromium over the DevTools protocol,
// so tests can look at pages as a person would: load one, wait for what it
// shows, read its text and take a screenshot. Every browser runs with a
// fresh profile and no background traffic of its own.
package headless

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/websocket"

	"github.com/phonecheck/phonecheck/internal/testkit"
)

// BrowserEnv names a Chromium binary to use instead of looking one up.
const BrowserEnv = "PHONECHECK_CHROMIUM"

// Find returns the Chromium binary: $PHONECHECK_CHROMIUM, else the first
// of chromium, chromium-browser, google-chrome on PATH.
func Find() (string, error) {
	if p := os.Getenv(BrowserEnv); p != "" {
		return exec.LookPath(p)
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found: install Debian's chromium (apt-get install chromium) or set " + BrowserEnv)
}

// Flags are the command-line flags every browser starts with: headless, no
// sandbox (tests run as root in containers), and nothing that reaches out
// on its own (updates, sync, safe browsing lists, first-run pages).
var Flags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-extensions", "--disable-default-apps", "--no-first-run", "--no-default-browser-check",
	"--mute-audio", "--hide-scrollbars", "--window-size=1400,1000",
}

// Browser is a running headless Chromium with one page.
type Browser struct {
	cmd     *exec.Cmd
	profile string
	conn    *websocket.Conn
	stderr  *testkit.SyncBuffer
	exited  chan struct{}

	mu     sync.Mutex
	nextID int
}

// Start runs Chromium with a fresh profile directory (removed on Close) and
// connects to its first page.
func Start(ctx context.Context) (*Browser, error) {
	bin, err := Find()
	if err != nil {
		return nil, err
	}
	profile, err := os.MkdirTemp("", "phonecheck-chromium-")
	if err != nil {
		return nil, err
	}
	args := append(append([]string{}, Flags...), "--user-data-dir="+profile,
		"--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--remote-allow-origins=*", "about:blank")
	cmd := exec.Command(bin, args...)
	b := &Browser{cmd: cmd, profile: profile, stderr: &testkit.SyncBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = b.stderr
	if err := cmd.Start(); err != nil {
		os.RemoveAll(profile)
		return nil, fmt.Errorf("headless: starting %s: %w", bin, err)
	}
	go func() { cmd.Wait(); close(b.exited) }()
	wsURL, err := b.pageSocket(ctx)
	if err != nil {
		b.Close()
		return nil, err
	}
	if b.conn, err = websocket.Dial(wsURL, "", "http://127.0.0.1/"); err != nil {
		b.Close()
		return nil, fmt.Errorf("headless: connecting to the page: %w", err)
	}
	b.conn.MaxPayloadBytes = 64 << 20 // screenshots
	return b, nil
}

// pageSocket waits for Chromium's DevTools port (it writes it into the
// profile) and returns the WebSocket URL of the first page.
func (b *Browser) pageSocket(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		if data, err := os.ReadFile(filepath.Join(b.profile, "DevToolsActivePort")); err == nil {
			if port, _, ok := strings.Cut(string(data), "\n"); ok && port != "" {
				if u, err := firstPage(ctx, "http://127.0.0.1:"+port+"/json/list"); err == nil {
					return u, nil
				}
			}
		}
		select {
		case <-b.exited:
			return "", fmt.Errorf("headless: Chromium exited: %s", strings.TrimSpace(b.stderr.String()))
		case <-ctx.Done():
			return "", fmt.Errorf("headless: Chromium did not open its DevTools port within 30s: %s", strings.TrimSpace(b.stderr.String()))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func firstPage(ctx context.Context, listURL string) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, listURL, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var targets []struct{ Type, WebSocketDebuggerURL string }
	if err := json.NewDecoder(resp.Body).Decode(&targets); err != nil {
		return "", err
	}
	for _, t := range targets {
		if t.Type == "page" && t.WebSocketDebuggerURL != "" {
			return t.WebSocketDebuggerURL, nil
		}
	}
	return "", errors.New("no page yet")
}

// Call sends one DevTools command and decodes its result into out (nil
// discards it). Events the page sends meanwhile are skipped.
func (b *Browser) Call(method string, params, out any) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.nextID++
	id := b.nextID
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if err := websocket.JSON.Send(b.conn, msg); err != nil {
		return fmt.Errorf("headless: %s: %w", method, err)
	}
	b.conn.SetReadDeadline(time.Now().Add(time.Minute))
	for {
		var reply struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := websocket.JSON.Receive(b.conn, &reply); err != nil {
			return fmt.Errorf("headless: %s: %w", method, err)
		}
		if reply.ID != id {
			continue
		}
		if reply.Error != nil {
			return fmt.Errorf("headless: %s: %s", method, reply.Error.Message)
		}
		if out == nil {
			return nil
		}
		return json.Unmarshal(reply.Result, out)
	}
}

// Navigate loads url in the page.
func (b *Browser) Navigate(url string) error {
	var res struct {
		ErrorText string `json:"errorText"`
	}
	if err := b.Call("Page.navigate", map[string]any{"url": url}, &res); err != nil {
		return err
	}
	if res.ErrorText != "" {
		return fmt.Errorf("headless: loading %s: %s", url, res.ErrorText)
	}
	return nil
}

// Eval evaluates a JavaScript expression in the page (promises are
// awaited) and decodes its value into out.
func (b *Browser) Eval(expr string, out any) error {
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := b.Call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &res); err != nil {
		return err
	}
	if res.Exception != nil {
		return fmt.Errorf("headless: %s: %s", res.Exception.Text, res.Exception.Exception.Description)
	}
	if out == nil || len(res.Result.Value) == 0 {
		return nil
	}
	return json.Unmarshal(res.Result.Value, out)
}

// Text is the page's visible text (document.body.innerText).
func (b *Browser) Text() (string, error) {
	var s string
	err := b.Eval(`document.body ? document.body.innerText : ""`, &s)
	return s, err
}

// WaitText waits until the page's text holds every one of want, and
// returns that text; on timeout the error quotes what the page showed.
func (b *Browser) WaitText(timeout time.Duration, want ...string) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		text, err := b.Text()
		missing := ""
		if err == nil {
			for _, w := range want {
				if !strings.Contains(text, w) {
					missing = w
					break
				}
			}
			if missing == "" {
				return text, nil
			}
		}
		if time.Now().After(deadline) {
			if err != nil {
				return "", err
			}
			return text, fmt.Errorf("headless: the page did not show %q within %v; it showed:\n%s", missing, timeout, clip(text, 2000))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Screenshot writes a PNG of the whole page (not only the window) to path.
func (b *Browser) Screenshot(path string) error {
	var res struct {
		Data string `json:"data"`
	}
	if err := b.Call("Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &res); err != nil {
		return err
	}
	png, err := base64.StdEncoding.DecodeString(res.Data)
	if err != nil {
		return fmt.Errorf("headless: screenshot: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}

// Close stops Chromium and removes its profile.
func (b *Browser) Close() {
	if b.conn != nil {
		b.conn.Close()
	}
	b.cmd.Process.Kill()
	<-b.exited
	os.RemoveAll(b.profile)
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
