package taskdb_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/apiserver/taskdb"
)

func open(t *testing.T) (*taskdb.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := taskdb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

var ctx = context.Background()

// The daily limit holds under concurrent requests: the check and the charge
// are one transaction.
func TestLimitIsAtomic(t *testing.T) {
	s, _ := open(t)
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	var mu sync.Mutex
	okCount, limited := 0, 0
	for i := range 40 {
		wg.Go(func() {
			err := s.CreateTask(ctx, taskdb.Task{ID: fmt.Sprint("t", i), UserID: "u", Total: 1, CreatedAt: at}, 7)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				okCount++
			case errors.Is(err, taskdb.ErrLimit):
				limited++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if okCount != 7 || limited != 33 {
		t.Errorf("%d created and %d limited, want 7 and 33", okCount, limited)
	}
	used, err := s.Used(ctx, "u", at)
	if err != nil || used[taskdb.EndpointTasks] != 7 {
		t.Errorf("used %v %v", used, err)
	}
	// The next UTC day starts afresh; another user has their own count.
	if err := s.CreateTask(ctx, taskdb.Task{ID: "next-day", UserID: "u", CreatedAt: at.Add(12 * time.Hour)}, 7); err != nil {
		t.Error(err)
	}
	if _, err := s.GetTask(ctx, "t0", "other", at, 7); !errors.Is(err, taskdb.ErrNotFound) {
		t.Errorf("another user's task: %v", err)
	}
}

// Tasks are claimed oldest first, once each; a restart requeues the ones in
// processing, and the state survives reopening.
func TestQueueSurvivesReopen(t *testing.T) {
	s, path := open(t)
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for i, id := range []string{"b", "a", "c"} {
		if err := s.CreateTask(ctx, taskdb.Task{ID: id, UserID: "u", Total: 10, CreatedAt: t0.Add(time.Duration(i) * time.Second)}, 0); err != nil {
			t.Fatal(err)
		}
	}
	first, ok, err := s.Claim(ctx, t0)
	if err != nil || !ok || first.ID != "b" || first.Status != taskdb.Processing {
		t.Fatalf("claim: %+v %v %v, want task b processing", first, ok, err)
	}
	if err := s.Progress(ctx, "b", 3, 2, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	second, _, _ := s.Claim(ctx, t0)
	if err := s.Finish(ctx, second.ID, taskdb.Exported, "", 9, 1, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = taskdb.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.Requeue(ctx); n != 1 || err != nil {
		t.Errorf("requeue: %d %v, want task b back", n, err)
	}
	b, err := s.GetTask(ctx, "b", "u", t0, 0)
	if err != nil || b.Status != taskdb.Pending || b.Success != 0 {
		t.Errorf("b after requeue: %+v %v", b, err)
	}
	a, _ := s.GetTask(ctx, "a", "u", t0, 0)
	if a.Status != taskdb.Exported || a.Success != 9 || a.Failure != 1 || !a.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("a: %+v", a)
	}
	var order []string
	for {
		task, ok, err := s.Claim(ctx, t0)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		order = append(order, task.ID)
	}
	if fmt.Sprint(order) != "[b c]" {
		t.Errorf("claim order %v, want [b c]", order)
	}

	charges, err := s.Charges(ctx, taskdb.ChargeFilter{TaskID: "b"})
	if err != nil || len(charges) != 2 || charges[0].Endpoint != taskdb.EndpointTasks || charges[1].Endpoint != taskdb.EndpointGetTasks {
		t.Errorf("charges of b: %+v %v, want its upload and one gettasks", charges, err)
	}
	if n, _ := s.PruneCharges(ctx, t0.Add(2*time.Second)); n != 4 { // b, a, and the gettasks at t0 of b and a
		t.Errorf("pruned %d charges, want 4", n)
	}
	ids, _ := s.CreatedBefore(ctx, t0.Add(1500*time.Millisecond))
	if fmt.Sprint(ids) != "[b a]" && fmt.Sprint(ids) != "[a b]" {
		t.Errorf("created before: %v", ids)
	}
	s.Delete(ctx, "b")
	if _, err := s.Task(ctx, "b"); !errors.Is(err, taskdb.ErrNotFound) {
		t.Errorf("deleted task: %v", err)
	}
}
