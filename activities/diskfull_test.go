package activities

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/phonecheck/phonecheck/internal/store"
	"github.com/phonecheck/phonecheck/internal/testkit"
	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/results"
)

// regularFiles lists the files below dir.
func regularFiles(t *testing.T, dir string) []string {
	var got []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			got = append(got, p)
		}
		return nil
	})
	return got
}

// An export into a full or read-only out/ fails with the disk's own words
// and leaves no partial file behind; with room again it writes the file.
func TestExportOnAFullOrReadOnlyDisk(t *testing.T) {
	for _, tc := range []struct{ name, opts, want string }{
		{"full", "", "no space left on device"},
		{"read-only", ",ro", "read-only file system"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := testkit.SmallFS(t, tc.opts)
			a := newActivities(t, nil)
			rows := bytes.Repeat([]byte("+15551234567,valid\n"), 120_000) // 2.2 MiB
			if err := a.Store.WriteAll(context.Background(), "work/k/rows.csv", rows); err != nil {
				t.Fatal(err)
			}
			e := env()
			e.RegisterActivity(a)
			_, err := e.ExecuteActivity(a.Export, ExportInput{RowsKey: "work/k/rows.csv", Format: "csv", Output: out, Dir: "numbers-abc"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("export to a %s disk: %v, want %q", tc.name, err, tc.want)
			}
			wantDiskFull(t, err, "the output folder "+out)
			if got := regularFiles(t, out); len(got) != 0 {
				t.Errorf("partial files left in out/: %v", got)
			}
			if tc.opts != "" {
				return
			}
			// Room again (a bigger disk): the same export writes the whole file.
			if b, err := exec.Command("mount", "-o", "remount,size=8m", out).CombinedOutput(); err != nil {
				t.Fatalf("remount: %v: %s", err, b)
			}
			v, err := e.ExecuteActivity(a.Export, ExportInput{RowsKey: "work/k/rows.csv", Format: "csv", Output: out, Dir: "numbers-abc"})
			if err != nil {
				t.Fatal(err)
			}
			var res ExportResult
			v.Get(&res)
			if got, _ := os.ReadFile(filepath.Join(out, "numbers-abc", "results.csv")); !bytes.Equal(got, rows) {
				t.Errorf("after space returned, results.csv has %d bytes, want %d (%+v)", len(got), len(rows), res)
			}
			if got := regularFiles(t, out); len(got) != 1 {
				t.Errorf("out/ holds %v, want results.csv alone", got)
			}
		})
	}
}

// The store on a full disk refuses the input whole: no partial object is
// left under its key or beside it.
func TestStoreOnAFullDisk(t *testing.T) {
	dir := testkit.SmallFS(t, "")
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	path, sum := writeInput(t, strings.Repeat("+15551234567\n", 200_000)) // 2.6 MiB
	_, _, err = PutInput(context.Background(), st, sum, path)
	if err == nil || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("put into a full store: %v", err)
	}
	wantDiskFull(t, err, "the workers' store "+dir)
	if got := regularFiles(t, dir); len(got) != 0 {
		t.Errorf("partial files left in the store: %v", got)
	}
}

// A step that writes the workers' store ends the file at once when the
// store is full, naming it, instead of ten retries over minutes.
func TestPrepareOnAFullStore(t *testing.T) {
	dir := testkit.SmallFS(t, "")
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := &Activities{Store: st, Scratch: filepath.Join(t.TempDir(), "scratch")}
	path, sum := writeInput(t, strings.Repeat("+41446681800\n", 30_000)) // 390 kB: fits, its outputs do not
	key := mustPut(t, a, sum, path)
	filler, _ := os.Create(filepath.Join(dir, "filler"))
	filler.Write(make([]byte, 600<<10))
	filler.Close()
	e := env()
	e.RegisterActivity(a)
	_, err = e.ExecuteActivity(a.Prepare, PrepareInput{Key: key, Path: path, SHA256: sum, Region: "CH"})
	if err == nil || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("prepare into a full store: %v", err)
	}
	wantDiskFull(t, err, "the workers' store ("+dir+") or scratch folder")
}

// An archive into a full failed/ keeps the input where it was, to be
// archived when there is room: nothing is lost, and the error says why.
func TestArchiveOnAFullDisk(t *testing.T) {
	dir := testkit.SmallFS(t, "")
	in := filepath.Join(dir, "processing", "numbers.txt")
	os.MkdirAll(filepath.Dir(in), 0o755)
	if err := os.WriteFile(in, []byte("+15551234567\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	filler, _ := os.Create(filepath.Join(dir, "filler"))
	filler.Write(make([]byte, 2<<20)) // fills the disk; the error is expected
	filler.Close()
	a := newActivities(t, nil)
	e := env()
	e.RegisterActivity(a)
	_, err := e.ExecuteActivity(a.Archive, ArchiveInput{Path: in, SHA256: "abc", Dir: filepath.Join(dir, "failed"), Reason: "a reason"})
	if err == nil || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("archive into a full failed/: %v", err)
	}
	wantDiskFull(t, err, "the folder "+filepath.Join(dir, "failed")+" is full")
	if _, err := os.Stat(in); err != nil {
		t.Errorf("the input left processing/ without its note: %v", err)
	}
}

// wantDiskFull checks that err ends the file at once (no retries that
// cannot make room) and names the folder.
func wantDiskFull(t *testing.T, err error, folder string) {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != ErrDiskFull || !appErr.NonRetryable() {
		t.Errorf("a full or read-only disk is retried: %v", err)
	}
	if !strings.Contains(err.Error(), folder) || !strings.Contains(err.Error(), "make room there") {
		t.Errorf("the error does not name %q or say what to do: %v", folder, err)
	}
}

// Only a full, over-quota or read-only file system ends the file at once:
// other errors (a flaky mount, a timeout) keep their retries.
func TestDiskErrorKeepsOtherErrorsRetryable(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EROFS} {
		err := diskError(&fs.PathError{Op: "write", Path: "/out/x.tmp", Err: errno}, "the output folder /out", "make room there")
		wantDiskFull(t, err, "the output folder /out")
	}
	for _, cause := range []error{&fs.PathError{Op: "write", Path: "/out/x.tmp", Err: syscall.EIO}, context.DeadlineExceeded, errors.New("connection reset")} {
		if err := diskError(cause, "the output folder /out", "make room there"); err != cause {
			t.Errorf("%v became %v", cause, err)
		}
	}
	if diskError(nil, "f", "t") != nil {
		t.Error("no error became one")
	}
}

// A result workbook is spooled into the scratch folder to be read: a full
// scratch folder ends the file as a full disk, naming the folder, not as a
// bad result from the service, and leaves no partial spool behind; with
// room again the same join reads it.
func TestJoinOnAFullScratchFolder(t *testing.T) {
	scratch := testkit.SmallFS(t, "")
	a := newActivities(t, nil)
	a.Scratch = scratch
	e := env()
	e.RegisterActivity(a)
	// The service's answer as a workbook of 100,000 rows, its two numbers
	// first: about 2 MB, too big for the 1 MiB scratch folder.
	var book bytes.Buffer
	w, err := results.NewWriter(results.XLSX, &book)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100_000 {
		r := phone.Result{Number: fmt.Sprintf("+1%010d", uint64(i)*7919%10_000_000_000), PhoneCheck: phone.Valid, Line: i + 1}
		switch i {
		case 0:
			r.Number = "+41446681800"
		case 1:
			r.Number = "+41791234567"
		}
		r.Input = r.Number
		if err := w.Write(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if book.Len() < 1<<20 {
		t.Fatalf("the workbook is %d bytes: it fits the scratch folder", book.Len())
	}
	in := preparedWithResult(t, a, e, "+41446681800\n+41791234567\n", "task-1.xlsx", book.Bytes())
	_, err = e.ExecuteActivity(a.Join, in)
	if err == nil || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("join with a full scratch folder: %v", err)
	}
	wantDiskFull(t, err, "scratch folder")
	if got := regularFiles(t, scratch); len(got) != 0 {
		t.Errorf("partial files left in the scratch folder: %v", got)
	}
	if b, err := exec.Command("mount", "-o", "remount,size=16m", scratch).CombinedOutput(); err != nil {
		t.Fatalf("remount: %v: %s", err, b)
	}
	v, err := e.ExecuteActivity(a.Join, in)
	if err != nil {
		t.Fatalf("join with room again: %v", err)
	}
	var res JoinResult
	v.Get(&res)
	if res.Unanswered != 0 || res.ByPhoneCheck[phone.Valid] != 2 {
		t.Errorf("join with room again: %+v", res)
	}
	if got := regularFiles(t, scratch); len(got) != 0 {
		t.Errorf("the spool outlived the join: %v", got)
	}
}
