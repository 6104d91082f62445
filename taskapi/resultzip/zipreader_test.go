package resultzip

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/phone"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/unicode"
)

type entry struct {
	name string
	data string
}

// makeZip builds a zip of the entries, deflated.
func makeZip(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readZipBytes(b []byte, opts ZipOptions) (*ResultTable, error) {
	return ReadZip(bytes.NewReader(b), int64(len(b)), opts)
}

// readAll opens a zip and returns all its rows.
func readAll(t *testing.T, b []byte, opts ZipOptions) (*ResultTable, []Row) {
	t.Helper()
	tab, err := readZipBytes(b, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tab.Close() })
	var rows []Row
	for r, err := range tab.All() {
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	return tab, rows
}

// schemaRows are engine rows plus rows whose Input holds awkward text.
func schemaRows() []phone.Result {
	var rows []phone.Result
	for i, in := range []string{"+41 44 668 18 00", "044 668 18 00", "+1 650-253-0000", "hello", "+44 7911 123456", "12", "+41 79 123 45 67"} {
		rows = append(rows, phone.Check(in, i+1, "CH"))
	}
	for i, s := range []string{"a,b", `say "hi"`, " leading space", "Zürich; 東京 🚀", "semi;colon", "tab\there", "=1+1", "00123"} {
		rows = append(rows, phone.Result{Number: "+4144668180" + string(rune('0'+i)), PhoneCheck: phone.Invalid, Input: s, Line: 100 + i,
			Reason: phone.ReasonTooShort, Location: s})
	}
	return rows
}

func checkRows(t *testing.T, got []Row, want []phone.Result) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows; want %d", len(got), len(want))
	}
	for i, r := range got {
		if res := r.Result(); res != want[i] || r.N != i+1 {
			t.Errorf("row %d (N %d):\n got %+v\nwant %+v", i+1, r.N, res, want[i])
		}
	}
}

func TestOpenZipCSV(t *testing.T) {
	rows := schemaRows()
	b := makeZip(t, entry{"t-1.csv", string(writeAll(t, CSV, rows))})
	tab, got := readAll(t, b, ZipOptions{})
	checkRows(t, got, rows)
	if tab.Entry() != "t-1.csv" || tab.Format() != "csv" || strings.Join(tab.Columns(), ",") != strings.Join(phone.Header, ",") {
		t.Errorf("entry %q format %q columns %q", tab.Entry(), tab.Format(), tab.Columns())
	}
	if _, err := tab.Next(); err != io.EOF {
		t.Errorf("after the end: %v; want io.EOF", err)
	}
}

func TestOpenZipXLSX(t *testing.T) {
	rows := schemaRows()
	b := makeZip(t, entry{"results.xlsx", string(writeAll(t, XLSX, rows))})
	tab, got := readAll(t, b, ZipOptions{TempDir: t.TempDir()})
	checkRows(t, got, rows)
	if tab.Format() != "xlsx" {
		t.Errorf("format %q", tab.Format())
	}
}

func TestOpenZipText(t *testing.T) {
	want := []phone.Result{
		{Number: "+41446681800", PhoneCheck: "valid", Reason: "VALID"},
		{Number: "+41791234567", PhoneCheck: "invalid", Reason: "TOO_SHORT"},
	}
	utf16 := func(s string) string {
		b, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for name, data := range map[string]string{
		"tab.txt":         "Number\tphoneCheck\tReason\n+41446681800\tvalid\tVALID\n+41791234567\tinvalid\tTOO_SHORT\n",
		"semicolon.txt":   "Number;phoneCheck;Reason\r\n+41446681800;valid;VALID\r\n+41791234567;invalid;TOO_SHORT\r\n",
		"comma.txt":       "Number,phoneCheck,Reason\n+41446681800,valid,VALID\n+41791234567,invalid,TOO_SHORT",
		"excel.csv":       "sep=;\nNumber;phoneCheck;Reason\n+41446681800;valid;VALID\n+41791234567;invalid;TOO_SHORT\n",
		"semicolon.csv":   "\"Number\";\"phoneCheck\";\"Reason\"\n\"+41446681800\";\"valid\";\"VALID\"\n+41791234567;invalid;TOO_SHORT\n",
		"unicode.txt":     utf16("Number\tphoneCheck\tReason\r\n+41446681800\tvalid\tVALID\r\n+41791234567\tinvalid\tTOO_SHORT\r\n"),
		"blank-lines.tsv": "\n\n   \nNumber\tphoneCheck\tReason\n\n+41446681800\tvalid\tVALID\n\t\t\n+41791234567\tinvalid\tTOO_SHORT\n\n",
		// a comma inside a quoted header of a semicolon table
		"quoted.csv": "Number;phoneCheck;Reason;\"Location, city\"\n+41446681800;valid;VALID;\"Zurich, ZH\"\n+41791234567;invalid;TOO_SHORT;\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, got := readAll(t, makeZip(t, entry{name, data}), ZipOptions{})
			checkRows(t, got, want)
			if name == "quoted.csv" && got[0].Get("location, CITY") != "Zurich, ZH" {
				t.Errorf("Location = %q", got[0].Get("Location, city"))
			}
		})
	}
}

func TestHeaderVariations(t *testing.T) {
	for name, data := range map[string]string{
		"case":        "NUMBER,PHONECHECK\n+41446681800,Valid\n+41791234567,INVALID\n",
		"bom":         "\ufeffNumber,phoneCheck\n+41446681800,valid\n+41791234567,invalid\n",
		"spaces":      " Number , phoneCheck \n +41446681800 , valid \n+41791234567,  invalid\n",
		"order":       "Reason,phoneCheck,Extra,Number\nVALID,valid,x,+41446681800\nTOO_SHORT,invalid,y,+41791234567\n",
		"duplicate":   "Number,phoneCheck,Number\n+41446681800,valid,other\n+41791234567,invalid,other\n",
		"short rows":  "Number,phoneCheck,Reason,Type\n+41446681800,valid\n+41791234567,invalid,TOO_SHORT,unknown,extra\n",
		"blank cells": "Number,phoneCheck\n+41446681800,valid\n,\n+41791234567,invalid\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, got := readAll(t, makeZip(t, entry{"r.csv", data}), ZipOptions{})
			if len(got) != 2 || got[0].Number != "+41446681800" || got[0].PhoneCheck != "valid" ||
				got[1].Number != "+41791234567" || got[1].PhoneCheck != "invalid" {
				t.Errorf("rows %+v", got)
			}
		})
	}
}

func TestEntryChoice(t *testing.T) {
	table := func(n string) string { return "Number,phoneCheck\n" + n + ",valid\n" }
	b := makeZip(t,
		entry{"README.txt", "This archive holds your results.\n"},
		entry{"__MACOSX/._t-9.csv", table("+1")},
		entry{"out/", ""},
		entry{"out/summary.csv", "valid,invalid\n1,1\n"},
		entry{"out/first.csv", table("+41446681800")},
		entry{"out/t-9.xlsx", "not really"},
		entry{"out/T-9.CSV", table("+41791234567")},
	)
	for taskID, want := range map[string]string{"": "out/first.csv", "t-9": "out/T-9.CSV", "t-0": "out/first.csv"} {
		tab, err := readZipBytes(b, ZipOptions{TaskID: taskID})
		if err != nil {
			t.Fatal(err)
		}
		if tab.Entry() != want {
			t.Errorf("task %q: entry %q; want %q", taskID, tab.Entry(), want)
		}
		_ = tab.Close()
	}
}

func TestOpenZipFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.zip")
	if err := os.WriteFile(path, makeZip(t, entry{"r.xlsx", string(writeAll(t, XLSX, schemaRows()))}), 0o644); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	tab, err := OpenZip(path, ZipOptions{TempDir: tmp})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tab.Next(); err != nil {
		t.Fatal(err)
	}
	if err := tab.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tab.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := tab.Next(); err == nil || err == io.EOF {
		t.Errorf("Next after Close: %v", err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
	// a workbook that cannot be read leaves nothing behind either
	bad := filepath.Join(dir, "bad.zip")
	if err := os.WriteFile(bad, makeZip(t, entry{"r.xlsx", "PK not a workbook"}), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenZip(bad, ZipOptions{TempDir: tmp}); !errors.Is(err, ErrNoTable) {
		t.Errorf("broken workbook: %v", err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temp files left by a broken workbook: %v", left)
	}
	// a workbook with nowhere to be spooled is this machine's problem, not the zip's
	if _, err := OpenZip(path, ZipOptions{TempDir: filepath.Join(dir, "missing")}); !errors.Is(err, ErrScratch) || !errors.Is(err, os.ErrNotExist) || fatal(err) {
		t.Errorf("no temp dir: %v", err)
	}
	if _, err := OpenZip(filepath.Join(dir, "missing.zip"), ZipOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestBadZips: each broken input fails at open with its error kind and a
// message that says what was wrong.
func TestBadZips(t *testing.T) {
	good := makeZip(t, entry{"r.csv", "Number,phoneCheck\n+41446681800,valid\n"})
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rand.IntN(256))
	}
	damaged := bytes.Clone(good)
	// the stored data starts after the 30-byte local header and the name
	copy(damaged[30+len("r.csv"):], "XXXX")
	many := make([]entry, 1001)
	for i := range many {
		many[i] = entry{"e" + strings.Repeat("x", i%7) + ".bin", ""}
	}
	cases := []struct {
		name string
		zip  []byte
		kind error
		msg  string
	}{
		{"empty file", nil, ErrNotZip, "not a readable zip"},
		{"random bytes", random, ErrNotZip, "not a readable zip"},
		{"truncated end", good[:len(good)-10], ErrNotZip, "truncated"},
		{"truncated half", good[:len(good)/2], ErrNotZip, "truncated"},
		{"damaged entry", damaged, ErrNotZip, "damaged"},
		{"parent dir", makeZip(t, entry{"../evil.csv", ""}), ErrUnsafeZip, `"../evil.csv"`},
		{"nested parent", makeZip(t, entry{"a/../../evil.csv", ""}), ErrUnsafeZip, "evil"},
		{"backslash parent", makeZip(t, entry{`a\..\..\evil.csv`, ""}), ErrUnsafeZip, "evil"},
		{"absolute", makeZip(t, entry{"/etc/evil.csv", ""}), ErrUnsafeZip, "absolute"},
		{"windows absolute", makeZip(t, entry{`C:\evil.csv`, ""}), ErrUnsafeZip, "evil"},
		{"too many entries", makeZip(t, many...), ErrZipLimit, "1001 entries"},
		{"no table file", makeZip(t, entry{"r.json", "{}"}, entry{"r.pdf", ""}), ErrNoTable, `"r.json"; "r.pdf"`},
		{"empty zip", makeZip(t), ErrNoTable, "entries: none"},
		{"missing column", makeZip(t, entry{"r.csv", "Number,Status\n+41446681800,valid\n"}), ErrNoTable, `"r.csv" has the columns [Number, Status]`},
		{"no header", makeZip(t, entry{"r.csv", "+41446681800,valid\n+41791234567,invalid\n"}), ErrNoTable, "[+41446681800, valid]"},
		{"empty entry", makeZip(t, entry{"r.csv", ""}), ErrNoTable, `"r.csv" is empty`},
		{"blank entry", makeZip(t, entry{"r.txt", "\n \r\n"}), ErrNoTable, `"r.txt" is empty`},
		{"header only", makeZip(t, entry{"r.csv", "Number,phoneCheck\n\n"}), ErrEmptyTable, "header and no rows"},
		{"unreadable xlsx", makeZip(t, entry{"r.xlsx", "PK not a workbook"}), ErrNoTable, `"r.xlsx" is not a readable XLSX`},
		{"xlsx without table", makeZip(t, entry{"r.xlsx", string(xlsxOf(t, [][]string{{"a", "b"}, {"1", "2"}}))}), ErrNoTable, `sheet "Sheet1" has the columns [a, b]`},
		{"bad verdict", makeZip(t, entry{"r.csv", "Number,phoneCheck\n+41446681800,maybe\n"}), ErrBadRow, `line 2: phoneCheck is "maybe"`},
		{"no number", makeZip(t, entry{"r.csv", "Number,phoneCheck\n ,valid\n"}), ErrBadRow, "line 2: no Number"},
		{"long line", makeZip(t, entry{"r.csv", "Number,phoneCheck," + strings.Repeat("x", 70<<10) + "\n"}), ErrZipLimit, `"r.csv" line 1: a line (or run of blank lines) longer than 65536 bytes`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := readZipBytes(tc.zip, ZipOptions{})
			if err == nil {
				_ = tab.Close()
			}
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v; want %v saying %q", err, tc.kind, tc.msg)
			}
			if err != nil && len(err.Error()) > 1200 {
				t.Errorf("message of %d bytes", len(err.Error()))
			}
		})
	}
}

// xlsxOf makes a one-sheet workbook (Sheet1) holding rows.
func xlsxOf(t testing.TB, rows [][]string) []byte {
	return xlsxSheets(t, sheet{"Sheet1", rows})
}

type sheet struct {
	name string
	rows [][]string
}

// xlsxSheets makes a workbook of the sheets, in order.
func xlsxSheets(t testing.TB, sheets ...sheet) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, sh := range sheets {
		if i == 0 {
			_ = f.SetSheetName("Sheet1", sh.name)
		} else if _, err := f.NewSheet(sh.name); err != nil {
			t.Fatal(err)
		}
		for j, r := range sh.rows {
			vals := make([]any, len(r))
			for k, v := range r {
				vals[k] = v
			}
			cell, _ := excelize.CoordinatesToCellName(1, j+1)
			if err := f.SetSheetRow(sh.name, cell, &vals); err != nil {
				t.Fatal(err)
			}
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestXLSXSheets: the table is the first sheet with the columns; sheets
// after it continue it only when their header is the same.
func TestXLSXSheets(t *testing.T) {
	b := xlsxSheets(t,
		sheet{"Summary", [][]string{{"valid", "invalid"}, {"1", "2"}}},
		sheet{"Empty", nil},
		sheet{"Data", [][]string{{"number", "PhoneCheck", "Reason"}, {"+41446681800", "valid", "VALID"}, nil, {"+41791234567", "Invalid", "TOO_SHORT"}}},
		sheet{"Notes", [][]string{{"Generated by", "x"}, {"+1", "valid"}}},
		sheet{"Data-2", [][]string{{"Number", "phoneCheck", "Reason"}, {"+16502530000", "valid", "VALID"}}},
	)
	_, got := readAll(t, makeZip(t, entry{"r.xlsx", string(b)}), ZipOptions{})
	var nums []string
	for _, r := range got {
		nums = append(nums, r.Number+" "+r.PhoneCheck+" "+r.Get("reason"))
	}
	if want := "+41446681800 valid VALID|+41791234567 invalid TOO_SHORT|+16502530000 valid VALID"; strings.Join(nums, "|") != want {
		t.Errorf("rows %q; want %q", nums, want)
	}

	b = xlsxOf(t, [][]string{{"Number", "phoneCheck"}, {"+41446681800", "valid"}, {"+41791234567", "nope"}})
	tab, err := readZipBytes(makeZip(t, entry{"r.xlsx", string(b)}), ZipOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	_, _ = tab.Next()
	if _, err := tab.Next(); !errors.Is(err, ErrBadRow) || !strings.Contains(err.Error(), `"r.xlsx" sheet "Sheet1" row 3: phoneCheck is "nope"`) {
		t.Errorf("err = %v; want the sheet and row", err)
	}
}

func TestBadRowsWhileReading(t *testing.T) {
	data := "Number,phoneCheck\n+41446681800,valid\n+41791234567,INVALID\n+41791234568,unknown\n+41791234569,valid\n"
	tab, err := readZipBytes(makeZip(t, entry{"r.csv", data}), ZipOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	var n int
	var last error
	for _, err := range tab.All() {
		if err != nil {
			last = err
			break
		}
		n++
	}
	if n != 2 || !errors.Is(last, ErrBadRow) || !strings.Contains(last.Error(), `"r.csv" line 4: phoneCheck is "unknown"`) {
		t.Errorf("%d rows, then %v; want 2 rows and a bad row at line 4", n, last)
	}
	if _, err := tab.Next(); !errors.Is(err, ErrBadRow) {
		t.Errorf("after the error: %v; want it again", err)
	}

	// An unterminated quote runs into the line limit instead of reading on.
	data = "Number,phoneCheck\n+41446681800,valid\n\"+41" + strings.Repeat("\n+41791234567,valid", 10000) + "\n"
	tab, err = readZipBytes(makeZip(t, entry{"r.csv", data}), ZipOptions{Limits: ZipLimits{MaxLineLength: 1000}})
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	if _, err := tab.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := tab.Next(); !errors.Is(err, ErrZipLimit) {
		t.Errorf("unterminated quote: %v; want ErrZipLimit", err)
	}
}

// bombZip writes a zip whose entry name holds prefix and then about size
// bytes of fill repeated, deflated to about a thousandth. It repeats one
// compressed chunk rather than compressing size bytes, so it takes no time.
// With lie, the header claims 1,000 bytes.
func bombZip(t *testing.T, name, prefix, fill string, size int64, lie bool) string {
	t.Helper()
	block := []byte(strings.Repeat(fill, (1<<20)/len(fill)))
	chunk := int64(len(block))
	var head, body, tail bytes.Buffer
	fw, _ := flate.NewWriter(&head, flate.BestCompression)
	_, _ = fw.Write([]byte(prefix))
	_ = fw.Flush() // byte-aligned, not final: more blocks may follow
	fw, _ = flate.NewWriter(&body, flate.BestCompression)
	_, _ = fw.Write(block)
	_ = fw.Flush() // back-references stay inside the chunk, so copies can follow each other
	fw, _ = flate.NewWriter(&tail, flate.BestCompression)
	_ = fw.Close() // an empty final block

	n := size / chunk
	crc := crc32.ChecksumIEEE([]byte(prefix))
	for range n {
		crc = crc32.Update(crc, crc32.IEEETable, block)
	}
	h := &zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc,
		CompressedSize64:   uint64(head.Len() + int(n)*body.Len() + tail.Len()),
		UncompressedSize64: uint64(len(prefix)) + uint64(n*chunk)}
	if lie {
		h.UncompressedSize64 = 1000
	}
	path := filepath.Join(t.TempDir(), "bomb.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	w, err := zw.CreateRaw(h)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write(head.Bytes())
	for range n {
		_, _ = w.Write(body.Bytes())
	}
	_, _ = w.Write(tail.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestZipBomb(t *testing.T) {
	const gig = 1 << 30
	header := "Number,phoneCheck\n+41446681800,valid\n"
	cases := []struct {
		name   string
		path   string
		limits ZipLimits
		atOpen bool
		msg    string
	}{
		{"newlines", bombZip(t, "r.csv", "", "\n", gig, false), ZipLimits{}, true, "blank lines) longer than 65536 bytes"},
		{"rows", bombZip(t, "r.csv", header, "+41791234567,invalid\n", gig, false), ZipLimits{MaxRatio: 5}, false, "expands more than 5 times"},
		{"newlines after rows", bombZip(t, "r.csv", header, "\n", gig, false), ZipLimits{}, false, "blank lines) longer than 65536 bytes"},
		{"zeros", bombZip(t, "r.csv", header, "\x00", gig, false), ZipLimits{}, false, "longer than 65536 bytes"},
		{"xlsx", bombZip(t, "r.xlsx", "", "\x00", gig, false), ZipLimits{}, true, "larger than the limit of 268435456 bytes"},
		// 64 MiB of zeros packs into about 64 KiB, so the ratio trips after some 6 MiB
		// are spooled, not 100 MiB: a busy disk must not decide this test.
		{"xlsx ratio", bombZip(t, "r.xlsx", "", "\x00", 64<<20, false), ZipLimits{}, true, "expands more than 100 times"},
		{"declared size", bombZip(t, "r.csv", header, "\n", 64<<20, false), ZipLimits{MaxTotalSize: 1 << 20}, true, "would expand to"},
		{"lying header", bombZip(t, "r.csv", header, "\n", gig, true), ZipLimits{}, false, "damaged or truncated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if fi, _ := os.Stat(tc.path); fi.Size() > 4<<20 {
				t.Fatalf("bomb of %d bytes; want a small one", fi.Size())
			}
			start := time.Now()
			tab, err := OpenZip(tc.path, ZipOptions{Limits: tc.limits})
			if tc.atOpen != (err != nil) {
				t.Fatalf("open: %v; want an error at open: %v", err, tc.atOpen)
			}
			if err == nil {
				for _, err = range tab.All() {
					if err != nil {
						break
					}
				}
				_ = tab.Close()
			}
			if !errors.Is(err, ErrZipLimit) && !errors.Is(err, ErrNotZip) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("err = %v; want a limit saying %q", err, tc.msg)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v", d)
			}
			t.Logf("stopped after %v: %v", time.Since(start).Round(time.Millisecond), err)
		})
	}
}

// TestTotalSize: the budget holds across entries (each one is under it).
func TestTotalSize(t *testing.T) {
	big := strings.Repeat("x", 6<<20)
	b := makeZip(t, entry{"a.xlsx", big}, entry{"b.xlsx", big}, entry{"c.csv", "Number,phoneCheck\n+1,valid\n"})
	_, err := readZipBytes(b, ZipOptions{Limits: ZipLimits{MaxTotalSize: 10 << 20, MaxRatio: 1 << 20}})
	if !errors.Is(err, ErrZipLimit) || !strings.Contains(err.Error(), "more than 10485760 bytes uncompressed") {
		t.Errorf("err = %v; want the total size limit", err)
	}
	if _, err := readZipBytes(b, ZipOptions{Limits: ZipLimits{MaxTotalSize: 10 << 20, MaxXLSXSize: 1 << 20, MaxRatio: 1 << 20}}); !errors.Is(err, ErrZipLimit) ||
		!strings.Contains(err.Error(), "larger than the limit of 1048576") {
		t.Errorf("err = %v; want the XLSX size limit", err)
	}
}

func TestTooManyEntriesLimit(t *testing.T) {
	b := makeZip(t, entry{"a.csv", "Number,phoneCheck\n+1,valid\n"}, entry{"b.txt", ""}, entry{"c.txt", ""})
	if _, err := readZipBytes(b, ZipOptions{Limits: ZipLimits{MaxEntries: 2}}); !errors.Is(err, ErrZipLimit) {
		t.Errorf("err = %v; want ErrZipLimit", err)
	}
	if tab, err := readZipBytes(b, ZipOptions{Limits: ZipLimits{MaxEntries: 3}}); err != nil {
		t.Errorf("at the limit: %v", err)
	} else {
		_ = tab.Close()
	}
}
