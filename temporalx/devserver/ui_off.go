//go:build noui

package devserver

import "errors"

// UIAvailable tells whether this build serves the Temporal Web UI (this
// one was built with -tags noui).
const UIAvailable = false

// UIOptions configure the Temporal Web UI (not in this build).
type UIOptions struct {
	Listen, FrontendAddress, Namespace string
}

// UI is a running Temporal Web UI (never, in this build).
type UI struct{}

// StartUI fails: this build has no UI.
func StartUI(UIOptions) (*UI, error) {
	return nil, errors.New("devserver: this build has no Temporal UI (built with -tags noui)")
}

// URL is the address to open in a browser.
func (u *UI) URL() string { return "" }

// Stop does nothing.
func (u *UI) Stop() {}
