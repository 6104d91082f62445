package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/phonecheck/phonecheck/activities"
	"github.com/phonecheck/phonecheck/taskapi"
)

func TestMiddlewareLabelsRoutesNotPaths(t *testing.T) {
	m := New()
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/tasks" {
			w.WriteHeader(http.StatusUnauthorized)
		}
		io.WriteString(w, "{}")
	}))
	for _, p := range []string{"/v1/tasks", "/v1/results/abc.zip?sig=secret", "/v1/results/def.zip", "/nope"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	for labels, want := range map[[2]string]float64{
		{"/v1/tasks", "401"}: 1, {"/v1/results/{name}", "200"}: 2, {"other", "200"}: 1,
	} {
		if got := testutil.ToFloat64(m.httpRequests.WithLabelValues(labels[0], labels[1])); got != want {
			t.Errorf("%v = %v, want %v", labels, got, want)
		}
	}
	if n := testutil.CollectAndCount(m.httpRequests); n != 3 {
		t.Errorf("%d series, want 3 (no path-specific labels)", n)
	}
}

type fakeAPI struct{ err error }

func (f fakeAPI) CreateTask(context.Context, string, io.Reader) (*taskapi.Task, error) {
	return &taskapi.Task{}, f.err
}
func (f fakeAPI) GetTask(context.Context, string) (*taskapi.Task, error) {
	return &taskapi.Task{}, f.err
}
func (f fakeAPI) DownloadResult(context.Context, string, string, int64) (int64, error) {
	return 0, f.err
}

func TestTaskAPIBillsOnlySuccesses(t *testing.T) {
	m := New()
	ok, unauthorized := m.TaskAPI(fakeAPI{}), m.TaskAPI(fakeAPI{fmt.Errorf("wrapped: %w", taskapi.ErrUnauthorized)})
	ok.CreateTask(context.Background(), "f", strings.NewReader(""))
	ok.GetTask(context.Background(), "t")
	ok.GetTask(context.Background(), "t")
	unauthorized.GetTask(context.Background(), "t")
	ok.DownloadResult(context.Background(), "u", "d", 1)
	for _, c := range []struct {
		got, want float64
		what      string
	}{
		{testutil.ToFloat64(m.apiBilled.WithLabelValues("tasks")), 1, "billed tasks"},
		{testutil.ToFloat64(m.apiBilled.WithLabelValues("gettasks")), 2, "billed gettasks"},
		{testutil.ToFloat64(m.polls), 3, "polls"},
		{testutil.ToFloat64(m.apiRequests.WithLabelValues("gettasks", "unauthorized")), 1, "unauthorized polls"},
		{testutil.ToFloat64(m.apiRequests.WithLabelValues("download", "ok")), 1, "downloads"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	var nilMetrics *Metrics
	if api := nilMetrics.TaskAPI(fakeAPI{}); api != (fakeAPI{}) {
		t.Error("nil metrics should not wrap")
	}
}

func TestTaskIDAndOutcome(t *testing.T) {
	if got := taskID(activities.PollInput{TaskID: "t-1"}); got != "t-1" {
		t.Errorf("taskID(PollInput) = %q", got)
	}
	if got := taskID(&activities.UploadResult{TaskID: "t-2"}, "x"); got != "t-2" {
		t.Errorf("taskID(*UploadResult) = %q", got)
	}
	if got := taskID(activities.PrepareInput{}, 3, nil); got != "" {
		t.Errorf("taskID without one = %q", got)
	}
	if Outcome(nil) != "ok" || Outcome(errors.New("x")) != "error" || Outcome(context.DeadlineExceeded) != "timeout" {
		t.Error("Outcome")
	}
}
