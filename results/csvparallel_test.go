package results

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/phonecheck/phonecheck/phone"
)

// readSerial is what a RowReader reads, and its error.
func readSerial(data string) ([]phone.Result, error) {
	rr, err := NewRowReader(strings.NewReader(data), "in.csv")
	if err != nil {
		return nil, err
	}
	var rows []phone.Result
	for {
		var r phone.Result
		if err := rr.Read(&r); errors.Is(err, io.EOF) {
			return rows, nil
		} else if err != nil {
			return rows, err
		}
		rows = append(rows, r)
	}
}

func readParallel(data string) ([]phone.Result, error) {
	var rows []phone.Result
	type state struct{ n int }
	err := ReadParallel(context.Background(), strings.NewReader(data), "in.csv",
		func(rows []phone.Result, s *state) error { s.n = len(rows); return nil },
		func(batch []phone.Result, s *state) error {
			if s.n != len(batch) {
				return fmt.Errorf("work saw %d rows, emit %d", s.n, len(batch))
			}
			rows = append(rows, batch...)
			return nil
		})
	return rows, err
}

// TestReadParallelReadsWhatRowReaderReads: every row in order, across
// batch boundaries, with quoted fields that span lines and blank lines;
// and the first error a RowReader meets, with its line.
func TestReadParallelReadsWhatRowReaderReads(t *testing.T) {
	defer func(n int) { parallelBatchLines = n }(parallelBatchLines)
	rows := append(sampleRows(), benchRows()...)
	good := string(writeAll(t, CSV, rows))
	lines := strings.SplitAfter(good, "\n")
	withBlanks := strings.Join(lines[:40], "") + "\n\r\n" + strings.Join(lines[40:], "")
	cut := good[:strings.LastIndex(good[:len(good)-1], "\n")+1] + `+1,valid,"unclosed` + "\n"
	for name, data := range map[string]string{
		"good":         good,
		"no final EOL": strings.TrimSuffix(good, "\n"),
		"blank lines":  withBlanks,
		"header only":  lines[0],
		"CRLF":         strings.ReplaceAll(good, "\n", "\r\n"),
		"short record": strings.Join(lines[:500], "") + "a,b,c\n" + strings.Join(lines[500:], ""),
		"bare quote":   strings.Join(lines[:700], "") + `x"y,a,b,1,c,d,e,f,g,h,i,j,k` + "\n" + strings.Join(lines[700:], ""),
		"bad Line":     strings.Join(lines[:900], "") + "a,b,c,x,e,f,g,h,i,j,k,l,m\n",
		"unclosed":     cut,
		"not a result": "a,b\n1,2\n",
	} {
		for _, batch := range []int{1, 3, 64, 4096} {
			parallelBatchLines = batch
			want, wantErr := readSerial(data)
			got, err := readParallel(data)
			if fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Fatalf("%s, batches of %d: error %v, want %v", name, batch, err, wantErr)
			}
			if wantErr == nil && fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%s, batches of %d: %d rows differ from the RowReader's %d", name, batch, len(got), len(want))
			}
		}
	}
}

// TestReadParallelStopsAtWorkAndEmitErrors: the first failing batch's
// error, in order.
func TestReadParallelStopsAtWorkAndEmitErrors(t *testing.T) {
	defer func(n int) { parallelBatchLines = n }(parallelBatchLines)
	parallelBatchLines = 10
	data := string(writeAll(t, CSV, benchRows()))
	type state struct{}
	seen := 0
	err := ReadParallel(context.Background(), strings.NewReader(data), "in.csv",
		func(rows []phone.Result, _ *state) error {
			for _, r := range rows {
				if r.Line == 555 || r.Line == 777 {
					return fmt.Errorf("work failed at %d", r.Line)
				}
			}
			return nil
		},
		func(rows []phone.Result, _ *state) error { seen += len(rows); return nil })
	if err == nil || err.Error() != "work failed at 555" || seen != 550 {
		t.Fatalf("err %v after %d rows, want work failed at 555 after 550", err, seen)
	}
	err = ReadParallel(context.Background(), strings.NewReader(data), "in.csv",
		func([]phone.Result, *state) error { return nil },
		func(rows []phone.Result, _ *state) error { return errors.New("disk full") })
	if err == nil || err.Error() != "disk full" {
		t.Fatalf("err %v, want disk full", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ReadParallel(ctx, strings.NewReader(data), "in.csv",
		func([]phone.Result, *state) error { return nil },
		func([]phone.Result, *state) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: err %v", err)
	}
}

// FuzzReadParallel: on any input after a valid header, ReadParallel in
// small batches reads the RowReader's rows and meets its first error.
func FuzzReadParallel(f *testing.F) {
	header := strings.Join(phone.Header, ",") + "\n"
	row := "+41446681800,valid,044 668 18 00,1,VALID,fixed_line,41,CH,+41 44 668 18 00,044 668 18 00,,Zürich,Europe/Zurich\n"
	for _, s := range []string{
		row + row, row + "\"multi\nline\"" + row[12:], row + "bare\"quote" + row[12:], row + "\"open" + row, "\n\n" + row + "\r\n" + row,
		"a,b\n", row + "\"a\"\"b\"" + row[12:],
	} {
		f.Add(s, uint8(2))
	}
	f.Fuzz(func(t *testing.T, body string, batch uint8) {
		defer func(n int) { parallelBatchLines = n }(parallelBatchLines)
		parallelBatchLines = 1 + int(batch%8)
		data := header + body
		want, wantErr := readSerial(data)
		got, err := readParallel(data)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Fatalf("error %v, RowReader %v", err, wantErr)
		}
		if wantErr == nil && fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("rows %v, RowReader %v", got, want)
		}
	})
}
