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
}

// TestLongLineInsideALargeFile: a 100,000-line file with a line of 10 MB in
// the middle gives one more row than the file without it: a TOO_LONG row
// for that line, its Input the line's first lines.CutLength bytes marked as
// cut, and every other row exactly as without it (the line numbers after it
// one higher).
func TestLongLineInsideALargeFile(t *testing.T) {
	var b strings.Builder
	corpus.New(7).Write(&b, 100_000)
	plain := strings.SplitAfter(b.String(), "\n")
	plain = plain[:len(plain)-1] // SplitAfter's empty tail
	const at = 50_000            // 0-based: line 50,001 is the long one
	long := strings.Repeat("0791234567", 1<<20)
	input := strings.Join(plain[:at], "") + long + "\n" + strings.Join(plain[at:], "")

	var without, with collect
	if _, err := Run(context.Background(), strings.NewReader(b.String()), &without, Options{Region: "CH"}); err != nil {
		t.Fatal(err)
	}
	sum, err := Run(context.Background(), strings.NewReader(input), &with, Options{Region: "CH"})
	if err != nil {
		t.Fatalf("a long line failed the file: %v", err)
	}
	if len(with.rows) != len(without.rows)+1 || sum.Lines != 100_001 {
		t.Fatalf("%d rows, %d lines; want %d rows, 100001 lines", len(with.rows), sum.Lines, len(without.rows)+1)
	}
	k := 0 // index of the long line's row
	for k < len(with.rows) && with.rows[k].Line <= at {
		k++
	}
	cut := with.rows[k]
	want := long[:lines.CutLength] + "…[cut: 10485760 bytes]"
	if cut.Line != at+1 || cut.Reason != phone.ReasonTooLong || cut.PhoneCheck != phone.Invalid || cut.Input != want || cut.CountryCode != "" {
		t.Fatalf("the long line's row: line %d, %s, %s, Input %d bytes %q…", cut.Line, cut.PhoneCheck, cut.Reason, len(cut.Input), cut.Input[max(0, len(cut.Input)-40):])
	}
	for i, r := range without.rows {
		got := with.rows[i]
		if i >= k {
			got = with.rows[i+1]
			got.Line--
		}
		if got != r {
			t.Fatalf("row %d differs from the file without the long line:\n%+v\n%+v", i, got, r)
		}
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

// lineEncoder encodes a row as its Number and Line; Write does the same, so
// that both paths give one text.
type lineEncoder struct {
	out      strings.Builder
	failAt   int
	written  int
	viaWrite bool
}

func (e *lineEncoder) AppendRow(dst []byte, r *phone.Result) []byte {
	return fmt.Appendf(dst, "%d %s %s\n", r.Line, r.Number, r.Reason)
}

func (e *lineEncoder) WriteEncoded(b []byte) error {
	if e.written++; e.failAt > 0 && e.written >= e.failAt {
		return errors.New("disk full")
	}
	e.out.Write(b)
	return nil
}

func (e *lineEncoder) Write(r *phone.Result) error {
	e.viaWrite = true
	e.out.Write(e.AppendRow(nil, r))
	return nil
}

// TestEncoderGivesWhatWriteGives: with an Encoder the workers encode, the
// bytes and the summary are those of the rows written one by one, and a
// write error stops the run.
func TestEncoderGivesWhatWriteGives(t *testing.T) {
	var b strings.Builder
	corpus.New(5).Write(&b, 20_000)
	input := b.String()
	var plain lineEncoder
	wantSum, err := Run(context.Background(), strings.NewReader(input), &plain, Options{Region: "CH", BatchLines: 100})
	if err != nil {
		t.Fatal(err)
	}
	var enc lineEncoder
	var rows collect
	sum, err := Run(context.Background(), strings.NewReader(input), &rows, Options{Region: "CH", BatchLines: 100, Workers: 3, Encoder: &enc})
	if err != nil {
		t.Fatal(err)
	}
	if enc.viaWrite || enc.out.String() != plain.out.String() {
		t.Fatal("encoded output differs from written output")
	}
	if int64(len(rows.rows)) != sum.Rows {
		t.Fatalf("the RowWriter beside the Encoder got %d rows of %d", len(rows.rows), sum.Rows)
	}
	if _, err := Run(context.Background(), strings.NewReader(input), nil, Options{Region: "CH", Encoder: &lineEncoder{}}); err != nil {
		t.Fatalf("no RowWriter: %v", err)
	}
	sum.Elapsed, wantSum.Elapsed = 0, 0
	if fmt.Sprint(sum) != fmt.Sprint(wantSum) {
		t.Errorf("summary %+v, want %+v", sum, wantSum)
	}
	failing := lineEncoder{failAt: 5}
	if _, err := Run(context.Background(), strings.NewReader(input), nil, Options{Region: "CH", BatchLines: 100, Encoder: &failing}); err == nil || err.Error() != "disk full" {
		t.Fatalf("err = %v, want disk full", err)
	}
}
