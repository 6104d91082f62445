package results

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/phonecheck/phonecheck/phone"
)

// tricky are values that stress quoting and escaping in every format.
var tricky = []string{
	"", "a,b", `say "hi"`, "two\nlines", "cr\rlf\r\n", " leading space", "trailing space ", "\ttab",
	`\.`, "+41446681800", "0044 20 7946 0958", "00123", "1e5", "=1+1", "TRUE", "_x0041_", "_x005F_x0041_",
	"Zürich; 東京 🚀", "ctl\x01\x1f\x7f", "bad\xffutf8", "line\u2028sep\u2029", "nonchar\uFFFE\uFFFF",
	`back\slash`, "<tag>&amp;",
}

// sampleRows returns engine rows for a few real inputs followed by rows
// whose every column holds one of the tricky values.
func sampleRows() []phone.Result {
	var rows []phone.Result
	for i, in := range []string{"+41 44 668 18 00", "044 668 18 00", "+1 650-253-0000", "hello", "+44 7911 123456", "12"} {
		rows = append(rows, phone.Check(in, i+1, "CH"))
	}
	for i, s := range tricky {
		rows = append(rows, phone.Result{Number: s, PhoneCheck: "invalid", Input: s, Line: 100 + i, Reason: s,
			Type: s, CountryCode: s, Region: s, International: s, National: s, Carrier: s, Location: s, TimeZones: s})
	}
	return rows
}

// benchRows is a varied set of realistic rows that benchmarks cycle through.
var benchRows = sync.OnceValue(func() []phone.Result {
	var rows []phone.Result
	for i := range 1000 {
		var in string
		switch i % 5 {
		case 0:
			in = fmt.Sprintf("+41 79 %03d %02d %02d", i%1000, i%100, (i*7)%100)
		case 1:
			in = fmt.Sprintf("044 %03d %02d %02d", i%1000, i%100, (i*3)%100)
		case 2:
			in = fmt.Sprintf("+1 650 %03d %04d", 200+i%800, i)
		case 3:
			in = fmt.Sprintf("+44 20 7946 %04d", i)
		default:
			in = fmt.Sprintf("not a number %d", i)
		}
		rows = append(rows, phone.Check(in, i+1, "CH"))
	}
	return rows
})

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"csv": CSV, "CSV": CSV, " xlsx ": XLSX, "Xlsx": XLSX, "jsonl": JSONL, "NDJSON": JSONL} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "xls", "json", "txt", "csv,xlsx"} {
		_, err := ParseFormat(in)
		if err == nil || !strings.Contains(err.Error(), "csv, xlsx or jsonl") || !strings.Contains(err.Error(), fmt.Sprintf("%q", in)) {
			t.Errorf("ParseFormat(%q) error = %v; want one naming the input and the choices", in, err)
		}
	}
}

func TestFormatFromPath(t *testing.T) {
	for in, want := range map[string]Format{"a.csv": CSV, "dir.x/B.CSV": CSV, "r.xlsx": XLSX, "r.jsonl": JSONL, "r.ndjson": JSONL} {
		if got, ok := FormatFromPath(in); !ok || got != want {
			t.Errorf("FormatFromPath(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "r", "r.xls", "r.json", "r.csv.tmp", "csv"} {
		if got, ok := FormatFromPath(in); ok {
			t.Errorf("FormatFromPath(%q) = %q, true; want false", in, got)
		}
	}
}

func TestNewWriterUnknownFormat(t *testing.T) {
	if _, err := NewWriter("xls", new(strings.Builder)); err == nil {
		t.Fatal("NewWriter(xls) succeeded")
	}
}

// writeAll writes rows in format f and returns the document.
func writeAll(t testing.TB, f Format, rows []phone.Result) []byte {
	t.Helper()
	var buf strings.Builder
	w, err := NewWriter(f, &buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if err := w.Write(&rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err == nil {
		t.Error("second Close succeeded")
	}
	if err := w.Write(&phone.Result{}); err == nil {
		t.Error("Write after Close succeeded")
	}
	return []byte(buf.String())
}
