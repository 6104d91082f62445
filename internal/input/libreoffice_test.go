package input

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/phonecheck/phonecheck/internal/testkit/soffice"
	"github.com/phonecheck/phonecheck/internal/xlsx"
)

// openPath reads a file as the commands do, with Open.
func openPath(t *testing.T, path string, opt Options) (*Table, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	in, err := Open(f, opt, "")
	if err != nil {
		return nil, err
	}
	if in.Table == nil {
		t.Fatalf("%s read as one value per line", path)
	}
	return in.Table, nil
}

// TestLibreOfficeFiles writes one contact table with LibreOffice Calc as
// XLSX, as CSV with semicolons in Windows-1252, as tab-separated UTF-16
// (Excel's "Unicode text"), and as .xls and .ods: the text and workbook
// inputs read as the same table (the workbook's numbers marked as such),
// and the legacy and OpenDocument files are refused with what to do.
func TestLibreOfficeFiles(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "contacts.csv")
	csv := "Name,Telefon,Ort,Kunde seit\n" +
		"Zoë Müller,044 668 18 00,Zürich,2019-04-01\n" +
		"\"Meier; Hans\",41446681800,Genève,\n" +
		"François,0791234567,\"Biel/Bienne\",2021-12-31\n" +
		"\"Said \"\"Sam\"\" Ali\",+49 30 1234567,Köln,\n"
	if err := os.WriteFile(src, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	book := soffice.Convert(t, src, soffice.CSVInUTF8, soffice.XLSX, dir)
	semi := soffice.Convert(t, book, "", soffice.CSV(';', "1"), filepath.Join(dir, "semi"))
	tabs := soffice.Convert(t, book, "", soffice.CSV('\t', "65535"), filepath.Join(dir, "tabs"))
	legacy := soffice.Convert(t, book, "", "xls", dir)
	ods := soffice.Convert(t, book, "", "ods", dir)

	wantRows := []Row{
		{Line: 2, Values: []string{"Zoë Müller", "044 668 18 00", "Zürich", "2019-04-01"}},
		{Line: 3, Values: []string{"Meier; Hans", "41446681800", "Genève"}},
		{Line: 4, Values: []string{"François", "791234567", "Biel/Bienne", "2021-12-31"}},
		{Line: 5, Values: []string{`Said "Sam" Ali`, "+49 30 1234567", "Köln"}},
	}
	for _, tc := range []struct {
		path, format, encoding string
		delim                  byte
	}{
		{book, "xlsx", "", 0},
		{semi, "csv", Windows1252, ';'},
		{tabs, "tsv", UTF16LE, '\t'},
	} {
		tab, err := openPath(t, tc.path, Options{Region: "CH"})
		if err != nil {
			t.Errorf("%s: %v", tc.path, err)
			continue
		}
		if tab.Format != tc.format || tab.Encoding() != tc.encoding && tc.encoding != "" || tab.Delimiter != tc.delim {
			t.Errorf("%s: format %s encoding %s delimiter %q", filepath.Base(tc.path), tab.Format, tab.Encoding(), tab.Delimiter)
		}
		if want := []string{"Name", "Telefon", "Ort", "Kunde seit"}; !reflect.DeepEqual(tab.Columns, want) || tab.HeaderLine != 1 || !reflect.DeepEqual(tab.Phone, []int{1}) {
			t.Errorf("%s: columns %q header %d phone %v", filepath.Base(tc.path), tab.Columns, tab.HeaderLine, tab.Phone)
		}
		rows := readRows(t, tab)
		numeric := map[int]bool{}
		for i := range rows {
			if len(rows[i].Numeric) > 1 && rows[i].Numeric[1] {
				numeric[rows[i].Line] = true
			}
			rows[i].Numeric = nil
			// Text exports write every column; the workbook stops at the last value.
			for len(rows[i].Values) > 3 && rows[i].Values[len(rows[i].Values)-1] == "" {
				rows[i].Values = rows[i].Values[:len(rows[i].Values)-1]
			}
		}
		if !reflect.DeepEqual(rows, wantRows) {
			t.Errorf("%s: rows\n got %+v\nwant %+v", filepath.Base(tc.path), rows, wantRows)
		}
		if tc.format == "xlsx" && !reflect.DeepEqual(numeric, map[int]bool{3: true, 4: true}) {
			t.Errorf("numeric phone cells on lines %v, want 3 and 4", numeric)
		}
	}
	if _, err := openPath(t, legacy, Options{}); !errors.Is(err, ErrUnsupported) || !bytes.Contains([]byte(err.Error()), []byte("legacy Excel")) {
		t.Errorf("xls: %v", err)
	}
	if _, err := openPath(t, ods, Options{}); !errors.Is(err, xlsx.ErrNotWorkbook) || !bytes.Contains([]byte(err.Error()), []byte(".ods")) {
		t.Errorf("ods: %v", err)
	}
}
