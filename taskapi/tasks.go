package taskapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Status is a task's state as the service reports it (lowercased).
type Status string

// Statuses. The documented flow is pending -> processing -> exported;
// "failed" and "error" end a task without results. Any other value is kept
// as given and counts as still in progress.
const (
	StatusPending    Status = "pending"
	StatusProcessing Status = "processing"
	StatusExported   Status = "exported"
	StatusFailed     Status = "failed"
	StatusError      Status = "error"
)

// Done reports that results are ready (exported).
func (s Status) Done() bool { return s == StatusExported }

// Failed reports a task that ended without results.
func (s Status) Failed() bool { return s == StatusFailed || s == StatusError }

// InProgress reports any status that is neither done nor failed, including
// ones this client does not know.
func (s Status) InProgress() bool { return !s.Done() && !s.Failed() }

// Task is the service's view of one task. Counts are 0 when the service
// leaves them out.
type Task struct {
	ID        string    `json:"task_id"`
	Status    Status    `json:"status"`
	Total     int64     `json:"total"`
	Success   int64     `json:"success"`
	Failure   int64     `json:"failure"`
	UserID    string    `json:"user_id,omitempty"`
	Message   string    `json:"message,omitempty"`
	ResultURL string    `json:"result_url,omitempty"`
	CreatedAt Timestamp `json:"created_at"`
	UpdatedAt Timestamp `json:"updated_at"`
}

// Ready reports whether the results can be downloaded.
func (t *Task) Ready() bool { return t.Status.Done() && t.ResultURL != "" }

// Timestamp is a time from the service. The contract says RFC 3339 UTC;
// also accepted are a space for the T, no time zone (read as UTC) and Unix
// seconds. A value that still does not parse leaves Time zero and Raw set,
// rather than failing the call.
type Timestamp struct {
	time.Time
	Raw string // the value as sent, when it is a string
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999 -0700 MST",
	"2006-01-02 15:04:05.999999999",
}

// UnmarshalJSON never fails on a string or number.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	*t = Timestamp{}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n json.Number
		if json.Unmarshal(b, &n) == nil {
			if f, err := n.Float64(); err == nil && f > 0 {
				if f > 1e12 { // milliseconds
					f /= 1000
				}
				t.Time = time.Unix(0, int64(f*1e9)).UTC()
			}
		}
		return nil // null, or something odd: leave it zero
	}
	t.Raw = s
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if tm, err := time.Parse(l, s); err == nil {
			t.Time = tm.UTC()
			break
		}
	}
	return nil
}

// MarshalJSON gives back what the service sent, or RFC 3339.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if t.Raw != "" {
		return json.Marshal(t.Raw)
	}
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.Time.UTC().Format(time.RFC3339Nano))
}

// wireTask is the JSON as it may come: ids and counts as strings or numbers.
type wireTask struct {
	ID        flex      `json:"task_id"`
	Status    flex      `json:"status"`
	Total     flex      `json:"total"`
	Success   flex      `json:"success"`
	Failure   flex      `json:"failure"`
	UserID    flex      `json:"user_id"`
	Message   flex      `json:"message"`
	ResultURL flex      `json:"result_url"`
	CreatedAt Timestamp `json:"created_at"`
	UpdatedAt Timestamp `json:"updated_at"`
}

func (w *wireTask) task() *Task {
	return &Task{
		ID:        string(w.ID),
		Status:    Status(strings.ToLower(string(w.Status))),
		Total:     w.Total.int(),
		Success:   w.Success.int(),
		Failure:   w.Failure.int(),
		UserID:    string(w.UserID),
		Message:   string(w.Message),
		ResultURL: string(w.ResultURL),
		CreatedAt: w.CreatedAt,
		UpdatedAt: w.UpdatedAt,
	}
}

// flex is a JSON string or number, as text; null and other values are "".
type flex string

func (f *flex) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*f = flex(strings.TrimSpace(s))
		return nil
	}
	var n json.Number
	if json.Unmarshal(b, &n) == nil {
		*f = flex(n)
		return nil
	}
	*f = ""
	return nil
}

func (f flex) int() int64 {
	n, err := strconv.ParseInt(string(f), 10, 64)
	if err != nil {
		if x, err := strconv.ParseFloat(string(f), 64); err == nil {
			return int64(x)
		}
	}
	return n
}

// CreateTask uploads the numbers in r (one per line) as a phoneCheck task
// and returns it, pending. filename is sent as the part's file name (its
// base name only). The upload streams: r is read as the request goes out,
// never held in memory; when r's size is known (a regular *os.File, or a
// reader with Len) the request carries a Content-Length, otherwise it is
// chunked. r is not read after CreateTask returns.
//
// The call is billed when it succeeds. A NetworkError with Sent set, or
// ErrBadResponse, means a task may exist although no id came back.
func (c *Client) CreateTask(ctx context.Context, filename string, r io.Reader) (*Task, error) {
	const endpoint = "POST /v1/tasks"
	callCtx, wd, stop := c.watch(ctx)
	defer stop()

	name := filepath.Base(filepath.ToSlash(filename))
	if name == "." || name == "/" || name == "" {
		name = "numbers.txt"
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	var drain drainWatch
	drained := make(chan struct{})
	defer close(drained)
	go drain.run(wd, drainInterval, drained)
	req, err := http.NewRequestWithContext(drain.trace(callCtx), http.MethodPost, c.endpointURL("v1/tasks"), pr)
	if err != nil {
		return nil, fmt.Errorf("task API: %s: %w: %w", endpoint, err, ErrConfig)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if k, _ := ctx.Value(idempotencyKey{}).(string); k != "" {
		if strings.ContainsFunc(k, func(r rune) bool { return r < ' ' || r > '~' }) || len(k) > 255 {
			return nil, fmt.Errorf("task API: %s: the idempotency key is not up to 255 printable ASCII characters: %w", endpoint, ErrConfig)
		}
		req.Header.Set("Idempotency-Key", k)
	}
	size := readerSize(r)
	if size >= 0 {
		req.ContentLength = formLength(mw.Boundary(), name, size)
	}

	// The form is written on its own goroutine into the pipe that the
	// transport reads, so memory stays at a buffer's worth.
	var sent atomic.Bool
	var readErr, commitErr error
	done := make(chan struct{})
	src := &progressReader{r: r, w: wd, progress: progressOf(ctx)}
	commit, _ := ctx.Value(commitKey{}).(func() error)
	go func() {
		defer close(done)
		err := writeForm(mw, name, src, size, commit)
		switch {
		case src.err != nil:
			readErr = src.err
		case errors.Is(err, errSizeChanged):
			readErr = err
		case errors.As(err, new(*commitError)):
			commitErr = err
		case err == nil:
			sent.Store(true)
		}
		pw.CloseWithError(err)
	}()
	var w wireTask
	err = c.do(ctx, callCtx, endpoint, req, sent.Load, &w)
	pr.CloseWithError(errors.New("request finished")) // unblock the writer if the server answered early
	<-done
	if readErr != nil {
		return nil, fmt.Errorf("task API: %s: reading %s: %w", endpoint, name, readErr)
	}
	if commitErr != nil && err != nil { // (a service that answered early is answered)
		return nil, fmt.Errorf("task API: %s: %w", endpoint, commitErr)
	}
	if err != nil {
		if ne := (*NetworkError)(nil); errors.As(err, &ne) {
			ne.Sent = ne.Sent || sent.Load()
		}
		return nil, err
	}
	t := w.task()
	if t.ID == "" {
		return nil, fmt.Errorf("task API: %s: the answer has no task_id (a task may have been created): %w", endpoint, ErrBadResponse)
	}
	if t.Status == "" {
		t.Status = StatusPending
	}
	return t, nil
}

type idempotencyKey struct{}

// WithIdempotencyKey returns a context whose CreateTask calls send key in
// the Idempotency-Key header. A service that honours it (phonecheck serve
// does) answers a repeat with the first task, uncharged, so an upload that
// is retried after its answer was lost (a crash, a timeout) is not billed
// twice. A service that does not know the header ignores it.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKey{}, key)
}

// errSizeChanged is a file that grew or shrank while it was uploaded with a
// fixed Content-Length.
var errSizeChanged = errors.New("the file changed size while it was being uploaded")

type commitKey struct{}

// WithCommit returns a context whose CreateTask calls commit once the whole
// form but its closing boundary is sent, and sends those last bytes only
// if commit returns nil. Until they leave, the service cannot hold a
// complete request, so an upload abandoned before commit (an error from
// commit, a crash, a cut connection) cannot have created or charged a task;
// from commit on it may have. A caller records that the upload is complete
// in commit, and so knows after a crash which side of that line it was on.
// An error from commit ends CreateTask with that error, uncharged.
func WithCommit(ctx context.Context, commit func() error) context.Context {
	return context.WithValue(ctx, commitKey{}, commit)
}

// writeForm writes the form as curl --form does: the file, then task_type,
// then (after commit, if set) the closing boundary.
func writeForm(mw *multipart.Writer, name string, r io.Reader, size int64, commit func() error) error {
	part, err := mw.CreatePart(fileHeader(name))
	if err != nil {
		return err
	}
	if size < 0 {
		_, err = io.Copy(part, r)
	} else if _, err = io.CopyN(part, r, size); err == nil {
		var one [1]byte
		if n, _ := io.ReadFull(r, one[:]); n > 0 {
			err = errSizeChanged
		}
	} else if err == io.EOF {
		err = errSizeChanged
	}
	if err != nil {
		return err
	}
	if err := mw.WriteField("task_type", "phoneCheck"); err != nil {
		return err
	}
	if commit != nil {
		if err := commit(); err != nil {
			return &commitError{err}
		}
	}
	return mw.Close()
}

// commitError is WithCommit's commit refusing to send the last bytes.
type commitError struct{ err error }

func (e *commitError) Error() string { return "upload not completed: " + e.err.Error() }
func (e *commitError) Unwrap() error { return e.err }

func fileHeader(name string) textproto.MIMEHeader {
	h := make(textproto.MIMEHeader)
	esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", "", "\n", "")
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+esc.Replace(name)+`"`)
	ct := mime.TypeByExtension(filepath.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	return h
}

// formLength is the byte length of the form writeForm makes for a file of
// size bytes: the same parts written around nothing, plus size.
func formLength(boundary, name string, size int64) int64 {
	var n countWriter
	mw := multipart.NewWriter(&n)
	_ = mw.SetBoundary(boundary)
	_ = writeForm(mw, name, strings.NewReader(""), 0, nil)
	return int64(n) + size
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

// readerSize is how many bytes r has left, or -1 when that is unknown.
func readerSize(r io.Reader) int64 {
	switch v := r.(type) {
	case interface{ Len() int }:
		return int64(v.Len())
	case interface {
		Stat() (fs.FileInfo, error)
		io.Seeker
	}:
		fi, err := v.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return -1
		}
		off, err := v.Seek(0, io.SeekCurrent)
		if err != nil || off > fi.Size() {
			return -1
		}
		return fi.Size() - off
	}
	return -1
}

// GetTask asks for a task's state. It sends task_id as a multipart form, as
// the documented curl --form does. When the service reports the task as
// failed it returns the task together with a *TaskError (ErrTaskFailed).
// Each call is billed when it succeeds, so poll sparingly.
func (c *Client) GetTask(ctx context.Context, taskID string) (*Task, error) {
	const endpoint = "POST /v1/gettasks"
	if strings.TrimSpace(taskID) == "" {
		return nil, fmt.Errorf("task API: %s: empty task id: %w", endpoint, ErrBadRequest)
	}
	callCtx, _, stop := c.watch(ctx)
	defer stop()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("task_id", taskID)
	_ = mw.Close()
	req, err := http.NewRequestWithContext(callCtx, http.MethodPost, c.endpointURL("v1/gettasks"), &body)
	if err != nil {
		return nil, fmt.Errorf("task API: %s: %w: %w", endpoint, err, ErrConfig)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	var w wireTask
	if err := c.do(ctx, callCtx, endpoint, req, nil, &w); err != nil {
		return nil, err
	}
	t := w.task()
	if t.ID == "" {
		t.ID = taskID
	}
	if t.Status.Failed() {
		return t, &TaskError{TaskID: t.ID, Status: t.Status, Message: c.redact(t.Message)}
	}
	return t, nil
}
