package activities

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// SignatureHeader carries "sha256=<hex HMAC-SHA256 of the body>", keyed
// with the workers' notify secret (doc/notifications.md).
const SignatureHeader = "X-Phonecheck-Signature"

// Notification is what a file's notice says: where its outputs are and its
// counts, never a number of the file nor a key.
type Notification struct {
	Event      string            `json:"event"`       // "file.done" or "file.failed"
	Delivery   string            `json:"delivery"`    // the same for every attempt: receivers drop repeats by it
	WorkflowID string            `json:"workflow_id"` // the file's workflow
	RunID      string            `json:"run_id"`
	Status     string            `json:"status"` // done or failed
	Reason     string            `json:"reason,omitempty"`
	File       string            `json:"file"`   // the input's name
	SHA256     string            `json:"sha256"` // of the input's content
	Options    string            `json:"options,omitempty"`
	TaskID     string            `json:"task_id,omitempty"`
	OutputDir  string            `json:"output_dir,omitempty"`
	Outputs    map[string]string `json:"outputs,omitempty"` // format -> path
	Report     string            `json:"report,omitempty"`
	Summary    string            `json:"summary,omitempty"`
	Archived   string            `json:"archived,omitempty"` // where the input went: done/ or failed/
	Lines      int               `json:"lines"`
	Rows       int               `json:"rows"`
	Valid      int               `json:"valid"`
	Invalid    int               `json:"invalid"`
	Uploaded   int               `json:"uploaded"`
	Folded     int               `json:"folded"`
	SetAside   int               `json:"set_aside"`
	Polls      int               `json:"polls"`
	StartedAt  time.Time         `json:"started_at"`
	FinishedAt time.Time         `json:"finished_at"`
}

type NotifyInput struct {
	URL          string       `json:"url"`
	Notification Notification `json:"notification"`
}

type NotifyResult struct {
	Status      int       `json:"status"` // the receiver's HTTP status
	Attempt     int32     `json:"attempt"`
	DeliveredAt time.Time `json:"delivered_at"`
	Signed      bool      `json:"signed"`
}

// ErrNotifyRefused is a receiver's answer no retry changes (400, 401, 403,
// 404, 410, 413, 422): the notice is dropped.
const ErrNotifyRefused = "NotifyRefused"

// Sign is the SignatureHeader value of body under secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Notify POSTs a file's notice, signed when the worker has a secret. Any
// 2xx is delivered; the workflow retries the rest with backoff.
func (a *Activities) Notify(ctx context.Context, in NotifyInput) (NotifyResult, error) {
	body, err := json.Marshal(in.Notification)
	if err != nil {
		return NotifyResult{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.URL, bytes.NewReader(body))
	if err != nil {
		return NotifyResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("notify URL: %v", err), ErrBadInput, nil)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "phonecheck")
	req.Header.Set("X-Phonecheck-Event", in.Notification.Event)
	req.Header.Set("X-Phonecheck-Delivery", in.Notification.Delivery)
	signed := len(a.NotifySecret) > 0
	if signed {
		req.Header.Set(SignatureHeader, Sign(a.NotifySecret, body))
	}
	hc := a.NotifyClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error // whose text has the whole URL
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return NotifyResult{}, fmt.Errorf("notify %s: %w", redactURL(in.URL), err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		msg := fmt.Sprintf("notify %s: the receiver answered %s", redactURL(in.URL), resp.Status)
		switch resp.StatusCode {
		case 400, 401, 403, 404, 410, 413, 422:
			return NotifyResult{}, temporal.NewNonRetryableApplicationError(msg, ErrNotifyRefused, nil)
		}
		return NotifyResult{}, fmt.Errorf("%s", msg)
	}
	return NotifyResult{Status: resp.StatusCode, Attempt: activity.GetInfo(ctx).Attempt, DeliveredAt: time.Now().UTC(), Signed: signed}, nil
}

// redactURL is a URL for messages: scheme, host and path, without a query
// or user info, which may hold a token.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unreadable URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}
