package devserver

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/internal/testkit"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// The floor of the embedded server: what a workflow per file costs before
// any of phonecheck's own work, measured on the server as `up` runs it (the
// worker in the same process, default worker options). A file's workflow
// cannot do with less than "one step": its upload is charged, so the
// upload's result must be in the history before the next step, which takes
// a second workflow task.

func floorEmpty(ctx workflow.Context) error { return nil }

func floorStep(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	return workflow.ExecuteActivity(ctx, floorActivity).Get(ctx, nil)
}

func floorLocalSteps(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	if err := workflow.ExecuteActivity(ctx, floorActivity).Get(ctx, nil); err != nil {
		return err
	}
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: time.Minute})
	for range 4 {
		if err := workflow.ExecuteLocalActivity(lctx, floorActivity).Get(lctx, nil); err != nil {
			return err
		}
	}
	return nil
}

func floorActivity(context.Context) error { return nil }

// BenchmarkFloor1000Workflows starts 1,000 workflows at once and waits for
// all: none (the server's start and completion alone), one activity, and one
// activity followed by four local activities (the shape of a small file's
// run: upload, then poll, download, export and finish in one task).
// PHONECHECK_BENCH_FILES sets another count.
func BenchmarkFloor1000Workflows(b *testing.B) {
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("PHONECHECK_BENCH_FILES")); err == nil && v > 0 {
		n = v
	}
	addr := testkit.FreeAddr(b)
	srv, err := Start(Options{DatabaseFile: filepath.Join(b.TempDir(), "temporal.db"), FrontendAddress: addr})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Stop()
	c, err := client.Dial(client.Options{HostPort: addr, Logger: quietLogger{}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	w := worker.New(c, "floor", worker.Options{})
	w.RegisterWorkflow(floorEmpty)
	w.RegisterWorkflow(floorStep)
	w.RegisterWorkflow(floorLocalSteps)
	w.RegisterActivity(floorActivity)
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	defer w.Stop()
	for _, wf := range []struct {
		name string
		fn   any
	}{{"empty", floorEmpty}, {"one-activity", floorStep}, {"activity-and-4-local", floorLocalSteps}} {
		b.Run(wf.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				ctx := context.Background()
				start, cpu := time.Now(), cpuTime()
				runs := make([]client.WorkflowRun, n)
				for j := range runs {
					runs[j], err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
						ID: fmt.Sprintf("%s-%d-%d", wf.name, i, j), TaskQueue: "floor"}, wf.fn)
					if err != nil {
						b.Fatal(err)
					}
				}
				for _, r := range runs {
					if err := r.Get(ctx, nil); err != nil {
						b.Fatal(err)
					}
				}
				total := time.Since(start)
				b.ReportMetric(total.Seconds(), "s/all")
				b.ReportMetric((cpuTime() - cpu).Seconds(), "cpu-s/all")
				b.ReportMetric(float64(total.Microseconds())/1000/float64(n), "ms/workflow")
			}
		})
	}
}

// cpuTime is this process's CPU time so far, user and system, every thread.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
