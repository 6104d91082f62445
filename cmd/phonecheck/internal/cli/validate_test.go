package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/phonecheck/phonecheck/phone"
)

func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, IO{In: strings.NewReader(stdin), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

const swiss = "\uFEFF044 668 18 00\r\n+41 79 123 45 67\n\n  0800 123 456  \ngarbage\n+999 1\n"

func TestValidateCSVToStdout(t *testing.T) {
	code, out, errs := run(t, swiss, "validate", "--region", "ch", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != strings.Join(phone.Header, ",") {
		t.Fatalf("header %v", rows[0])
	}
	want := [][]string{ // Number, phoneCheck, Input, Line, Reason
		{"+41446681800", "valid", "044 668 18 00", "1", "VALID"},
		{"+41791234567", "valid", "+41 79 123 45 67", "2", "VALID"},
		{"+41800123456", "valid", "  0800 123 456  ", "4", "VALID"},
		{"garbage", "invalid", "garbage", "5", "NOT_A_NUMBER"},
		{"+999 1", "invalid", "+999 1", "6", "INVALID_COUNTRY_CODE"},
	}
	if len(rows)-1 != len(want) {
		t.Fatalf("%d rows, want %d: %v", len(rows)-1, len(want), rows)
	}
	for i, w := range want {
		if got := rows[i+1][:5]; strings.Join(got, "|") != strings.Join(w, "|") {
			t.Errorf("row %d = %v, want %v", i+1, got, w)
		}
	}
	for _, s := range []string{"5 rows from 6 lines", "3 valid, 2 invalid", "NOT_A_NUMBER", "INVALID_COUNTRY_CODE"} {
		if !strings.Contains(errs, s) {
			t.Errorf("summary lacks %q:\n%s", s, errs)
		}
	}
}

func TestValidateFormatsToFiles(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "numbers.txt")
	os.WriteFile(in, []byte(swiss), 0o644)

	jsonl := filepath.Join(dir, "out.jsonl")
	if code, _, errs := run(t, "", "validate", in, "--region", "CH", "-o", jsonl); code != 0 {
		t.Fatalf("jsonl: exit %d: %s", code, errs)
	}
	b, _ := os.ReadFile(jsonl)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	var first phone.Result
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || len(lines) != 5 {
		t.Fatalf("jsonl: %d lines, %v", len(lines), err)
	}
	if want := phone.Check("044 668 18 00", 1, "CH"); first != want {
		t.Errorf("jsonl row = %+v, want %+v", first, want)
	}

	xlsx := filepath.Join(dir, "out.xlsx")
	if code, _, errs := run(t, "", "validate", "-q", "--region", "CH", "-o", xlsx, in); code != 0 || errs != "" {
		t.Fatalf("xlsx: exit %d: %q", code, errs)
	}
	f, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil || len(rows) != 6 || rows[1][0] != "+41446681800" {
		t.Fatalf("xlsx rows %v, %v", rows, err)
	}
}

func TestValidateErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unknown region", []string{"validate", "--region", "XX", "-"}, ExitUsage, "unknown region \"XX\""},
		{"unknown format", []string{"validate", "--format", "pdf", "-"}, ExitUsage, "--format"},
		{"two files", []string{"validate", "a", "b"}, ExitUsage, "one input file at most"},
		{"bad flag", []string{"validate", "--nope"}, ExitUsage, "flag provided but not defined"},
		{"missing file", []string{"validate", filepath.Join(dir, "nope.txt")}, ExitError, "no such file"},
		{"directory", []string{"validate", dir}, ExitError, "is a directory"},
		{"unwritable output", []string{"validate", "-o", filepath.Join(dir, "no/such/dir/out.csv"), "-"}, ExitError, "output directory"},
		{"unknown command", []string{"frobnicate"}, ExitUsage, "unknown command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := run(t, "+41446681800\n", tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d with %q", code, errs, tc.code, tc.msg)
			}
			if strings.Count(strings.TrimSpace(errs), "\n") > 0 && tc.code != ExitUsage {
				t.Errorf("want a one-line message, got %q", errs)
			}
		})
	}
}

// A line over the 64 KiB bound is one TOO_LONG row with its Input cut and
// marked, not a failed run.
func TestValidateTooLongLineIsOneRow(t *testing.T) {
	input := "+41446681800\n" + strings.Repeat("7", 100<<10) + "\n+41791234567\n"
	code, out, errs := run(t, input, "validate", "--region", "CH")
	if code != 0 {
		t.Fatalf("exit %d, %q", code, errs)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	if r := rows[2]; r[1] != "invalid" || r[3] != "2" || r[4] != "TOO_LONG" || r[2] != strings.Repeat("7", 1024)+"…[cut: 102400 bytes]" {
		t.Errorf("the long line's row: %q… %q", r[2][:20], r[1:2])
	}
	if rows[3][1] != "valid" || rows[3][3] != "3" {
		t.Errorf("the line after it: %q", rows[3])
	}
}

func TestValidateBinaryAndEmptyInput(t *testing.T) {
	// Binary data is refused with what it is, as the pipeline refuses it,
	// not turned into rows of garbage.
	code, out, errs := run(t, "\x00\x01\xff\xfe+41\x00446681800\n", "validate", "--region", "CH")
	if code != ExitError || out != "" || !strings.Contains(errs, "NUL byte") {
		t.Fatalf("binary input: exit %d, out %q, err %q", code, out, errs)
	}
	code, out, errs = run(t, "", "validate")
	if code != 0 || strings.TrimSpace(out) != strings.Join(phone.Header, ",") || !strings.Contains(errs, "held no numbers") {
		t.Fatalf("empty input: exit %d, out %q, err %q", code, out, errs)
	}
}

func TestFlagsAfterArguments(t *testing.T) {
	code, out, _ := run(t, "0446681800\n", "validate", "-", "--region", "CH", "--format", "jsonl")
	if code != 0 || !strings.Contains(out, `"+41446681800"`) {
		t.Fatalf("exit %d, %q", code, out)
	}
}

func TestRegionFromEnvironment(t *testing.T) {
	t.Setenv("PHONECHECK_REGION", "CH")
	code, out, _ := run(t, "0446681800\n", "validate", "--format", "jsonl")
	if code != 0 || !strings.Contains(out, `"+41446681800"`) {
		t.Fatalf("exit %d, %q", code, out)
	}
}
