package xlsx

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// book builds a workbook zip from parts; missing standard parts get
// defaults, and a part given as "" is left out.
func book(t testing.TB, parts map[string]string) []byte {
	t.Helper()
	defaults := map[string]string{
		"[Content_Types].xml": `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
		"_rels/.rels": `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml": `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>` +
			`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`,
	}
	for k, v := range parts {
		defaults[k] = v
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(defaults))
	for k := range defaults {
		names = append(names, k)
	}
	// mimetype first, as ODF wants it
	for i, n := range names {
		if n == "mimetype" {
			names[0], names[i] = names[i], names[0]
		}
	}
	for _, name := range names {
		body := defaults[name]
		if body == "" {
			continue
		}
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const sheetHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
	`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`
const sheetTail = `</sheetData></worksheet>`

type row struct {
	n      int
	values []string
}

// readAll reads every row of the first sheet.
func readAll(t testing.TB, data []byte, sheet string) ([]row, *Rows, error) {
	t.Helper()
	w, err := Open(bytes.NewReader(data), int64(len(data)), Limits{})
	if err != nil {
		return nil, nil, err
	}
	i, err := w.SheetIndex(sheet)
	if err != nil {
		return nil, nil, err
	}
	rows, err := w.Rows(i)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []row
	for rows.Next() {
		out = append(out, row{rows.Row(), append([]string(nil), rows.Values()...)})
	}
	return out, rows, rows.Err()
}

func TestCellValues(t *testing.T) {
	styles := `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
		`<numFmts count="3"><numFmt numFmtId="164" formatCode="0000000000"/><numFmt numFmtId="165" formatCode="&quot;+&quot;0"/>` +
		`<numFmt numFmtId="166" formatCode="yyyy\-mm\-dd\ hh:mm"/></numFmts>` +
		`<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>` +
		`<cellXfs count="6"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="14"/><xf numFmtId="165"/><xf numFmtId="166"/><xf numFmtId="4"/></cellXfs></styleSheet>`
	shared := `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4" uniqueCount="4">` +
		`<si><t>phone</t></si><si><t xml:space="preserve"> a &amp; b </t></si>` +
		`<si><r><rPr><b/></rPr><t>rich</t></r><r><t>text</t></r><rPh sb="0" eb="1"><t>ignored</t></rPh></si>` +
		`<si><t>line_x000D_break_x005F_x0041_</t></si><si/></sst>`
	sheet := sheetHead +
		`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c></row>` +
		`<row r="2"><c r="A2"><v>41446681800</v></c><c r="B2"><v>4.14466818E10</v></c><c r="C2"><v>41446681800.0</v></c><c r="D2"><v>1.5E-3</v></c><c r="E2"><v>-0</v></c></row>` +
		`<row r="3"><c r="A3" s="1"><v>446681800</v></c><c r="B3" s="2"><v>45356</v></c><c r="C3" s="3"><v>41446681800</v></c><c r="D3" s="4"><v>45356.5729166667</v></c><c r="E3" s="5"><v>1234.5</v></c></row>` +
		`<row r="5"><c r="B5" t="inlineStr"><is><t>+41 44 668 18 00</t></is></c><c t="b"><v>1</v></c><c t="e"><v>#N/A</v></c><c t="str"><f>A1&amp;"x"</f><v>phonex</v></c></row>` +
		`<row r="6"><c r="A6"><f>1+1</f></c><c r="C6" t="inlineStr"><is><r><t>in</t></r><r><t>line</t></r></is></c><c r="D6"/><c r="E6" t="s"><v>4</v></c></row>` +
		`<row r="7"/>` +
		`<row><c><v>1</v></c><c><v><![CDATA[2]]></v></c><c t="inlineStr"><is><t><![CDATA[a<b&c]]></t></is></c><!-- a comment --><c t="inlineStr"><is><t>&#x1F600;&#65;</t></is></c></row>` +
		sheetTail
	data := book(t, map[string]string{"xl/worksheets/sheet1.xml": sheet, "xl/sharedStrings.xml": shared, "xl/styles.xml": styles})
	got, rows, err := readAll(t, data, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []row{
		{1, []string{"phone", " a & b ", "richtext", "line\rbreak_x0041_"}},
		{2, []string{"41446681800", "41446681800", "41446681800", "0.0015", "0"}},
		{3, []string{"0446681800", "2024-03-05", "+41446681800", "2024-03-05 13:45:00", "1234.5"}},
		{5, []string{"", "+41 44 668 18 00", "TRUE", "#N/A", "phonex"}},
		{6, []string{"", "", "inline"}},
		{8, []string{"1", "2", "a<b&c", "😀A"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows:\n got %v\nwant %v", got, want)
	}
	if rows.FormulasWithoutValue() != 1 {
		t.Errorf("formulas without value = %d, want 1", rows.FormulasWithoutValue())
	}
}

func TestKinds(t *testing.T) {
	sheet := sheetHead + `<row r="1"><c t="inlineStr"><is><t>x</t></is></c><c><v>12</v></c><c t="b"><v>0</v></c><c t="e"><v>#DIV/0!</v></c></row>` + sheetTail
	data := book(t, map[string]string{"xl/worksheets/sheet1.xml": sheet, "xl/sharedStrings.xml": ""})
	w, err := Open(bytes.NewReader(data), int64(len(data)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := w.Rows(0)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if !rows.Next() {
		t.Fatal(rows.Err())
	}
	if got, want := rows.Kinds(), []Kind{Text, Number, Bool, Error}; !reflect.DeepEqual(got, want) {
		t.Errorf("kinds %v, want %v", got, want)
	}
	if got := rows.Values(); got[2] != "FALSE" {
		t.Errorf("bool %q", got[2])
	}
}

func TestPrefixedNamespaceAndMerged(t *testing.T) {
	// The Open XML SDK writes prefixed elements.
	sheet := `<?xml version="1.0"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
		`<x:dimension ref="A1:B2"/><x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>a</x:t></x:is></x:c></x:row>` +
		`<x:row r="2"><x:c r="B2"><x:v>7</x:v></x:c></x:row></x:sheetData><x:mergeCells count="1"><x:mergeCell ref="A1:B1"/></x:mergeCells></x:worksheet>`
	data := book(t, map[string]string{"xl/worksheets/sheet1.xml": sheet})
	got, rows, err := readAll(t, data, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := []row{{1, []string{"a"}}, {2, []string{"", "7"}}}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if !reflect.DeepEqual(rows.Merged(), []string{"A1:B1"}) || rows.Dimension() != "A1:B2" {
		t.Errorf("merged %q dimension %q", rows.Merged(), rows.Dimension())
	}
}

func TestSheets(t *testing.T) {
	wb := `<workbook xmlns:r="r"><workbookPr date1904="1"/><sheets><sheet name="Hidden" sheetId="1" state="hidden" r:id="rId1"/>` +
		`<sheet name="Chart" sheetId="3" r:id="rId9"/><sheet name="Contacts" sheetId="2" r:id="rId4"/></sheets></workbook>`
	rels := `<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/>` +
		`<Relationship Id="rId9" Type="x/chartsheet" Target="chartsheets/sheet1.xml"/>` +
		`<Relationship Id="rId4" Type="x/worksheet" Target="/xl/worksheets/sheet2.xml"/></Relationships>`
	data := book(t, map[string]string{
		"xl/workbook.xml": wb, "xl/_rels/workbook.xml.rels": rels,
		"xl/worksheets/sheet1.xml": sheetHead + `<row r="1"><c t="inlineStr"><is><t>hidden</t></is></c></row>` + sheetTail,
		"xl/worksheets/sheet2.xml": sheetHead + `<row r="1"><c t="inlineStr"><is><t>shown</t></is></c></row>` + sheetTail,
	})
	w, err := Open(bytes.NewReader(data), int64(len(data)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if s := w.Sheets(); len(s) != 2 || s[0].Name != "Hidden" || !s[0].Hidden || s[1].Name != "Contacts" {
		t.Fatalf("sheets %+v", s)
	}
	for _, tc := range []struct{ name, want string }{{"", "shown"}, {"contacts", "shown"}, {"Hidden", "hidden"}, {"1", "hidden"}} {
		got, _, err := readAll(t, data, tc.name)
		if err != nil || len(got) != 1 || got[0].values[0] != tc.want {
			t.Errorf("sheet %q: %v %v, want %q", tc.name, got, err, tc.want)
		}
	}
	if _, _, err := readAll(t, data, "Nope"); !errors.Is(err, ErrNoSheet) || !strings.Contains(err.Error(), `"Hidden", "Contacts"`) {
		t.Errorf("missing sheet: %v", err)
	}
	if !w.date1904 {
		t.Error("date1904 not read")
	}
}

func TestNotAWorkbook(t *testing.T) {
	for _, tc := range []struct {
		name  string
		parts map[string]string
		want  string
	}{
		{"ods", map[string]string{"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "_rels/.rels": "", "xl/workbook.xml": "", "xl/_rels/workbook.xml.rels": ""}, ".ods"},
		{"docx", map[string]string{"_rels/.rels": `<Relationships><Relationship Id="1" Type="x/officeDocument" Target="word/document.xml"/></Relationships>`, "word/document.xml": "<w/>", "xl/workbook.xml": "", "xl/_rels/workbook.xml.rels": ""}, "Word"},
		{"xlsb", map[string]string{"_rels/.rels": `<Relationships><Relationship Id="1" Type="x/officeDocument" Target="xl/workbook.bin"/></Relationships>`, "xl/workbook.xml": ""}, ".xlsb"},
		{"zip", map[string]string{"_rels/.rels": "", "xl/workbook.xml": "", "xl/_rels/workbook.xml.rels": "", "readme.txt": "hi"}, "zip archive"},
	} {
		data := book(t, tc.parts)
		_, err := Open(bytes.NewReader(data), int64(len(data)), Limits{})
		if !errors.Is(err, ErrNotWorkbook) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrNotWorkbook naming %q", tc.name, err, tc.want)
		}
	}
	if _, err := Open(bytes.NewReader([]byte("PK\x03\x04junk")), 8, Limits{}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("junk zip: %v", err)
	}
}

func TestDamagedSheets(t *testing.T) {
	for _, tc := range []struct {
		name, sheet string
		lim         Limits
		want        error
	}{
		{"truncated", sheetHead + `<row r="1"><c><v>1</v></c><c t="inlineStr"><is><t>abc`, Limits{}, ErrCorrupt},
		{"bad shared index", sheetHead + `<row r="1"><c t="s"><v>99</v></c></row>` + sheetTail, Limits{}, ErrCorrupt},
		{"cell too long", sheetHead + `<row r="1"><c t="inlineStr"><is><t>` + strings.Repeat("x", 5000) + `</t></is></c></row>` + sheetTail, Limits{Cell: 1000}, ErrTooLarge},
		{"too many columns", sheetHead + `<row r="1"><c r="ZZ1"><v>1</v></c></row>` + sheetTail, Limits{Columns: 100}, ErrTooLarge},
		{"part too large", sheetHead + strings.Repeat(`<row><c><v>1</v></c></row>`, 2000) + sheetTail, Limits{Part: 10000}, ErrTooLarge},
	} {
		data := book(t, map[string]string{"xl/worksheets/sheet1.xml": tc.sheet, "xl/sharedStrings.xml": ""})
		w, err := Open(bytes.NewReader(data), int64(len(data)), tc.lim)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := w.Rows(0)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
		}
		rows.Close()
		if !errors.Is(rows.Err(), tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, rows.Err(), tc.want)
		}
	}
}

func TestDecimalText(t *testing.T) {
	for in, want := range map[string]string{
		"41446681800": "41446681800", "4.14466818E10": "41446681800", "4.14466818e+10": "41446681800",
		"41446681800.0": "41446681800", "0.5": "0.5", ".5": "0.5", "1.5E-3": "0.0015", "-1.5E-3": "-0.0015",
		"-0": "0", "007": "7", "1E2": "100", "1.2345678901234567E+19": "12345678901234567000",
		"3.0000000000000004": "3.0000000000000004", " 12 ": "12", "+5": "5",
	} {
		if got, ok := decimalText([]byte(in)); !ok || got != want {
			t.Errorf("decimalText(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "abc", "1e", "1E999", "NaN", "1.2.3", "1x"} {
		if got, ok := decimalText([]byte(in)); ok {
			t.Errorf("decimalText(%q) = %q, want not a number", in, got)
		}
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		id   int
		code string
		want cellStyle
	}{
		{0, "General", cellStyle{}},
		{2, "0.00", cellStyle{}},
		{3, "#,##0", cellStyle{}},
		{10, "0.00%", cellStyle{}},
		{11, "0.00E+00", cellStyle{}},
		{164, "0000000000", cellStyle{kind: fmtPadded, zeros: 10}},
		{164, `"+"0`, cellStyle{kind: fmtPadded, zeros: 1, prefix: "+"}},
		{1, "0", cellStyle{}},
		{164, `"+"00000000000`, cellStyle{kind: fmtPadded, zeros: 11, prefix: "+"}},
		{164, `\+00000;[Red]-0`, cellStyle{kind: fmtPadded, zeros: 5, prefix: "+"}},
		{164, `000 000 00 00`, cellStyle{}},
		{14, "mm-dd-yy", cellStyle{kind: fmtDate, hasDate: true}},
		{20, "h:mm", cellStyle{kind: fmtDate, hasTime: true}},
		{22, "m/d/yy h:mm", cellStyle{kind: fmtDate, hasDate: true, hasTime: true}},
		{46, "[h]:mm:ss", cellStyle{kind: fmtDate, hasTime: true}},
		{164, `[$-409]d\-mmm\-yyyy;@`, cellStyle{kind: fmtDate, hasDate: true}},
		{31, "", cellStyle{kind: fmtDate, hasDate: true}},
		{164, `"Tel: "@`, cellStyle{}},
	} {
		if got := classify(tc.id, tc.code); got != tc.want {
			t.Errorf("classify(%d, %q) = %+v, want %+v", tc.id, tc.code, got, tc.want)
		}
	}
}

func TestDates(t *testing.T) {
	date := cellStyle{kind: fmtDate, hasDate: true}
	both := cellStyle{kind: fmtDate, hasDate: true, hasTime: true}
	timeOnly := cellStyle{kind: fmtDate, hasTime: true}
	for _, tc := range []struct {
		st   cellStyle
		num  string
		d04  bool
		want string
	}{
		{date, "1", false, "1900-01-01"}, {date, "59", false, "1900-02-28"}, {date, "60", false, "1900-02-29"},
		{date, "61", false, "1900-03-01"}, {date, "45356", false, "2024-03-05"}, {date, "0", true, "1904-01-01"},
		{both, "45356.5729166667", false, "2024-03-05 13:45:00"}, {timeOnly, "0.5", false, "12:00:00"},
		{both, "45356.99999999", false, "2024-03-06 00:00:00"},
	} {
		if got, ok := tc.st.dateText(tc.num, tc.d04); !ok || got != tc.want {
			t.Errorf("dateText(%q, %v) = %q, %v; want %q", tc.num, tc.d04, got, ok, tc.want)
		}
	}
	if _, ok := date.dateText("-1", false); ok {
		t.Error("negative serial accepted")
	}
}

func TestXString(t *testing.T) {
	for in, want := range map[string]string{
		"plain": "plain", "_x000D_": "\r", "a_x005F_x0041_b": "a_x0041_b", "_x0041__x0042_": "AB",
		"_xD83D__xDE00_": "😀", "_xD83D_": "\uFFFD", "_x12": "_x12", "_xZZZZ_": "_xZZZZ_",
	} {
		if got := string(appendXString(nil, []byte(in))); got != want {
			t.Errorf("appendXString(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScannerAcrossBuffers(t *testing.T) {
	// Tokens straddling buffer ends, long texts and CDATA: the rows read from a
	// sheet far larger than the buffer are exact.
	var b strings.Builder
	b.WriteString(sheetHead)
	var want []row
	for i := 1; i <= 3000; i++ {
		v := fmt.Sprintf("v%d&amp;%s", i, strings.Repeat("y", i%700))
		b.WriteString(fmt.Sprintf(`<row r="%d"><c r="A%d" t="inlineStr"><is><t>%s</t></is></c><!-- %s --><c t="inlineStr"><is><t><![CDATA[%d]]></t></is></c></row>`, i, i, v, strings.Repeat("-", i%300), i))
		want = append(want, row{i, []string{strings.ReplaceAll(v, "&amp;", "&"), fmt.Sprint(i)}})
	}
	b.WriteString(sheetTail)
	data := book(t, map[string]string{"xl/worksheets/sheet1.xml": b.String()})
	got, _, err := readAll(t, data, "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %d rows, want %d; first diff at %d", len(got), len(want), firstDiff(got, want))
	}
}

func firstDiff(a, b []row) int {
	for i := range min(len(a), len(b)) {
		if !reflect.DeepEqual(a[i], b[i]) {
			return i
		}
	}
	return min(len(a), len(b))
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
