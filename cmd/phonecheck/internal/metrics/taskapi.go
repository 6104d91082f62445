package metrics

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/phonecheck/phonecheck/activities"
	"github.com/phonecheck/phonecheck/taskapi"
)

// TaskAPI wraps the worker's task API client so that every call is counted
// by endpoint and outcome, billed calls (200s of tasks and gettasks) apart,
// and timed. m may be nil: the client is returned as it is.
func (m *Metrics) TaskAPI(api activities.TaskAPI) activities.TaskAPI {
	if m == nil {
		return api
	}
	return meteredAPI{api, m}
}

type meteredAPI struct {
	next activities.TaskAPI
	m    *Metrics
}

func (a meteredAPI) CreateTask(ctx context.Context, filename string, r io.Reader) (*taskapi.Task, error) {
	defer a.observe("tasks", time.Now())
	t, err := a.next.CreateTask(ctx, filename, r)
	a.count("tasks", err)
	return t, err
}

func (a meteredAPI) GetTask(ctx context.Context, taskID string) (*taskapi.Task, error) {
	defer a.observe("gettasks", time.Now())
	a.m.polls.Inc()
	t, err := a.next.GetTask(ctx, taskID)
	a.count("gettasks", err)
	return t, err
}

func (a meteredAPI) DownloadResult(ctx context.Context, resultURL, dst string, maxBytes int64) (int64, error) {
	defer a.observe("download", time.Now())
	n, err := a.next.DownloadResult(ctx, resultURL, dst, maxBytes)
	a.count("download", err)
	return n, err
}

func (a meteredAPI) observe(endpoint string, start time.Time) {
	a.m.apiSeconds.WithLabelValues(endpoint).Observe(since(start))
}

func (a meteredAPI) count(endpoint string, err error) {
	o := Outcome(err)
	a.m.apiRequests.WithLabelValues(endpoint, o).Inc()
	if o == "ok" && endpoint != "download" {
		a.m.apiBilled.WithLabelValues(endpoint).Inc()
	}
}

// Outcome names a task API error's kind, a bounded label value.
func Outcome(err error) string {
	for _, k := range []struct {
		err  error
		name string
	}{
		{taskapi.ErrUnauthorized, "unauthorized"}, {taskapi.ErrBadRequest, "bad_request"},
		{taskapi.ErrNotFound, "not_found"}, {taskapi.ErrRateLimited, "rate_limited"},
		{taskapi.ErrServer, "server_error"}, {taskapi.ErrNetwork, "network_error"},
		{taskapi.ErrTooLarge, "too_large"}, {taskapi.ErrTaskFailed, "task_failed"},
		{context.Canceled, "canceled"}, {context.DeadlineExceeded, "timeout"},
	} {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	if err != nil {
		return "error"
	}
	return "ok"
}
