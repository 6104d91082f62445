package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/phonecheck/phonecheck/taskapi"
)

// uploadAfter runs Upload once with the ledger of the upload as a crash
// left it (state ""), and returns its error and the POSTs it made.
func uploadAfter(t *testing.T, state string, idempotent bool, api *fakeAPI) (UploadResult, error) {
	t.Helper()
	path, sum := writeInput(t, "+41446681800\n")
	a := newActivities(t, api)
	a.IdempotentAPI = idempotent
	key := mustPut(t, a, sum, path)
	upSum, err := a.uploadSHA256(context.Background(), UploadInput{UploadKey: key})
	if err != nil {
		t.Fatal(err)
	}
	if state != "" {
		e := ledgerEntry{State: state, Attempt: &attemptMark{WorkflowID: "default-test-workflow-id", RunID: "default-test-run-id", Attempt: 1}}
		if state == stateAmbiguous {
			e.Reason = "the service answered with HTTP 200 but no task"
		}
		b, _ := json.Marshal(e)
		if err := a.Store.WriteAll(context.Background(), LedgerKey(upSum), b); err != nil {
			t.Fatal(err)
		}
	}
	e := env()
	e.RegisterActivity(a)
	v, err := e.ExecuteActivity(a.Upload, UploadInput{SHA256: sum, UploadKey: key, Name: "numbers.txt", FileKey: sum})
	var res UploadResult
	if err == nil {
		v.Get(&res)
	}
	return res, err
}

func isAmbiguous(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == ErrAmbiguous && appErr.NonRetryable()
}

// TestUploadAfterAnEarlierAttempt: what an attempt does with the ledger an
// earlier one left. "posting" means the request never left whole: post.
// "sent" means it may be charged: post again (same key) only to a service
// that honours Idempotency-Key, else fail as ambiguous without posting.
// "ambiguous" never posts.
func TestUploadAfterAnEarlierAttempt(t *testing.T) {
	for _, tc := range []struct {
		state      string
		idempotent bool
		posts      int32
		ambiguous  bool
	}{
		{"", false, 1, false},
		{statePosting, false, 1, false},
		{stateSent, false, 0, true},
		{stateSent, true, 1, false},
		{stateAmbiguous, false, 0, true},
		{stateAmbiguous, true, 0, true},
	} {
		t.Run(fmt.Sprintf("%s/idempotent=%v", tc.state, tc.idempotent), func(t *testing.T) {
			api := &fakeAPI{}
			res, err := uploadAfter(t, tc.state, tc.idempotent, api)
			if tc.ambiguous != isAmbiguous(err) || !tc.ambiguous && err != nil {
				t.Fatalf("err = %v, want ambiguous %v", err, tc.ambiguous)
			}
			if n := api.creates.Load(); n != tc.posts {
				t.Errorf("%d POSTs, want %d", n, tc.posts)
			}
			if tc.posts == 1 && res.TaskID != "task-1" {
				t.Errorf("result %+v", res)
			}
			if tc.ambiguous && !strings.Contains(err.Error(), "submit --force") {
				t.Errorf("the reason does not say how to start afresh: %v", err)
			}
		})
	}
}

// TestUploadUnreadableAnswerIsAmbiguous: a 200 without a readable task may
// be charged: the file fails so, and the next attempt does not post.
func TestUploadUnreadableAnswerIsAmbiguous(t *testing.T) {
	path, sum := writeInput(t, "+41446681800\n")
	api := &fakeAPI{fail: fmt.Errorf("task API: POST /v1/tasks: HTTP 200 with a body that is not the expected JSON: %w", taskapi.ErrBadResponse)}
	a := newActivities(t, api)
	key := mustPut(t, a, sum, path)
	for i := range 2 {
		e := env()
		e.RegisterActivity(a)
		_, err := e.ExecuteActivity(a.Upload, UploadInput{SHA256: sum, UploadKey: key, FileKey: sum})
		if !isAmbiguous(err) {
			t.Fatalf("attempt %d: %v, want ambiguous", i+1, err)
		}
		api.fail = nil // the service would answer now: still no second POST
	}
	if n := api.creates.Load(); n != 0 {
		t.Errorf("%d successful POSTs after an ambiguous answer, want 0", n)
	}
}

// TestUploadStartsAfreshWithAGeneration: a run with a generation of its own
// (submit --force) takes no task recorded before and posts with a key of
// its own.
func TestUploadStartsAfreshWithAGeneration(t *testing.T) {
	path, sum := writeInput(t, "+41446681800\n")
	api := &fakeAPI{}
	a := newActivities(t, api)
	key := mustPut(t, a, sum, path)
	for i, gen := range []string{"", "", "g1", "g1"} {
		e := env()
		e.RegisterActivity(a)
		if _, err := e.ExecuteActivity(a.Upload, UploadInput{SHA256: sum, UploadKey: key, FileKey: sum, Generation: gen}); err != nil {
			t.Fatal(err)
		}
		if want := int32(1 + i/2); api.creates.Load() != want {
			t.Fatalf("after run %d (generation %q): %d POSTs, want %d", i+1, gen, api.creates.Load(), want)
		}
	}
}
