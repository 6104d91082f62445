package apiserver

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/phonecheck/phonecheck/apiserver/taskdb"
)

type taskResponse struct {
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
	TaskID    string `json:"task_id"`
	UserID    string `json:"user_id"`
	Status    string `json:"status"`
	Total     int64  `json:"total"`
	Success   int64  `json:"success"`
	Failure   int64  `json:"failure"`
	ResultURL string `json:"result_url,omitempty"`
	Message   string `json:"message,omitempty"` // why a failed task failed
}

// timestamp formats times as the API does: RFC 3339, UTC, seconds.
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// handleGet is POST /v1/gettasks: task_id as a multipart or urlencoded field.
func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) {
	user, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	var err error
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		err = r.ParseMultipartForm(1 << 20)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "send task_id as a form field (multipart/form-data or application/x-www-form-urlencoded)")
		return
	}
	id := strings.TrimSpace(r.PostFormValue("task_id"))
	if id == "" {
		writeError(w, http.StatusBadRequest, "the task_id field is missing")
		return
	}
	unknown := fmt.Sprintf("unknown task_id %q: use the task_id that POST /v1/tasks returned with this key", id)
	if !validID(id) {
		writeError(w, http.StatusBadRequest, unknown)
		return
	}
	info(r).task = id
	if chance(s.cfg.Faults.UnknownTaskRate) {
		info(r).fault = "404"
		writeError(w, http.StatusNotFound, "injected fault (--fault-unknown-task-rate): "+unknown)
		return
	}
	t, err := s.db.GetTask(r.Context(), id, user, s.now(), s.cfg.DailyLimit)
	switch {
	case errors.Is(err, taskdb.ErrNotFound):
		writeError(w, http.StatusBadRequest, unknown) // also another user's task: its existence is not told
		return
	case errors.Is(err, taskdb.ErrLimit):
		s.tooMany(w)
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	}
	resp := taskResponse{CreatedAt: timestamp(t.CreatedAt), UpdatedAt: timestamp(t.UpdatedAt), TaskID: t.ID,
		UserID: t.UserID, Status: t.Status, Total: t.Total, Success: t.Success, Failure: t.Failure}
	switch t.Status {
	case taskdb.Exported:
		if chance(s.cfg.Faults.NoLinkRate) {
			info(r).fault = "no result_url"
			break
		}
		resp.ResultURL = s.baseURL(r) + s.sign.path(t.ID, s.now().Add(s.cfg.ResultURLTTL))
	case taskdb.Failed:
		resp.Message = t.Error
	}
	if chance(s.cfg.Faults.UnreadablePollRate) {
		unreadable(w, r)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// baseURL is the scheme and host result links start with.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimSuffix(s.cfg.PublicURL, "/")
	}
	if r.TLS != nil {
		return "https://" + r.Host
	}
	return "http://" + r.Host
}

type balanceResponse struct {
	UserID     string           `json:"user_id"`
	Day        string           `json:"day"`
	Charged    int64            `json:"charged"`
	ByEndpoint map[string]int64 `json:"by_endpoint"`
	DailyLimit int              `json:"daily_limit,omitempty"`
	Remaining  *int64           `json:"remaining,omitempty"`
}

// handleBalance is GET /v1/balance[?day=YYYY-MM-DD]: the key's charged
// requests on a UTC day (today by default). It is free.
func (s *Server) handleBalance(w http.ResponseWriter, r *http.Request) {
	user, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	day := s.now()
	if q := r.URL.Query().Get("day"); q != "" {
		d, err := time.Parse(time.DateOnly, q)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("day %q is not a date: use YYYY-MM-DD (UTC)", q))
			return
		}
		day = d
	}
	used, err := s.db.Used(r.Context(), user, day)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	resp := balanceResponse{UserID: user, Day: taskdb.Day(day), ByEndpoint: map[string]int64{
		taskdb.EndpointTasks: used[taskdb.EndpointTasks], taskdb.EndpointGetTasks: used[taskdb.EndpointGetTasks]}}
	resp.Charged = resp.ByEndpoint[taskdb.EndpointTasks] + resp.ByEndpoint[taskdb.EndpointGetTasks]
	if s.cfg.DailyLimit > 0 {
		resp.DailyLimit = s.cfg.DailyLimit
		left := max(0, int64(s.cfg.DailyLimit)-resp.Charged)
		resp.Remaining = &left
	}
	writeJSON(w, http.StatusOK, resp)
}

// handleResult is GET /v1/results/<task_id>.zip?expires=&sig=: the signed
// link stands in for the API key, like a presigned storage URL.
func (s *Server) handleResult(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutSuffix(r.PathValue("name"), ".zip")
	if !ok || !validID(id) {
		writeError(w, http.StatusNotFound, "no such result")
		return
	}
	info(r).task = id
	if err := s.sign.verify(id, r.URL.Query(), s.now()); err != nil {
		writeError(w, http.StatusForbidden, err.Error())
		return
	}
	if chance(s.cfg.Faults.RefuseLinkRate) {
		info(r).fault = "link refused"
		writeError(w, http.StatusForbidden, "injected fault (--fault-refuse-link-rate): "+errExpired.Error())
		return
	}
	gone := fmt.Sprintf("the result of task %s is gone: results are kept for %s", id, s.cfg.Retention)
	t, err := s.db.Task(r.Context(), id)
	if errors.Is(err, taskdb.ErrNotFound) || err == nil && t.Status != taskdb.Exported {
		writeError(w, http.StatusNotFound, gone)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	f, err := os.Open(s.zipPath(id))
	if errors.Is(err, os.ErrNotExist) {
		writeError(w, http.StatusNotFound, gone)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="`+id+`.zip"`)
	if bps := s.cfg.Faults.DownloadBPS; bps > 0 {
		w = &throttledWriter{ResponseWriter: w, ctx: r.Context(), bps: bps, start: time.Now()}
	}
	http.ServeContent(w, r, id+".zip", st.ModTime(), f) // supports Range, so a download can resume
}

// serverError logs err and answers 500 (free; the client retries).
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("request failed", "path", r.URL.Path, "user_id", info(r).user, "err", err)
	writeError(w, http.StatusInternalServerError, "internal error: retry the request")
}
