package metrics

import (
	"context"
	"log/slog"
	"reflect"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"

	"github.com/phonecheck/phonecheck/activities"
)

// Interceptor is a worker interceptor that times every activity attempt
// (phonecheck_activity_duration_seconds), counts joined rows, and logs each
// attempt's end with the workflow id, run id, activity and remote task id:
// the pipeline's code stays as it is. m may be nil (no metrics, logs only).
func (m *Metrics) Interceptor(log *slog.Logger) interceptor.WorkerInterceptor {
	return &workerInterceptor{m: m, log: log}
}

type workerInterceptor struct {
	interceptor.WorkerInterceptorBase
	m   *Metrics
	log *slog.Logger
}

func (w *workerInterceptor) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	a := &activityInbound{w: w}
	a.Next = next
	return a
}

type activityInbound struct {
	interceptor.ActivityInboundInterceptorBase
	w *workerInterceptor
}

func (a *activityInbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	start := time.Now()
	info := activity.GetInfo(ctx)
	attrs := []any{"workflow_id", info.WorkflowExecution.ID, "run_id", info.WorkflowExecution.RunID,
		"activity", info.ActivityType.Name, "attempt", info.Attempt}
	if id := taskID(in.Args...); id != "" {
		attrs = append(attrs, "task_id", id)
	}
	a.w.log.Debug("activity started", attrs...)
	out, err := a.Next.ExecuteActivity(ctx, in)
	elapsed := time.Since(start)
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	if m := a.w.m; m != nil {
		m.activitySeconds.WithLabelValues(info.ActivityType.Name, outcome).Observe(elapsed.Seconds())
		if j, ok := out.(activities.JoinResult); ok && err == nil {
			m.rows.WithLabelValues("valid").Add(float64(j.Valid))
			m.rows.WithLabelValues("invalid").Add(float64(j.Invalid))
		}
	}
	if id := taskID(out); id != "" && len(attrs) == 8 {
		attrs = append(attrs, "task_id", id)
	}
	attrs = append(attrs, "duration", elapsed)
	if err != nil {
		// The error's text is the activity's own message: paths, counts and
		// ids, never numbers (and the logger redacts any that slipped in).
		a.w.log.Warn("activity failed", append(attrs, "error", err)...)
	} else {
		a.w.log.Info("activity done", attrs...)
	}
	return out, err
}

// taskID finds the remote task id in an activity's input or result: the
// string field TaskID of a struct, as the activities' payloads name it.
func taskID(vals ...any) string {
	for _, v := range vals {
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Pointer {
			rv = rv.Elem()
		}
		if rv.Kind() != reflect.Struct {
			continue
		}
		if f := rv.FieldByName("TaskID"); f.IsValid() && f.Kind() == reflect.String && f.String() != "" {
			return f.String()
		}
	}
	return ""
}
