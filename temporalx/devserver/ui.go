//go:build !noui

package devserver

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/phonecheck/phonecheck/internal/freeport"
	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
)

// UIAvailable tells whether this build serves the Temporal Web UI: its
// assets make up more than half of the binary, so builds for servers that
// have a UI of their own leave it out with -tags noui.
const UIAvailable = true

// UIOptions configure the Temporal Web UI served beside the embedded server.
type UIOptions struct {
	// Listen is host:port of the UI (default 127.0.0.1:8233, as
	// `temporal server start-dev` has it).
	Listen string
	// FrontendAddress is the Temporal frontend the UI talks to (gRPC).
	FrontendAddress string
	// Namespace opens first (default "default").
	Namespace string
}

// UI is a running Temporal Web UI.
type UI struct {
	server *uiserver.Server
	url    string
	done   chan struct{}
}

// StartUI serves the Temporal Web UI (the same ui-server `temporal server
// start-dev` embeds, its assets compiled into the binary) and returns once
// it answers. The UI reads and acts through the frontend's API, so it shows
// whatever the namespace holds.
func StartUI(opt UIOptions) (*UI, error) {
	if opt.Listen == "" {
		opt.Listen = "127.0.0.1:8233"
	}
	if opt.Namespace == "" {
		opt.Namespace = "default"
	}
	host, portText, err := net.SplitHostPort(opt.Listen)
	if err != nil {
		return nil, fmt.Errorf("devserver: UI address %q: %w", opt.Listen, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("devserver: UI port %q: %w", portText, err)
	}
	if port == 0 {
		// The UI server takes a port number, not a listener: pick one.
		if port, err = freePortOn(host); err != nil {
			return nil, err
		}
	}
	// The UI server ends the process when it cannot listen: find out here,
	// with a message that says what to do.
	if err := checkFreeFor(net.JoinHostPort(host, strconv.Itoa(port)), "the Temporal UI", "--ui-listen, or --no-ui"); err != nil {
		return nil, err
	}
	if host == "" {
		host = "0.0.0.0"
	}
	srv := uiserver.NewServer(uiserveroptions.WithConfigProvider(&uiconfig.Config{
		Host:                host,
		Port:                port,
		TemporalGRPCAddress: opt.FrontendAddress,
		EnableUI:            true,
		DefaultNamespace:    opt.Namespace,
		// Plain HTTP on a local port: the CSRF cookie must not require TLS.
		CORS:     uiconfig.CORS{CookieInsecure: true},
		HideLogs: true,
	}))
	u := &UI{server: srv, url: "http://" + net.JoinHostPort(browsable(host), strconv.Itoa(port)), done: make(chan struct{})}
	go func() {
		defer close(u.done)
		_ = srv.Start() // returns when Stop closes it
	}()
	if err := waitHealthy(u.url+"/healthz", 30*time.Second); err != nil {
		u.Stop()
		return nil, err
	}
	return u, nil
}

// URL is the address to open in a browser.
func (u *UI) URL() string { return u.url }

// Stop closes the UI's listener and connections.
func (u *UI) Stop() {
	u.server.Stop()
	select {
	case <-u.done:
	case <-time.After(5 * time.Second):
	}
}

// browsable is the host a browser on this machine reaches the UI at.
func browsable(host string) string {
	if ip := net.ParseIP(host); host == "0.0.0.0" || host == "::" || (ip != nil && ip.IsUnspecified()) {
		return "127.0.0.1"
	}
	return host
}

func waitHealthy(url string, within time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("devserver: the Temporal UI did not answer at %s within %v", url, within)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func freePortOn(host string) (int, error) {
	addr, err := freeport.Addr(host)
	if err != nil {
		return 0, fmt.Errorf("devserver: %w", err)
	}
	_, p, _ := net.SplitHostPort(addr)
	return strconv.Atoi(p)
}
