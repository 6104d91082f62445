package results

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/phonecheck/phonecheck/phone"
	"github.com/xuri/excelize/v2"
)

// xlsxText is what a value reads back as from an XLSX cell, written here
// independently of the writer: cut to 32,767 UTF-16 code units at a
// character boundary, and every character XML 1.0 cannot hold (control
// characters but tab, LF and CR; U+FFFE, U+FFFF) and every byte of invalid
// UTF-8 as U+FFFD.
func xlsxText(s string) string {
	var b strings.Builder
	units := 0
	for _, r := range s { // invalid UTF-8: utf8.RuneError, one byte at a time
		if units += utf16.RuneLen(r); units > 32767 {
			break
		}
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			r = utf8.RuneError
		}
		b.WriteRune(r)
	}
	return b.String()
}

// hostile are values that XML, SpreadsheetML's _xHHHH_ escapes, white space
// handling, UTF-8 and Excel's cell size limit make hard to store.
var hostile = []string{
	"<", ">", "&", "&amp;", "<t>x</t>", "]]>", `"'`, "</t></is></c></row></sheetData>",
	"\r", "\n", "\r\n", "a\rb", "\t", " ", "  two  ", "\n lead", "trail\t", "\u00a0nbsp\u00a0",
	"\x00", "\x01\x02\x1f", "\x7f", "\x0b\x0c", "a\x00b",
	"_x0041_", "_x005F_", "_x005f_", "_x005F_x0041_", "_x0041__x0042_", "_x0041_x0042_", "__x0041__",
	"_xD800_", "_xFFFF_", "_x00e9_", "_x00E9_", "_x004", "_xGGGG_", "x0041_", "_", "__", "_x_",
	"\uFFFD", "\uFFFE", "\uFFFF", "\uFEFF", "\u2028\u2029", "🚀", "e\u0301", "東京", "\U0010FFFF",
	"\xff", "\xc3", "\xc3(", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ok\xe2\x82", "\xe2\x82\xac\xe2",
	strings.Repeat("a", 32767), strings.Repeat("b", 32768), strings.Repeat("c", 70000),
	strings.Repeat("a", 32766) + "🚀", strings.Repeat("🚀", 20000), strings.Repeat("é", 40000),
	strings.Repeat("<&>", 12000), strings.Repeat("\x01", 40000), strings.Repeat("_x0041_", 300),
	strings.Repeat("a", 32760) + "_x0041_", strings.Repeat("a", 32764) + "_x0041_", // cut inside the escape
	" " + strings.Repeat("z", 40000) + " ",
}

// gapRows exercise absent cells: in turn each column empty, each column
// alone (with Line, which is never empty), and alternating columns.
func gapRows() []phone.Result {
	full := []string{"+41446681800", "valid", "044 668 18 00", "", "VALID", "fixed_line", "41", "CH",
		"+41 44 668 18 00", "044 668 18 00", "Swisscom", "Zurich", "Europe/Zurich"}
	var masks [][]bool
	for i := range full {
		m := make([]bool, len(full))
		for j := range m {
			m[j] = j != i
		}
		masks = append(masks, m)
		alone := make([]bool, len(full))
		alone[i] = true
		masks = append(masks, alone)
	}
	for k := range 2 {
		m := make([]bool, len(full))
		for j := range m {
			m[j] = j%2 == k
		}
		masks = append(masks, m)
	}
	masks = append(masks, make([]bool, len(full)))
	var rows []phone.Result
	for i, m := range masks {
		v := slices.Clone(full)
		for j := range v {
			if !m[j] {
				v[j] = ""
			}
		}
		rows = append(rows, phone.Result{Number: v[0], PhoneCheck: v[1], Input: v[2], Line: i + 1, Reason: v[4],
			Type: v[5], CountryCode: v[6], Region: v[7], International: v[8], National: v[9], Carrier: v[10],
			Location: v[11], TimeZones: v[12]})
	}
	return rows
}

// hostileRows put each hostile value in a different column each time, with
// some columns empty.
func hostileRows() []phone.Result {
	var rows []phone.Result
	for i, s := range hostile {
		v := make([]string, len(phone.Header))
		for j := range v {
			if (i+j)%3 != 0 {
				v[j] = hostile[(i+j)%len(hostile)]
			}
		}
		v[i%len(v)] = s
		rows = append(rows, phone.Result{Number: v[0], PhoneCheck: v[1], Input: v[2], Line: -i, Reason: v[4],
			Type: v[5], CountryCode: v[6], Region: v[7], International: v[8], National: v[9], Carrier: v[10],
			Location: v[11], TimeZones: v[12]})
	}
	return rows
}

// readXLSXSheets reads every sheet of a workbook with excelize's streaming
// Rows iterator (as the results-zip reader does), each sheet's rows with
// trailing empty cells filled up to the header's width.
func readXLSXSheets(t *testing.T, f *excelize.File) map[string][][]string {
	t.Helper()
	sheets := map[string][][]string{}
	for _, name := range f.GetSheetList() {
		rows, err := f.Rows(name)
		if err != nil {
			t.Fatal(err)
		}
		var got [][]string
		for rows.Next() {
			cols, err := rows.Columns(excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			for len(cols) < len(phone.Header) {
				cols = append(cols, "")
			}
			got = append(got, cols)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		sheets[name] = got
	}
	return sheets
}

// checkZip checks the workbook as a zip: every entry decompresses to its
// recorded size and CRC-32 (archive/zip verifies both at EOF), the entries
// are the expected parts in order, each sheet XML is well-formed, and
// `unzip -t` agrees where it is installed. It returns the sheet XML.
func checkZip(t *testing.T, data []byte, sheets int) [][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"_rels/.rels", "docProps/core.xml", "xl/styles.xml", "docProps/app.xml"}
	for i := range sheets {
		want = append(want, fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1))
	}
	want = append(want, "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml")
	var names []string
	var xmls [][]byte
	for _, zf := range zr.File {
		names = append(names, zf.Name)
		if zf.Method != zip.Deflate {
			t.Errorf("%s: method %d", zf.Name, zf.Method)
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("%s: %v", zf.Name, err) // zip.ErrChecksum on a bad CRC or size
		}
		_ = rc.Close()
		if uint64(len(body)) != zf.UncompressedSize64 {
			t.Errorf("%s: %d bytes, header says %d", zf.Name, len(body), zf.UncompressedSize64)
		}
		if err := xmlWellFormed(body); err != nil {
			t.Errorf("%s: %v", zf.Name, err)
		}
		if strings.HasPrefix(zf.Name, "xl/worksheets/") {
			if err := xmlSpacePreserved(body); err != nil {
				t.Errorf("%s: %v", zf.Name, err)
			}
			xmls = append(xmls, body)
		}
	}
	if !slices.Equal(names, want) {
		t.Errorf("entries %q, want %q", names, want)
	}
	if unzip, err := exec.LookPath("unzip"); err == nil {
		path := filepath.Join(t.TempDir(), "t.xlsx")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(unzip, "-t", path).CombinedOutput(); err != nil || !bytes.Contains(out, []byte("No errors detected")) {
			t.Errorf("unzip -t: %v\n%s", err, out)
		}
	}
	return xmls
}

// xmlWellFormed parses a whole XML document strictly.
func xmlWellFormed(doc []byte) error {
	d := xml.NewDecoder(bytes.NewReader(doc))
	for {
		if _, err := d.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// xmlSpacePreserved checks that every <t> whose text starts or ends with
// white space says xml:space="preserve"; without it Excel trims the text
// (Go's XML decoder, and so excelize, does not, so the round trips cannot
// tell).
func xmlSpacePreserved(doc []byte) error {
	d := xml.NewDecoder(bytes.NewReader(doc))
	var preserve, inT bool
	var text []byte
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if inT = tok.Name.Local == "t"; inT {
				preserve, text = false, text[:0]
				for _, a := range tok.Attr {
					preserve = preserve || a.Name.Local == "space" && a.Value == "preserve"
				}
			}
		case xml.CharData:
			if inT {
				text = append(text, tok...)
			}
		case xml.EndElement:
			if inT && len(text) > 0 && !preserve && (isXMLSpace(text[0]) || isXMLSpace(text[len(text)-1])) {
				return fmt.Errorf("<t>%.40q</t> without xml:space=\"preserve\"", text)
			}
			inT = false
		}
	}
}

// TestXLSXMatchesCSV writes the same rows as CSV and as XLSX and compares
// them cell for cell, sheet after sheet, through excelize's reader.
func TestXLSXMatchesCSV(t *testing.T) {
	realistic := realisticRows()[:6000] // about 3.5 MB of sheet XML: several chunks
	for _, tc := range []struct {
		name    string
		rows    []phone.Result
		maxRows int  // data rows a sheet takes; 0: the real limit
		chunk   int  // deflateChunkSize; 0: the real one
		long    bool // skipped with -short (make test's race run)
	}{
		{"empty", nil, 0, 0, false},
		{"sample", sampleRows(), 0, 0, false},
		{"gaps", gapRows(), 0, 0, false},
		{"hostile", hostileRows(), 0, 0, true},
		{"realistic", realistic, 0, 0, true},
		{"sheets", slices.Concat(gapRows(), hostileRows(), sampleRows()), 7, 0, true},
		{"sheets exactly full", gapRows()[:20], 10, 0, false},
		{"a chunk a row", slices.Concat(sampleRows(), gapRows()), 9, 1, false},
		{"small chunks", realistic[:2000], 700, 4096, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.long && testing.Short() {
				t.Skip("long; the race run uses -short")
			}
			if tc.maxRows > 0 {
				defer func(n int) { xlsxMaxDataRows = n }(xlsxMaxDataRows)
				xlsxMaxDataRows = tc.maxRows
			}
			if tc.chunk > 0 {
				defer func(n int) { deflateChunkSize = n }(deflateChunkSize)
				deflateChunkSize = tc.chunk
			}
			records, err := csv.NewReader(strings.NewReader(string(writeAll(t, CSV, tc.rows)))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			data := writeAll(t, XLSX, tc.rows)
			perSheet := xlsxMaxDataRows
			nSheets := max(1, (len(tc.rows)+perSheet-1)/perSheet)
			checkZip(t, data, nSheets)

			f, _ := openXLSX(t, data)
			var wantSheets []string
			for i := range nSheets {
				wantSheets = append(wantSheets, xlsxSheetName(i+1))
			}
			if got := f.GetSheetList(); !slices.Equal(got, wantSheets) {
				t.Fatalf("sheets %q, want %q", got, wantSheets)
			}
			sheets := readXLSXSheets(t, f)
			var got [][]string
			for i, name := range wantSheets {
				rows := sheets[name]
				if len(rows) == 0 || !slices.Equal(rows[0], phone.Header) {
					t.Fatalf("%s: no header row", name)
				}
				if i < nSheets-1 && len(rows)-1 != perSheet {
					t.Errorf("%s: %d data rows, want %d", name, len(rows)-1, perSheet)
				}
				got = append(got, rows[1:]...)
			}
			// The CSV fields as written; encoding/csv reads a quoted CR LF
			// back as LF, so the CSV is compared with that allowance.
			want := make([][]string, len(tc.rows))
			for i := range tc.rows {
				want[i] = tc.rows[i].Record(nil)
			}
			norm := func(rec []string) []string {
				out := slices.Clone(rec)
				for i := range out {
					out[i] = strings.ReplaceAll(out[i], "\r\n", "\n")
				}
				return out
			}
			if !slices.Equal(records[0], phone.Header) ||
				!slices.EqualFunc(records[1:], want, func(a, b []string) bool { return slices.Equal(a, norm(b)) }) {
				t.Fatal("the CSV does not hold the rows")
			}
			if len(got) != len(want) {
				t.Fatalf("%d data rows, want %d", len(got), len(want))
			}
			bad := 0
			for i := range want {
				for j := range want[i] {
					if w := xlsxText(want[i][j]); got[i][j] != w {
						if bad++; bad <= 5 {
							t.Errorf("row %d column %s:\n got %.80q (%d bytes)\nwant %.80q (%d bytes)",
								i+1, phone.Header[j], got[i][j], len(got[i][j]), w, len(w))
						}
					}
				}
			}
		})
	}
}

// TestXLSXWorkbook checks what excelize reads of the workbook's structure on
// every sheet: widths of every column, frozen header, bold header cells and
// plain data cells, string cell types, the autofilter's defined names, and
// the document properties.
func TestXLSXWorkbook(t *testing.T) {
	defer func(n int) { xlsxMaxDataRows = n }(xlsxMaxDataRows)
	xlsxMaxDataRows = 4
	rows := slices.Concat(sampleRows(), gapRows())[:10]
	f, raw := openXLSX(t, writeAll(t, XLSX, rows))
	sheets := []string{"results", "results-2", "results-3"}
	if got := f.GetSheetList(); !slices.Equal(got, sheets) {
		t.Fatalf("sheets %q", got)
	}
	for i, sheet := range sheets {
		checkSheet(t, f, raw, sheet, rows[4*i:min(4*i+4, len(rows))])
		for c, width := range xlsxColWidths {
			col, _ := excelize.ColumnNumberToName(c + 1)
			if got, err := f.GetColWidth(sheet, col); err != nil || got != width {
				t.Errorf("%s: column %s width %v, %v; want %v", sheet, col, got, err, width)
			}
		}
		for c := range phone.Header {
			for r := 1; r <= 2; r++ {
				cell, _ := excelize.CoordinatesToCellName(c+1, r)
				id, _ := f.GetCellStyle(sheet, cell)
				style, err := f.GetStyle(id)
				if bold := err == nil && style.Font != nil && style.Font.Bold; bold != (r == 1) {
					t.Errorf("%s!%s: bold %v", sheet, cell, bold)
				}
			}
		}
	}
	var names []string
	for _, dn := range f.GetDefinedName() {
		names = append(names, dn.Name+" "+dn.Scope+" "+dn.RefersTo)
	}
	want := []string{
		"_xlnm._FilterDatabase results 'results'!$A$1:$M$5",
		"_xlnm._FilterDatabase results-2 'results-2'!$A$1:$M$5",
		"_xlnm._FilterDatabase results-3 'results-3'!$A$1:$M$3",
	}
	if !slices.Equal(names, want) {
		t.Errorf("defined names %q, want %q", names, want)
	}
	props, err := f.GetDocProps()
	if err != nil || props.Creator != "phonecheck" || props.Title != "phoneCheck results" {
		t.Errorf("doc props %+v, %v", props, err)
	}
	// Only the first sheet is selected: several would be grouped in Excel,
	// and an edit would change them all.
	for i, sheet := range sheets {
		if got := bytes.Contains(raw[fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1)], []byte(`tabSelected="1"`)); got != (i == 0) {
			t.Errorf("%s: tabSelected %v", sheet, got)
		}
	}
}

// TestXLSXMatchesExcelizeWriter compares what excelize reads from this
// writer's workbook with what it reads from the excelize stream writer's
// that it replaced, for the same rows.
func TestXLSXMatchesExcelizeWriter(t *testing.T) {
	defer func(n int) { xlsxMaxDataRows = n }(xlsxMaxDataRows)
	xlsxMaxDataRows = 1500
	rows := slices.Concat(sampleRows(), gapRows(), realisticRows()[:3000])
	if testing.Short() {
		xlsxMaxDataRows = 150
		rows = rows[:400]
	}
	var old bytes.Buffer
	w, err := newExcelizeXLSXWriter(&old)
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
	fOld, _ := openXLSX(t, old.Bytes())
	fNew, _ := openXLSX(t, writeAll(t, XLSX, rows))
	if a, b := fOld.GetSheetList(), fNew.GetSheetList(); !slices.Equal(a, b) || len(a) != 3 {
		t.Fatalf("sheets %q, excelize %q", b, a)
	}
	a, b := readXLSXSheets(t, fOld), readXLSXSheets(t, fNew)
	for _, sheet := range fOld.GetSheetList() {
		if !slices.EqualFunc(a[sheet], b[sheet], slices.Equal) {
			t.Errorf("%s differs from excelize's", sheet)
		}
	}
	if a, b := fOld.GetDefinedName(), fNew.GetDefinedName(); !slices.Equal(a, b) {
		t.Errorf("defined names %+v, excelize %+v", b, a)
	}
}

// The same rows give the same bytes, so committed files can be compared.
func TestXLSXDeterministic(t *testing.T) {
	rows := slices.Concat(sampleRows(), realisticRows()[:3000])
	if !bytes.Equal(writeAll(t, XLSX, rows), writeAll(t, XLSX, rows)) {
		t.Error("two workbooks of the same rows differ")
	}
}

// FuzzXLSXCell round-trips any value through a cell: what excelize reads
// back is xlsxText of it, in any column and after an absent cell, and the
// sheet stays well-formed XML.
func FuzzXLSXCell(f *testing.F) {
	for _, s := range slices.Concat(tricky, hostile) {
		if len(s) < 1000 {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		rows := []phone.Result{
			{Number: s, PhoneCheck: s, Input: s, Line: 7, Carrier: s, TimeZones: s},
			{Reason: s, Line: 8, Location: s},
		}
		var buf bytes.Buffer
		w, err := NewWriter(XLSX, &buf)
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
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		for _, zf := range zr.File {
			if zf.Name == "xl/worksheets/sheet1.xml" {
				rc, _ := zf.Open()
				doc, err := io.ReadAll(rc)
				if err == nil {
					err = xmlWellFormed(doc)
				}
				if err == nil {
					err = xmlSpacePreserved(doc)
				}
				if err != nil {
					t.Fatalf("sheet XML: %v", err)
				}
			}
		}
		x, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		got, err := x.GetRows("results", excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		v := xlsxText(s)
		want := [][]string{phone.Header, {v, v, v, "7", "", "", "", "", "", "", v, "", v}, {"", "", "", "8", v, "", "", "", "", "", "", v}}
		for i := range want {
			want[i] = slices.Clone(want[i])
			for len(want[i]) > 0 && want[i][len(want[i])-1] == "" {
				want[i] = want[i][:len(want[i])-1] // GetRows drops trailing empty cells
			}
		}
		if !slices.EqualFunc(got, want, slices.Equal) {
			t.Fatalf("value %q:\n got %q\nwant %q", s, got, want)
		}
	})
}

// failAfter accepts n bytes, then fails every write.
type failAfter struct{ n int }

var errDiskFull = errors.New("disk full")

func (w *failAfter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		n := w.n
		w.n = 0
		return n, errDiskFull
	}
	w.n -= len(p)
	return len(p), nil
}

// A write error at any point comes back from Write or Close, sticks, and
// leaves no goroutine behind; so does dropping a writer without Close.
func TestXLSXWriteError(t *testing.T) {
	rows := realisticRows()[:8000]
	base := runtime.NumGoroutine()
	for _, n := range []int{0, 100, 5000, 100 << 10, 300 << 10} {
		w, err := NewWriter(XLSX, &failAfter{n})
		if err == nil {
			for i := range rows {
				if err = w.Write(&rows[i]); err != nil {
					break
				}
			}
			if err == nil {
				err = w.Close()
			} else if cerr := w.Close(); cerr == nil {
				t.Errorf("after %d bytes: Close after a failed Write succeeded", n)
			}
		}
		if !errors.Is(err, errDiskFull) {
			t.Errorf("after %d bytes: %v; want the write error", n, err)
		}
	}
	w, err := NewWriter(XLSX, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		_ = w.Write(&rows[i])
	}
	w = nil // dropped while chunks are compressed
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, %d before", runtime.NumGoroutine(), base)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestXLSXZip64 writes a sheet of more than 4 GiB of XML, which needs zip64
// sizes in the data descriptor and central directory. It takes a minute and
// runs only when PHONECHECK_TEST_ZIP64 is set.
func TestXLSXZip64(t *testing.T) {
	if os.Getenv("PHONECHECK_TEST_ZIP64") == "" {
		t.Skip("set PHONECHECK_TEST_ZIP64=1 to write a 4 GiB sheet")
	}
	path := filepath.Join(t.TempDir(), "big.xlsx")
	out, err := Create(path, XLSX)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Abort()
	long := strings.Repeat("0123456789", 3000) // 30 kB, twice a row
	r := phone.Result{Number: long, PhoneCheck: "invalid", Input: long}
	const n = 75_000 // 4.5 GB of XML
	for i := range n {
		r.Line = i + 1
		if err := out.Write(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := out.Commit(); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		size, err := io.Copy(io.Discard, rc)
		if err != nil { // a wrong CRC or size shows here
			t.Fatalf("%s: %v", zf.Name, err)
		}
		_ = rc.Close()
		if zf.Name == "xl/worksheets/sheet1.xml" && (size < 1<<32 || uint64(size) != zf.UncompressedSize64) {
			t.Errorf("sheet: %d bytes, header %d", size, zf.UncompressedSize64)
		}
	}
	if unzip, err := exec.LookPath("unzip"); err == nil {
		if out, err := exec.Command(unzip, "-t", path).CombinedOutput(); err != nil {
			t.Errorf("unzip -t: %v\n%s", err, out)
		}
	}
}
