package xlsx

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"

	"github.com/phonecheck/phonecheck/internal/corpus"
)

// readSheet reads every row, value and kind of the first sheet, with or
// without the fast path, and the counts the rows keep.
func readSheet(data []byte, lim Limits, fast bool) ([]string, error) {
	defer func(old bool) { fastRows = old }(fastRows)
	fastRows = fast
	w, err := Open(bytes.NewReader(data), int64(len(data)), lim)
	if err != nil {
		return nil, err
	}
	rows, err := w.Rows(0)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		out = append(out, fmt.Sprintf("%d %q %v", rows.Row(), rows.Values(), rows.Kinds()))
	}
	out = append(out, fmt.Sprintf("merged %q nocache %d dim %q", rows.Merged(), rows.FormulasWithoutValue(), rows.Dimension()))
	return out, rows.Err()
}

// FuzzSheet reads fuzzed sheet and shared-strings XML in a well-formed
// package, and fuzzed bytes as a whole file: never a panic or a hang, always
// rows or an error; a value never exceeds the cell limit.
func FuzzSheet(f *testing.F) {
	f.Add([]byte(sheetHead+`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>4.1E10</v></c></row>`+sheetTail),
		[]byte(`<sst><si><t>a</t></si></sst>`), false)
	f.Add([]byte(sheetHead+`<row><c t="inlineStr"><is><r><t>x_x0041_</t></r><rPh><t>y</t></rPh></is></c><c t="b"><v>1</v></c></row>`+sheetTail),
		[]byte(`<sst><si><r><t>&#x41;</t></r></si><si/></sst>`), false)
	f.Add([]byte(`<x:worksheet><x:sheetData><x:row r="7"><x:c r="XFD7" s="1"><x:v><![CDATA[1]]></x:v></x:c></x:row></x:sheetData><!-- c --></x:worksheet>`),
		[]byte(``), false)
	f.Add([]byte("PK\x03\x04"), []byte(nil), true)
	f.Fuzz(func(t *testing.T, sheet, sst []byte, whole bool) {
		var data []byte
		if whole {
			data = sheet
		} else {
			data = book(t, map[string]string{
				"xl/worksheets/sheet1.xml": string(sheet),
				"xl/sharedStrings.xml":     string(sst),
				"xl/styles.xml":            `<styleSheet><numFmts><numFmt numFmtId="164" formatCode="00000"/></numFmts><cellXfs><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="14"/></cellXfs></styleSheet>`,
			})
		}
		lim := Limits{Cell: 4096, Columns: 200}
		fast, fastErr := readSheet(data, lim, true)
		slow, slowErr := readSheet(data, lim, false)
		if !reflect.DeepEqual(fast, slow) || (fastErr == nil) != (slowErr == nil) {
			t.Fatalf("fast path %v %v\ntokenizer %v %v", fast, fastErr, slow, slowErr)
		}
		w, err := Open(bytes.NewReader(data), int64(len(data)), lim)
		if err != nil {
			return
		}
		rows, err := w.Rows(0)
		if err != nil {
			return
		}
		defer rows.Close()
		for n := 0; rows.Next(); n++ {
			v := rows.Values()
			if len(v) > lim.Columns || len(rows.Kinds()) != len(v) {
				t.Fatalf("row %d: %d values, %d kinds", rows.Row(), len(v), len(rows.Kinds()))
			}
			for _, s := range v {
				if len(s) > lim.Cell+64 {
					t.Fatalf("a value of %d bytes", len(s))
				}
			}
			if n > len(data) {
				t.Fatal("more rows than bytes")
			}
		}
	})
}

// TestFastPathAgrees reads a contact export as Excel stores it, and a
// LibreOffice-shaped sheet, with the fast path and with the tokenizer alone.
func TestFastPathAgrees(t *testing.T) {
	var b bytes.Buffer
	if err := corpus.New(7).WriteXLSX(&b, 3000); err != nil {
		t.Fatal(err)
	}
	lo := book(t, map[string]string{"xl/worksheets/sheet1.xml": sheetHead +
		`<row r="1" customFormat="false" ht="12.8" hidden="false"><c r="A1" s="0" t="n"><f aca="false">1+1</f><v>2</v></c><c r="B1" s="0" t="inlineStr"><is><t xml:space="preserve"> a &amp; b </t></is></c><c r="C1" s="0"/></row>` +
		`<row r="2"><c r="A2" t="s"><v> 0 </v></c><c r="B2"><f t="shared" si="0"/><v>7</v></c><c r="C2"><f>X</f></c></row>` + sheetTail,
		"xl/sharedStrings.xml": `<sst><si><t>s</t></si></sst>`})
	for name, data := range map[string][]byte{"excel": b.Bytes(), "libreoffice": lo} {
		fast, ferr := readSheet(data, Limits{}, true)
		slow, serr := readSheet(data, Limits{}, false)
		if ferr != nil || serr != nil || !reflect.DeepEqual(fast, slow) {
			t.Errorf("%s: fast path and tokenizer differ (%v, %v)", name, ferr, serr)
		}
	}
}
