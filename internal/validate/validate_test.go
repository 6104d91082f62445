package validate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/phonecheck/phonecheck/internal/corpus"
	"github.com/phonecheck/phonecheck/internal/lines"
	"github.com/phonecheck/phonecheck/phone"
)

type collect struct{ rows []phone.Result }

func (c *collect) Write(r *phone.Result) error { c.rows = append(c.rows, *r); return nil }

// TestOrderAndRowsMatchEngine runs many small batches on several workers and
// checks that every non-blank line comes back once, in order, as the engine
// alone answers it.
func TestOrderAndRowsMatchEngine(t *testing.T) {
	var b strings.Builder
	corpus.New(3).Write(&b, 8_000)
	input := b.String()
	for _, opt := range []Options{
		{Region: "CH", Workers: 4, BatchLines: 7},
		{Region: "CH", Workers: 1, BatchLines: 1},
		{Region: "CH", CacheSize: -1},
		{Region: "CH", CacheSize: 16},
	} {
		var got collect
		sum, err := Run(context.Background(), strings.NewReader(input), &got, opt)
		if err != nil {
			t.Fatal(err)
		}
		var want []phone.Result
		for i, raw := range strings.Split(strings.TrimSuffix(input, "\n"), "\n") {
			if !phone.IsBlank(raw) {
				want = append(want, phone.Check(phone.CleanLine(raw), i+1, "CH"))
			}
		}
		if len(got.rows) != len(want) || sum.Rows != int64(len(want)) || sum.Lines != 8_000 {
			t.Fatalf("%+v: %d rows (summary %d, lines %d), want %d", opt, len(got.rows), sum.Rows, sum.Lines, len(want))
		}
		for i := range want {
			if got.rows[i] != want[i] {
				t.Fatalf("%+v: row %d = %+v, want %+v", opt, i, got.rows[i], want[i])
			}
		}
		var byReason int64
		for _, n := range sum.ByReason {
			byReason += n
		}
		if sum.Valid+sum.Invalid != sum.Rows || byReason != sum.Rows {
			t.Errorf("summary does not add up: %+v", sum)
		}
	}
}

type failAfter struct{ n int }

func (f *failAfter) Write(*phone.Result) error {
	if f.n--; f.n < 0 {
		return errors.New("disk full")
	}
	return nil
}

func TestWriteErrorStopsTheRun(t *testing.T) {
	var b strings.Builder
	corpus.New(4).Write(&b, 50_000)
	_, err := Run(context.Background(), strings.NewReader(b.String()), &failAfter{n: 1000}, Options{Region: "CH", BatchLines: 64})
	if err == nil || err.Error() != "disk full" {
		t.Fatalf("err = %v, want disk full", err)
	}
}

func TestReadErrors(t *testing.T) {
	r := io.MultiReader(strings.NewReader("+41446681800\n"), iotest.ErrReader(errors.New("device gone")))
	if _, err := Run(context.Background(), r, &collect{}, Options{}); err == nil || !strings.Contains(err.Error(), "device gone") {
		t.Fatalf("err = %v", err)
	}
	long := "+41446681800\n" + strings.Repeat("1", 2000) + "\n"
	if _, err := Run(context.Background(), strings.NewReader(long), &collect{}, Options{MaxLineLength: 1000}); !errors.Is(err, lines.ErrTooLong) {
		t.Fatalf("err = %v, want ErrTooLong", err)
	}
}

// endless yields numbers until the context is cancelled by the test.
type endless struct{ n int }

func (e *endless) Read(p []byte) (int, error) {
	e.n++
	return copy(p, fmt.Sprintf("+4144668%04d\n", e.n%10000)), nil
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	w := &cancelAt{n: 5000, cancel: cancel}
	_, err := Run(ctx, &endless{}, w, Options{Region: "CH"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

type cancelAt struct {
	n      int
	cancel func()
}

func (c *cancelAt) Write(*phone.Result) error {
	if c.n--; c.n == 0 {
		c.cancel()
	}
	return nil
}

func TestProgressIsReported(t *testing.T) {
	var b strings.Builder
	corpus.New(5).Write(&b, 30_000)
	calls := 0
	var lastRows int64
	_, err := Run(context.Background(), strings.NewReader(b.String()), &collect{}, Options{
		Region: "CH", BatchLines: 100, ProgressEvery: 1,
		Progress: func(rows, bytes int64) {
			calls++
			if rows < lastRows || bytes <= 0 {
				t.Errorf("progress went back: rows %d after %d, bytes %d", rows, lastRows, bytes)
			}
			lastRows = rows
		},
	})
	if err != nil || calls == 0 {
		t.Fatalf("err %v, %d progress calls", err, calls)
	}
}
