package workflows_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/worker"

	"github.com/phonecheck/phonecheck/internal/testkit/stack"
	"github.com/phonecheck/phonecheck/workflows"
)

// TestABurstKeepsRunsGoing: files dropped faster than the worker finishes
// them wait their turn without holding up the runs already going. A run's
// next workflow task goes to the worker's sticky queue; starts that handed
// each new run's first task straight back to the worker (eager start) kept
// the worker from that queue until its tasks timed out (5 s by default, 2 s
// here) and went behind every new run on the normal queue: 1,000 files of
// 100 lines through up took 105-120 s instead of 40-50.
func TestABurstKeepsRunsGoing(t *testing.T) {
	t.Parallel() // waits on timers and kills, not on the CPU
	if testing.Short() {
		t.Skip("a burst of 240 files")
	}
	s := liveStack{stack.NewWith(t, stack.Options{Worker: worker.Options{StickyScheduleToStartTimeout: 2 * time.Second}})}
	const files = 240
	ins := make([]workflows.Input, files)
	for i := range ins {
		ins[i] = s.input(t, fmt.Sprintf("burst-%d.txt", i), 50, uint64(i+1))
		ins[i].PollInterval = 100 * time.Millisecond
	}
	ctx := context.Background()
	ids := make([]string, files)
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 { // as the watcher starts them: eight at a time
		wg.Go(func() {
			for i := range next {
				run, _, err := workflows.Submit(ctx, s.Client, s.Store, ins[i])
				if err != nil {
					t.Error(err)
					continue
				}
				ids[i] = run.GetID()
			}
		})
	}
	for i := range ins {
		next <- i
	}
	close(next)
	wg.Wait()
	timedOut := 0
	for _, id := range ids {
		if id == "" {
			continue
		}
		waitResult(t, s.Client, id)
		for _, e := range historyEvents(t, s.Client, id).GetEvents() {
			if e.GetWorkflowTaskTimedOutEventAttributes() != nil {
				timedOut++
			}
		}
	}
	if timedOut > 0 {
		t.Errorf("%d workflow tasks of %d runs timed out waiting for the worker", timedOut, files)
	}
}
