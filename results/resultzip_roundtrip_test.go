package results

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/taskapi/resultzip"
)

// Past a sheet's rows the writer goes on in results-2, ...: the service's
// zip reader reads them as one table.
func TestMultiSheetXLSXReadsAsOneTable(t *testing.T) {
	defer func(n int) { xlsxMaxDataRows = n }(xlsxMaxDataRows)
	xlsxMaxDataRows = 4
	var rows []phone.Result
	for i, in := range []string{"+41446681800", "+41791234567", "044 668 18 00", "junk", "+12015550123", "+442071838750", "+4930123456"} {
		rows = append(rows, phone.Check(in, i+1, "CH"))
	}
	var book bytes.Buffer
	w, err := NewWriter(XLSX, &book)
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
	var z bytes.Buffer
	zw := zip.NewWriter(&z)
	e, _ := zw.Create("results.xlsx")
	e.Write(book.Bytes())
	zw.Close()
	path := filepath.Join(t.TempDir(), "r.zip")
	if err := os.WriteFile(path, z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	tab, err := resultzip.OpenZip(path, resultzip.ZipOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	i := 0
	for row, err := range tab.All() {
		if err != nil {
			t.Fatal(err)
		}
		if i >= len(rows) {
			t.Fatalf("more rows than written")
		}
		if got := row.Result(); got.Number != rows[i].Number || got.PhoneCheck != rows[i].PhoneCheck {
			t.Errorf("row %d: %q %q, want %q %q", i, got.Number, got.PhoneCheck, rows[i].Number, rows[i].PhoneCheck)
		}
		i++
	}
	if i != len(rows) {
		t.Errorf("%d rows, want %d", i, len(rows))
	}
}
