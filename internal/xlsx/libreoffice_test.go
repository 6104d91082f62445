package xlsx

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/phonecheck/phonecheck/internal/testkit/soffice"
)

// TestLibreOfficeWorkbook reads a workbook LibreOffice Calc wrote from a
// CSV: what Calc makes numbers of (phone digits, a national number that
// loses its 0, dates, decimals, a 20-digit number Calc keeps 15 digits of),
// formulas with their cached values, shared strings with line breaks,
// quotes and non-ASCII text.
func TestLibreOfficeWorkbook(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "contacts.csv")
	csv := "name,phone,when,amount,formula\n" +
		"Anna,41446681800,2024-03-05,3.14,=1+1\n" +
		"Ben,0446681800,,1e5,=B2*2\n" +
		"\"Cé, \"\"Dé\"\"\",+41 44 668 18 00,,12345678901234567890,\n" +
		"\"two\nlines\",079 123 45 67,1999-12-31,-0.5,=\"x\"&A2\n" +
		",,,,\n" +
		"Zoë,0041791234567,,0.1,\n"
	if err := os.WriteFile(src, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	path := soffice.Convert(t, src, soffice.CSVInUTF8, soffice.XLSX, dir)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, rows, err := readAll(t, data, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []row{
		{1, []string{"name", "phone", "when", "amount", "formula"}},
		{2, []string{"Anna", "41446681800", "2024-03-05", "3.14", "2"}},
		{3, []string{"Ben", "446681800", "", "100000", "82893363600"}},
		{4, []string{`Cé, "Dé"`, "+41 44 668 18 00", "", "12345678901234600000"}},
		{5, []string{"two\nlines", "079 123 45 67", "1999-12-31", "-0.5", "xAnna"}},
		{7, []string{"Zoë", "41791234567", "", "0.1"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows:\n got %v\nwant %v", got, want)
	}
	if rows.FormulasWithoutValue() != 0 {
		t.Errorf("%d formulas without value", rows.FormulasWithoutValue())
	}
	// Numbers stay numbers and text stays text, as Calc stored them.
	w, _ := Open(bytesReader(data), int64(len(data)), Limits{})
	r, _ := w.Rows(0)
	defer r.Close()
	for r.Next() && r.Row() < 2 {
	}
	if k := r.Kinds(); k[0] != Text || k[1] != Number || k[2] != Date || k[3] != Number {
		t.Errorf("row 2 kinds %v", k)
	}
}
