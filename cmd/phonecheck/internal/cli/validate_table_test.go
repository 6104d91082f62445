package cli

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/phonecheck/phonecheck/internal/testkit/soffice"
	"github.com/phonecheck/phonecheck/internal/xlsx"
	"github.com/phonecheck/phonecheck/phone"
)

func readCSV(t *testing.T, s string, comma rune) [][]string {
	t.Helper()
	cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(s, "\uFEFF")))
	cr.Comma = comma
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("%v in %q", err, s)
	}
	return rows
}

// resultCols are a table row's result columns of its one phone column,
// without Line: what the one-number-per-line path gives for the same text.
func resultCols(row []string, columns int) []string {
	r := append([]string(nil), row[columns:columns+len(phone.Header)]...)
	return append(r[:3], r[4:]...)
}

// TestValidateTableKeepsColumns: a semicolon CSV with a BOM comes out with
// every column as it was, in the same separator and with a BOM, and with the
// same validation columns as the one-number-per-line path gives the same
// numbers.
func TestValidateTableKeepsColumns(t *testing.T) {
	in := "\uFEFFName;Firma;Telefon;Notiz\n" +
		"Zoë Müller;\"Meier; Söhne\";044 668 18 00;\"zwei\nZeilen\"\n" +
		"Ben;;+41 79 123 45 67;\n" +
		"Chloé;X;0033 1 42 68 53 00\n" +
		"David;Y;;leer\n" +
		"Emil;Z;n/a;;zu viel\n"
	code, out, errs := run(t, in, "validate", "--region", "CH", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.HasPrefix(out, "\uFEFFName;Firma;Telefon;Notiz;Number;phoneCheck;") {
		t.Fatalf("header %q", out[:60])
	}
	for _, want := range []string{`standard input: CSV, separated by ';', header on line 1; phone column "Telefon" (by its name)`, "5 rows from 7 lines", "3 valid, 2 invalid"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	rows := readCSV(t, out, ';')
	wantOrig := [][]string{
		{"Zoë Müller", "Meier; Söhne", "044 668 18 00", "zwei\nZeilen"},
		{"Ben", "", "+41 79 123 45 67", ""},
		{"Chloé", "X", "0033 1 42 68 53 00", ""},
		{"David", "Y", "", "leer"},
		{"Emil", "Z", "n/a", ""},
	}
	wantLine := []string{"2", "4", "5", "6", "7"}
	wantDetail := []string{"", "", "row has 3 of 4 columns", "empty", `row has 5 fields, the header 4; beyond it: "zu viel"`}
	// The one-number-per-line path on the same numbers.
	var numbers strings.Builder
	for _, o := range wantOrig {
		numbers.WriteString(o[2] + "\n")
	}
	_, plainOut, _ := run(t, numbers.String(), "validate", "-q", "--region", "CH", "-")
	plain := readCSV(t, plainOut, ',')[1:]
	if len(rows) != 6 {
		t.Fatalf("%d rows: %q", len(rows), rows)
	}
	p := 0
	for i, row := range rows[1:] {
		if got := row[:4]; !reflect.DeepEqual(got, wantOrig[i]) {
			t.Errorf("row %d: original columns %q, want %q", i, got, wantOrig[i])
		}
		if row[4+3] != wantLine[i] || row[len(row)-1] != wantDetail[i] {
			t.Errorf("row %d: Line %q detail %q, want %q %q", i, row[7], row[len(row)-1], wantLine[i], wantDetail[i])
		}
		if wantOrig[i][2] == "" {
			if row[5] != "invalid" || row[8] != "NOT_A_NUMBER" {
				t.Errorf("empty cell: %q", row[4:])
			}
			continue
		}
		if got, want := resultCols(row, 4), append(append([]string(nil), plain[p][:3]...), plain[p][4:]...); !reflect.DeepEqual(got, want) {
			t.Errorf("row %d: results %q, one number per line %q", i, got, want)
		}
		p++
	}
}

// TestValidateOneNumberPerLineUnchanged holds the plain path to its bytes:
// the same file through every format as before tables existed (the
// expected CSV was written by that version).
func TestValidateOneNumberPerLineUnchanged(t *testing.T) {
	code, out, errs := run(t, "\uFEFF044 668 18 00\r\nn/a, ask\n\n+41 79 123 45 67\n", "validate", "-q", "--region", "CH", "-")
	want := "Number,phoneCheck,Input,Line,Reason,Type,CountryCode,Region,International,National,Carrier,Location,TimeZones\n" +
		"+41446681800,valid,044 668 18 00,1,VALID,fixed_line,41,CH,+41 44 668 18 00,044 668 18 00,,Zurich,Europe/Zurich\n" +
		"\"n/a, ask\",invalid,\"n/a, ask\",2,NOT_A_NUMBER,,,,,,,,\n" +
		"+41791234567,valid,+41 79 123 45 67,4,VALID,mobile,41,CH,+41 79 123 45 67,079 123 45 67,Swisscom,Switzerland,Europe/Zurich\n"
	if code != 0 || out != want {
		t.Errorf("exit %d %s\n got %q\nwant %q", code, errs, out, want)
	}
}

func TestValidateTableColumnsAndRegions(t *testing.T) {
	in := "name,land,mobile,work\n" +
		"Anna,Schweiz,079 123 45 67,044 668 18 00\n" +
		"Hans,Germany,030 1234567,\n" +
		"Joe,US,(650) 253-0000,+41 44 668 18 00\n" +
		"Zed,Atlantis,079 123 45 68,\n"
	code, out, errs := run(t, in, "validate", "--region", "CH", "--column", "mobile", "--column", "4", "--region-column", "land", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rows := readCSV(t, out, ',')
	h := rows[0]
	if h[4] != "mobile Number" || h[4+len(phone.Header)] != "mobile ReasonDetail" || h[4+len(phone.Header)+1] != "work Number" {
		t.Fatalf("header %q", h)
	}
	if !strings.Contains(errs, `phone columns "mobile", "work" (--column)`) || !strings.Contains(errs, `region of each row from column "land"`) {
		t.Errorf("stderr: %s", errs)
	}
	w := len(phone.Header) + 1
	for i, want := range []struct{ mobile, mobileRegion, work, detail string }{
		{"+41791234567", "CH", "+41446681800", ""},
		{"+49301234567", "DE", "", ""},
		{"+16502530000", "US", "+41446681800", ""},
		{"+41791234568", "CH", "", `region "Atlantis" is not a country code or name; read against CH`},
	} {
		r := rows[i+1]
		if r[4] != want.mobile || r[4+7] != want.mobileRegion || r[4+w] != want.work || r[4+w-1] != want.detail {
			t.Errorf("row %d: mobile %q (%s) work %q detail %q; want %+v", i+1, r[4], r[4+7], r[4+w], r[4+w-1], want)
		}
	}

	// Errors name what is there and what to do.
	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"--column", "phone"}, ExitUsage, []string{`no column "phone"`, `"name", "land", "mobile", "work"`, "--column"}},
		{[]string{"--region-column", "country"}, ExitUsage, []string{`no region column "country"`}},
	} {
		code, _, errs := run(t, in, append(append([]string{"validate"}, tc.args...), "-")...)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d: %s", tc.args, code, tc.code, errs)
		}
		for _, w := range tc.want {
			if !strings.Contains(errs, w) {
				t.Errorf("%v: %q lacks %q", tc.args, errs, w)
			}
		}
	}
	code, _, errs = run(t, "name,city\nAnna,Bern\n", "validate", "-")
	if code != ExitUsage || !strings.Contains(errs, "no column looks like phone numbers") {
		t.Errorf("no phone column: exit %d %s", code, errs)
	}
}

// TestValidateLibreOfficeWorkbook validates an XLSX that LibreOffice wrote,
// with numbers stored as numeric cells, from a file and from standard
// input; the XLSX output keeps every original cell as text.
func TestValidateLibreOfficeWorkbook(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "contacts.csv")
	os.WriteFile(src, []byte("Name,Phone,Since\n"+
		"Anna,0446681800,2019-04-01\n"+ // a number: the 0 is dropped
		"Ben,+4930123456,\n"+ // a number: the + is dropped, and it is German
		"Chloé,+41 79 123 45 67,2021-12-31\n"+ // text
		"Dan,12345,\n"), 0o644) // a number, and no phone number either way
	book := soffice.Convert(t, src, soffice.CSVInUTF8, soffice.XLSX, dir)
	data, _ := os.ReadFile(book)

	code, out, errs := run(t, "", "validate", "--region", "CH", book)
	code2, out2, _ := run(t, string(data), "validate", "--region", "CH", "-")
	if code != 0 || code2 != 0 || out != out2 {
		t.Fatalf("exit %d/%d: %s\nfile:  %q\nstdin: %q", code, code2, errs, out, out2)
	}
	if !strings.Contains(errs, `contacts.xlsx: XLSX, sheet "contacts", header on line 1; phone column "Phone" (by its name)`) {
		t.Errorf("stderr: %s", errs)
	}
	rows := readCSV(t, out, ',')
	for i, want := range []struct{ orig, number, valid, detail string }{
		{"446681800", "+41446681800", "valid", ""},
		{"4930123456", "+4930123456", "valid", "a numeric cell, read as +4930123456 (a spreadsheet drops the + of a number typed as +4930123456)"},
		{"+41 79 123 45 67", "+41791234567", "valid", ""},
		{"12345", "+4112345", "invalid", "a numeric cell: a spreadsheet drops a leading 0 or +; store phone numbers as text"},
	} {
		r := rows[i+1]
		if r[1] != want.orig || r[3] != want.number || r[4] != want.valid || r[len(r)-1] != want.detail {
			t.Errorf("row %d: %q", i+1, r)
		}
	}
	if rows[1][2] != "2019-04-01" {
		t.Errorf("a date cell reads %q", rows[1][2])
	}

	outx := filepath.Join(dir, "out.xlsx")
	if code, _, errs := run(t, "", "validate", "-q", "--region", "CH", "-o", outx, book); code != 0 {
		t.Fatalf("xlsx out: exit %d: %s", code, errs)
	}
	b, _ := os.ReadFile(outx)
	w, err := xlsx.Open(bytes.NewReader(b), int64(len(b)), xlsx.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := w.Rows(0)
	defer r.Close()
	n := 0
	for r.Next() {
		for i, k := range r.Kinds() {
			if k != xlsx.Empty && k != xlsx.Text {
				t.Errorf("row %d column %d is not text: %v", r.Row(), i, k)
			}
		}
		if want := rows[n]; !reflect.DeepEqual(trimEmpty(r.Values()), trimEmpty(want)) {
			t.Errorf("xlsx row %d %q, csv %q", r.Row(), r.Values(), want)
		}
		n++
	}
	if n != len(rows) {
		t.Errorf("%d xlsx rows, %d csv rows", n, len(rows))
	}
}

func trimEmpty(v []string) []string {
	for len(v) > 0 && v[len(v)-1] == "" {
		v = v[:len(v)-1]
	}
	return v
}

func TestValidateRefusesWhatItCannotRead(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, body, want string
	}{
		{"contacts.xls", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" + strings.Repeat("\x00", 600), "Office 97-2003 file"},
		{"page.xls", "<html><body><table><tr><td>1</td></tr></table>", "HTML page"},
		{"doc.pdf", "%PDF-1.4\n", "PDF"},
		{"empty.csv", "name,phone\n", "a header (line 1) and no rows"},
	} {
		path := filepath.Join(dir, tc.name)
		os.WriteFile(path, []byte(tc.body), 0o644)
		code, out, errs := run(t, "", "validate", path)
		if code != ExitError || out != "" || !strings.Contains(errs, tc.name+": ") || !strings.Contains(errs, tc.want) {
			t.Errorf("%s: exit %d out %q err %q", tc.name, code, out, errs)
		}
	}
}
