package results

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/phonecheck/phonecheck/phone"
)

// records reads every record with the RowReader's parser.
func rowRecords(data []byte) ([][]string, error) {
	rr := newRowReaderOn(newTestBufReader(data), "t", 13)
	var out [][]string
	for {
		n, err := rr.record()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if n > len(rr.fields) {
			return out, errors.New("too many fields")
		}
		out = append(out, slices.Clone(rr.fields[:n]))
	}
}

func stdRecords(data []byte) ([][]string, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	var out [][]string
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if len(rec) > 13 {
			return out, errors.New("too many fields")
		}
		out = append(out, rec)
	}
}

// FuzzRowReader: wherever encoding/csv reads a record, the RowReader reads
// the same fields; where encoding/csv refuses the input, so does it.
func FuzzRowReader(f *testing.F) {
	for _, s := range []string{
		"a,b,c\n", "a,\"b,c\",d\r\n", "\"a\"\"b\",c\n", "\"multi\nline\",x\n", "\"crlf\r\nin\",x\r\n",
		"a,b\n\n\nc,d", "bare\"quote,x\n", "\"open,x\n", "\"a\"b,c\n", " lead,trail \n", "\"\",\"\"\n",
		"\"a\n\nb\",c\n", "x\r\n\r\ny\n", "\"a\",\"b\nc\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, werr := stdRecords(data)
		got, gerr := rowRecords(data)
		if werr != nil {
			if gerr == nil {
				t.Fatalf("encoding/csv: %v; RowReader read %q", werr, got)
			}
			return
		}
		if gerr != nil {
			t.Fatalf("RowReader: %v; encoding/csv read %q", gerr, want)
		}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("RowReader %q, encoding/csv %q", got, want)
		}
	})
}

// TestRowReaderReadsWhatTheWriterWrote: every kind of value round-trips.
func TestRowReaderReadsWhatTheWriterWrote(t *testing.T) {
	rows := []phone.Result{
		{Number: "+41446681800", PhoneCheck: "valid", Input: "044 668 18 00", Line: 1, Reason: "VALID", Type: "fixed_line", CountryCode: "41", Region: "CH",
			International: "+41 44 668 18 00", National: "044 668 18 00", Location: "Zürich", TimeZones: "Europe/Zurich"},
		{PhoneCheck: "invalid", Input: "  \"quoted\", with comma ", Line: 2, Reason: "NOT_A_NUMBER"},
		{PhoneCheck: "invalid", Input: "cr\rinside", Line: 3, Reason: "NOT_A_NUMBER"},
		{PhoneCheck: "invalid", Input: strings.Repeat("9", 300<<10), Line: 4, Reason: "TOO_LONG"}, // longer than the buffer
		{PhoneCheck: "invalid", Input: "tab\tand \uFFFD", Line: 1 << 30, Reason: "NOT_A_NUMBER"},
	}
	var b bytes.Buffer
	w := newCSVWriter(&b)
	for i := range rows {
		w.Write(&rows[i])
	}
	w.Close()
	rr, err := NewRowReader(&b, "rows.csv")
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		var got phone.Result
		if err := rr.Read(&got); err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		if got != rows[i] {
			t.Errorf("row %d: got %+v, want %+v", i, got, rows[i])
		}
	}
	var r phone.Result
	if err := rr.Read(&r); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last row: %v", err)
	}
}

func TestRowReaderRefusesOtherFiles(t *testing.T) {
	for name, data := range map[string]string{
		"empty":      "",
		"other CSV":  "a,b,c\n1,2,3\n",
		"short row":  strings.Join(phone.Header, ",") + "\n+41446681800,valid\n",
		"long row":   strings.Join(phone.Header, ",") + "\n" + strings.Repeat("x,", 14) + "x\n",
		"bad Line":   strings.Join(phone.Header, ",") + "\n,invalid,x,one,,,,,,,,,\n",
		"open quote": strings.Join(phone.Header, ",") + "\n,invalid,\"x,1,,,,,,,,,\n",
	} {
		rr, err := NewRowReader(strings.NewReader(data), "rows.csv")
		if err == nil {
			var r phone.Result
			err = rr.Read(&r)
		}
		if err == nil || errors.Is(err, io.EOF) {
			t.Errorf("%s: no error (%v)", name, err)
		}
	}
}

func newTestBufReader(data []byte) *bufio.Reader {
	return bufio.NewReaderSize(bytes.NewReader(data), 16)
}
