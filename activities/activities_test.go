package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/phonecheck/phonecheck/internal/store"
	"github.com/phonecheck/phonecheck/taskapi"
)

// fakeAPI counts the billed calls.
type fakeAPI struct {
	creates atomic.Int32
	uploads []string
	fail    error
}

func (f *fakeAPI) CreateTask(_ context.Context, _ string, r io.Reader) (*taskapi.Task, error) {
	if f.fail != nil {
		return nil, f.fail
	}
	b, _ := io.ReadAll(r)
	f.uploads = append(f.uploads, string(b))
	f.creates.Add(1)
	return &taskapi.Task{ID: "task-1", Status: taskapi.StatusPending, Total: int64(strings.Count(string(b), "\n"))}, nil
}

func (f *fakeAPI) GetTask(context.Context, string) (*taskapi.Task, error) {
	return nil, errors.New("unused")
}
func (f *fakeAPI) DownloadResult(context.Context, string, string, int64) (int64, error) {
	return 0, errors.New("unused")
}

func writeInput(t *testing.T, content string) (string, string) {
	path := filepath.Join(t.TempDir(), "numbers.txt")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(content))
	return path, hex.EncodeToString(sum[:])
}

// newActivities has a directory store of its own.
func newActivities(t testing.TB, api TaskAPI) *Activities {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &Activities{API: api, Store: st, Scratch: filepath.Join(t.TempDir(), "scratch")}
}

func env() *testsuite.TestActivityEnvironment {
	var s testsuite.WorkflowTestSuite
	return s.NewTestActivityEnvironment()
}

func TestPrepareFoldsAndSetsAside(t *testing.T) {
	path, sum := writeInput(t, "044 668 18 00\n+41 44 668 18 00\n\nn/a\n0791234567\r\n+41791234567\n")
	a := newActivities(t, nil)
	for _, in := range []PrepareInput{
		{Path: path, SHA256: sum, Region: "CH"}, // started before inputs went to the store
		{Key: mustPut(t, a, sum, path), Path: "/elsewhere/numbers.txt", SHA256: sum, Region: "CH"},
	} {
		e := env()
		e.RegisterActivity(a)
		v, err := e.ExecuteActivity(a.Prepare, in)
		if err != nil {
			t.Fatal(err)
		}
		var res PrepareResult
		v.Get(&res)
		if res.Lines != 6 || res.Rows != 5 || res.Uploaded != 2 || res.Folded != 2 || res.SetAside != 1 {
			t.Fatalf("%+v", res)
		}
		up, _ := a.Store.ReadAll(context.Background(), res.UploadKey)
		if string(up) != "+41446681800\n+41791234567\n" {
			t.Fatalf("upload file %q", up)
		}
	}
}

func mustPut(t *testing.T, a *Activities, sum, path string) string {
	t.Helper()
	key, _, err := PutInput(context.Background(), a.Store, sum, path)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func TestPrepareRefusesBadInput(t *testing.T) {
	for name, content := range map[string]string{
		"empty":  "",
		"blank":  "\n \n\t\n",
		"binary": "+41446681800\n\x00\x01\x02",
	} {
		t.Run(name, func(t *testing.T) {
			path, sum := writeInput(t, content)
			a := newActivities(t, nil)
			e := env()
			e.RegisterActivity(a)
			_, err := e.ExecuteActivity(a.Prepare, PrepareInput{Key: mustPut(t, a, sum, path), Path: path, SHA256: sum, Region: "CH"})
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || appErr.Type() != ErrBadInput || !appErr.NonRetryable() {
				t.Fatalf("err = %v, want a non-retryable %s", err, ErrBadInput)
			}
		})
	}
	// Content that changed since it was hashed is refused too.
	path, _ := writeInput(t, "+41446681800\n")
	a := newActivities(t, nil)
	e := env()
	e.RegisterActivity(a)
	_, err := e.ExecuteActivity(a.Prepare, PrepareInput{Path: path, SHA256: strings.Repeat("0", 64)})
	if err == nil || !strings.Contains(err.Error(), "changed after it was claimed") {
		t.Fatalf("err = %v", err)
	}
}

// TestPrepareTakesAnOverLongLine: a line over the reader's bound is one
// set-aside TOO_LONG row, not a failed file; it is not uploaded.
func TestPrepareTakesAnOverLongLine(t *testing.T) {
	path, sum := writeInput(t, "+41446681800\n"+strings.Repeat("1", 70<<10)+"\n+41791234567\n")
	a := newActivities(t, nil)
	e := env()
	e.RegisterActivity(a)
	v, err := e.ExecuteActivity(a.Prepare, PrepareInput{Key: mustPut(t, a, sum, path), Path: path, SHA256: sum, Region: "CH"})
	if err != nil {
		t.Fatalf("an over-long line failed the file: %v", err)
	}
	var res PrepareResult
	v.Get(&res)
	if res.Lines != 3 || res.Rows != 3 || res.Uploaded != 2 || res.SetAside != 1 {
		t.Fatalf("%+v", res)
	}
	local, _ := a.Store.ReadAll(context.Background(), res.LocalKey)
	if !strings.Contains(string(local), "…[cut: 71680 bytes]") || !strings.Contains(string(local), ",TOO_LONG,") {
		t.Errorf("local rows hold no cut TOO_LONG row:\n%.300s", local)
	}
}

// TestUploadPostsOnce: a second attempt of the upload (after a crash, on any
// worker sharing the store) finds the ledger and does not POST.
func TestUploadPostsOnce(t *testing.T) {
	path, sum := writeInput(t, "+41446681800\n")
	api := &fakeAPI{}
	a := newActivities(t, api)
	key := mustPut(t, a, sum, path)
	for i := range 3 {
		e := env()
		e.RegisterActivity(a)
		v, err := e.ExecuteActivity(a.Upload, UploadInput{SHA256: sum, UploadKey: key, Name: "numbers.txt"})
		if err != nil {
			t.Fatal(err)
		}
		var res UploadResult
		v.Get(&res)
		if res.TaskID != "task-1" || res.Resumed != (i > 0) {
			t.Fatalf("attempt %d: %+v", i, res)
		}
	}
	if n := api.creates.Load(); n != 1 {
		t.Fatalf("%d POSTs, want 1", n)
	}
}

func TestUploadErrorsAreClassified(t *testing.T) {
	path, sum := writeInput(t, "+41446681800\n")
	for _, tc := range []struct {
		err          error
		typ          string
		nonRetryable bool
	}{
		{&taskapi.APIError{StatusCode: 401, Endpoint: "tasks"}, ErrUnauthorized, true},
		{&taskapi.APIError{StatusCode: 400, Endpoint: "tasks"}, ErrBadRequest, true},
	} {
		a := newActivities(t, &fakeAPI{fail: wrapKind(tc.err)})
		e := env()
		e.RegisterActivity(a)
		_, err := e.ExecuteActivity(a.Upload, UploadInput{SHA256: sum, UploadKey: mustPut(t, a, sum, path)})
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) || appErr.Type() != tc.typ || appErr.NonRetryable() != tc.nonRetryable {
			t.Errorf("%v: got %v", tc.err, err)
		}
	}
}

// wrapKind gives an APIError the kind the client would attach.
func wrapKind(e error) error {
	var api *taskapi.APIError
	errors.As(e, &api)
	switch api.StatusCode {
	case 401:
		return errors.Join(e, taskapi.ErrUnauthorized)
	default:
		return errors.Join(e, taskapi.ErrBadRequest)
	}
}

func TestArchiveWritesTheReason(t *testing.T) {
	path, sum := writeInput(t, "x\n")
	failed := filepath.Join(t.TempDir(), "failed")
	a := newActivities(t, nil)
	e := env()
	e.RegisterActivity(a)
	v, err := e.ExecuteActivity(a.Archive, ArchiveInput{Path: path, SHA256: sum, Dir: failed, Reason: "numbers.txt is binary"})
	if err != nil {
		t.Fatal(err)
	}
	var dst string
	v.Get(&dst)
	reason, _ := os.ReadFile(dst + ".reason")
	if dst != filepath.Join(failed, "numbers.txt") || !strings.Contains(string(reason), "binary") {
		t.Fatalf("archived to %s with reason %q", dst, reason)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("input still in place")
	}
	// Archiving again (a retried activity) finds it already moved.
	v, err = e.ExecuteActivity(a.Archive, ArchiveInput{Path: path, SHA256: sum, Dir: failed, Reason: "again"})
	if err != nil {
		t.Fatal(err)
	}
}

func TestVerdictSetKeepsEveryNumberApart(t *testing.T) {
	v := newVerdictSet()
	in := map[string]string{
		"+41446681800": "valid", "+041446681800": "invalid", "+0041446681800": "valid",
		"+123456789012345678": "invalid", "+1234567890123456789": "valid", // 19 digits: kept as a string
		"41446681800": "invalid", "+41 44 668": "unknown", "": "invalid", "+": "valid",
	}
	for n, verdict := range in {
		v.put(n, verdict)
	}
	for n, want := range in {
		if got, ok := v.get(n); !ok || got != want {
			t.Errorf("get(%q) = %q, %v; want %q", n, got, ok, want)
		}
	}
	if got, ok := v.get("+4144668180"); ok {
		t.Errorf("a number never put has verdict %q", got)
	}
	var none *verdictSet
	if _, ok := none.get("+41446681800"); ok {
		t.Error("a nil set has a verdict")
	}
}
