package apiserver

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/phonecheck/phonecheck/apiserver/taskdb"
	"github.com/phonecheck/phonecheck/internal/bufpool"
	"github.com/phonecheck/phonecheck/internal/durable"
	"github.com/phonecheck/phonecheck/internal/lines"
	"github.com/phonecheck/phonecheck/phone"
)

// TaskType is the only task_type the API knows.
const TaskType = "phoneCheck"

// multipartSlack is what the form around the file may add to the body.
const multipartSlack = 64 << 10

type createResponse struct {
	TaskID    string `json:"task_id"`
	Status    string `json:"status"`
	Total     int64  `json:"total"`
	Message   string `json:"message"`
	CreatedAt string `json:"created_at"`
}

// badInput is a client error: the answer is 400 with this message.
type badInput string

func (b badInput) Error() string { return string(b) }

// handleCreate is POST /v1/tasks: the file is streamed to disk (checked on
// the way: size, NUL bytes, line length, count of numbers), then the task
// and its charge are recorded together.
func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) {
	user, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	// Refuse before the upload when the limit is already used; the charge
	// itself checks again.
	if s.cfg.DailyLimit > 0 {
		used, err := s.db.Used(r.Context(), user, s.now())
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if used[taskdb.EndpointTasks]+used[taskdb.EndpointGetTasks] >= int64(s.cfg.DailyLimit) {
			s.tooMany(w)
			return
		}
	}
	// A repeated upload with the same Idempotency-Key (a client retrying
	// after it lost the answer) gets the first task back, free, unread.
	idem := r.Header.Get(IdempotencyHeader)
	if s.cfg.Faults.IgnoreIdempotency {
		idem = ""
	}
	if len(idem) > 255 || strings.ContainsFunc(idem, func(r rune) bool { return r < ' ' || r > '~' }) {
		writeError(w, http.StatusBadRequest, "the "+IdempotencyHeader+" header must be at most 255 printable ASCII characters")
		return
	}
	if idem != "" && s.replay(w, r, user, idem) {
		return
	}
	maxBody := s.cfg.MaxUpload + multipartSlack
	if r.ContentLength > maxBody {
		// Answer at once; the server closes the connection rather than read
		// the body, and a client waiting on Expect: 100-continue never sends it.
		w.Header().Set("Connection", "close")
		writeError(w, http.StatusBadRequest, s.tooLarge().Error())
		return
	}
	if bps := s.cfg.Faults.UploadBPS; bps > 0 {
		r.Body = readCloser{throttleReader(r.Context(), r.Body, bps), r.Body}
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	mr, err := r.MultipartReader()
	if err != nil {
		writeError(w, http.StatusBadRequest, "send a multipart/form-data body with the fields file and task_type=phoneCheck")
		return
	}
	tmp, total, err := s.receive(mr)
	if err != nil {
		if tmp != "" {
			os.Remove(tmp)
		}
		var bad badInput
		if errors.As(err, &bad) {
			writeError(w, http.StatusBadRequest, bad.Error())
		} else {
			s.serverError(w, r, err)
		}
		return
	}

	t := taskdb.Task{ID: newTaskID(), UserID: user, Total: total, CreatedAt: s.now(), IdempotencyKey: idem}
	info(r).task = t.ID
	if err := durable.Rename(tmp, s.inputPath(t.ID)); err != nil {
		os.Remove(tmp)
		s.serverError(w, r, err)
		return
	}
	if err := s.db.CreateTask(r.Context(), t, s.cfg.DailyLimit); err != nil {
		os.Remove(s.inputPath(t.ID))
		if errors.Is(err, taskdb.ErrDuplicate) && s.replay(w, r, user, idem) {
			return
		}
		if errors.Is(err, taskdb.ErrLimit) {
			s.tooMany(w)
		} else {
			s.serverError(w, r, err)
		}
		return
	}
	s.wake()
	if chance(s.cfg.Faults.UnreadableCreateRate) {
		unreadable(w, r)
		return
	}
	writeJSON(w, http.StatusOK, createResponse{TaskID: t.ID, Status: taskdb.Pending, Total: total,
		Message: "Task created successfully", CreatedAt: timestamp(t.CreatedAt)})
}

// IdempotencyHeader names the header whose value makes an upload happen
// once: a repeat with the same value gets the first task back, uncharged.
const IdempotencyHeader = "Idempotency-Key"

// replay answers an upload whose idempotency key the user has used before
// with the first task, and reports whether it did.
func (s *Server) replay(w http.ResponseWriter, r *http.Request, user, key string) bool {
	t, err := s.db.TaskByKey(r.Context(), user, key)
	if errors.Is(err, taskdb.ErrNotFound) {
		return false
	}
	if err != nil {
		s.serverError(w, r, err)
		return true
	}
	info(r).task = t.ID
	w.Header().Set("Connection", "close") // the body is not read
	writeJSON(w, http.StatusOK, createResponse{TaskID: t.ID, Status: t.Status, Total: t.Total,
		Message: "Task already created for this " + IdempotencyHeader + " (not charged again)", CreatedAt: timestamp(t.CreatedAt)})
	return true
}

// receive reads the form parts: the file is spooled to a temp file in the
// task directory. It returns the temp file (also on error, for removal) and
// the number of non-blank lines.
func (s *Server) receive(mr *multipart.Reader) (tmp string, total int64, err error) {
	var taskType *string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return tmp, 0, s.readError(err)
		}
		switch p.FormName() {
		case "file":
			if tmp != "" {
				return tmp, 0, badInput("send one file per task")
			}
			if tmp, total, err = s.spool(p); err != nil {
				return tmp, 0, err
			}
		case "task_type":
			b, err := io.ReadAll(io.LimitReader(p, 64))
			if err != nil {
				return tmp, 0, s.readError(err)
			}
			v := string(b)
			if v != TaskType {
				return tmp, 0, badInput(fmt.Sprintf("task_type %q is not supported: send task_type=%s", v, TaskType))
			}
			taskType = &v
		}
		p.Close()
	}
	switch {
	case tmp == "":
		return tmp, 0, badInput("the file field is missing: send the numbers as a file part named file")
	case taskType == nil:
		return tmp, 0, badInput("the task_type field is missing: send task_type=" + TaskType)
	case total == 0:
		return tmp, 0, badInput("the file holds no numbers: every line is blank")
	}
	return tmp, total, nil
}

// spool copies the file part to disk while reading it as lines, the way the
// processing will: blank lines are not counted, a NUL byte means binary.
func (s *Server) spool(p io.Reader) (tmp string, total int64, err error) {
	f, err := os.CreateTemp(s.taskDir, ".upload-*.tmp")
	if err != nil {
		return "", 0, err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	bw := bufpool.Writer(f)
	defer bufpool.PutWriter(bw)
	lr := lines.NewReader(io.TeeReader(&capped{r: p, left: s.cfg.MaxUpload, err: s.tooLarge()}, bw), 0)
	defer lr.Release()
	for {
		line, n, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return f.Name(), 0, s.readError(err)
		}
		if bytes.IndexByte(line, 0) >= 0 {
			return f.Name(), 0, badInput(fmt.Sprintf("line %d holds a NUL byte: the file looks binary; send a text file with one number per line", n))
		}
		if lr.Cut() > 0 || !phone.IsBlank(string(line)) {
			total++ // a line over the bound is one TOO_LONG row
		}
	}
	if err := bw.Flush(); err != nil {
		return f.Name(), 0, err
	}
	// The 200 promises the task: its input must survive a crash.
	return f.Name(), total, f.Sync()
}

func (s *Server) tooLarge() badInput {
	return badInput(fmt.Sprintf("the file is larger than the limit of %d bytes: split it into smaller files", s.cfg.MaxUpload))
}

// readError sorts an error reading the request: over the body limit or a
// broken form is the client's fault.
func (s *Server) readError(err error) error {
	var mb *http.MaxBytesError
	var bad badInput
	switch {
	case errors.As(err, &bad):
		return err
	case errors.As(err, &mb):
		return s.tooLarge()
	}
	return badInput("the upload could not be read: " + err.Error())
}

// capped reads at most left bytes, then fails with err instead of reading on.
type capped struct {
	r    io.Reader
	left int64
	err  error
}

func (c *capped) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, c.err
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1] // one byte over the limit tells a file of exactly the limit from a larger one
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return 0, c.err
	}
	return n, err
}

func (s *Server) inputPath(id string) string { return filepath.Join(s.taskDir, id+".txt") }
func (s *Server) zipPath(id string) string   { return filepath.Join(s.taskDir, id+".zip") }

// newTaskID returns a random UUID (version 4), the shape of the service's ids.
func newTaskID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// validID reports whether s has the shape of our task ids; anything else is
// unknown without a lookup, and never reaches a file path.
func validID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// readCloser reads from one reader and closes another (the body it wraps).
type readCloser struct {
	io.Reader
	io.Closer
}
