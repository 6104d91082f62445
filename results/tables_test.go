package results

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/phonecheck/phonecheck/internal/xlsx"
	"github.com/phonecheck/phonecheck/phone"
)

func tableRows() []TableRow {
	a := phone.Check("044 668 18 00", 2, "CH")
	b := phone.Check("n/a", 3, "CH")
	c := phone.Check("+41 79 123 45 67", 3, "CH")
	return []TableRow{
		{Values: []string{"Zoë", "a;b, \"c\"", "044 668 18 00"}, Results: []phone.Result{a}, Details: []string{""}},
		{Values: []string{" lead", "x\ny"}, Results: []phone.Result{b}, Details: []string{"row has 2 of 3 columns"}},
		{Values: []string{"Ben", "", "+41 79 123 45 67", "extra"}, Results: []phone.Result{c}, Details: []string{""}},
	}
}

func writeTable(t *testing.T, f Format, l Layout, rows []TableRow) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewTableWriter(f, &buf, l)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if err := w.WriteRow(&rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// wantRecords are the rows as every format must hold them, as text.
func wantRecords(l Layout, rows []TableRow) [][]string {
	out := [][]string{l.Header()}
	for i := range rows {
		var rec []string
		l.cells(&rows[i], func(_ int, s string) { rec = append(rec, s) })
		out = append(out, rec)
	}
	return out
}

func TestLayoutHeader(t *testing.T) {
	one := Layout{Columns: []string{"name", "phone"}, Phone: []string{"phone"}}
	if h := one.Header(); len(h) != 2+GroupWidth || h[2] != "Number" || h[len(h)-1] != "ReasonDetail" {
		t.Errorf("one phone column: %q", h)
	}
	two := Layout{Columns: []string{"mobile", "work"}, Phone: []string{"mobile", "work"}}
	if h := two.Header(); len(h) != 2+2*GroupWidth || h[2] != "mobile Number" || h[2+GroupWidth] != "work Number" {
		t.Errorf("two phone columns: %q", h)
	}
	clash := Layout{Columns: []string{"Number", "Region"}, Phone: []string{"Number"}}
	if h := clash.Header(); h[2] != "Number Number" || h[3] != "Number phoneCheck" {
		t.Errorf("a column named like a result column: %q", h)
	}
}

func TestTableCSV(t *testing.T) {
	rows := tableRows()
	for _, l := range []Layout{
		{Columns: []string{"name", "note", "phone"}, Phone: []string{"phone"}},
		{Columns: []string{"name", "note", "phone"}, Phone: []string{"phone"}, Delimiter: ';', BOM: true},
		{Columns: []string{"name", "note", "phone"}, Phone: []string{"phone"}, Delimiter: '\t'},
	} {
		data := writeTable(t, CSV, l, rows)
		if l.BOM != bytes.HasPrefix(data, []byte("\uFEFF")) {
			t.Errorf("BOM %v: %q", l.BOM, data[:8])
		}
		cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\uFEFF"))))
		if l.Delimiter != 0 {
			cr.Comma = rune(l.Delimiter)
		}
		got, err := cr.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if want := wantRecords(l, rows); !reflect.DeepEqual(got, want) {
			t.Errorf("delimiter %q:\n got %q\nwant %q", l.Delimiter, got, want)
		}
	}
}

func TestTableReaderRoundTrip(t *testing.T) {
	rows := tableRows()
	l := Layout{Columns: []string{"name", "note", "phone"}, Phone: []string{"phone"}}
	data := writeTable(t, CSV, l, rows)
	tr, err := NewTableReader(bytes.NewReader(data), "t.csv", 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tr.Header(), l.Header()) {
		t.Errorf("header %q", tr.Header())
	}
	var back []TableRow
	for {
		var r TableRow
		err := tr.Read(&r)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		back = append(back, TableRow{Values: r.Values, Results: append([]phone.Result(nil), r.Results...), Details: append([]string(nil), r.Details...)})
	}
	// The writer pads and cuts to the columns; the rest reads back exactly.
	rows[1].Values = append(rows[1].Values, "")
	rows[2].Values = rows[2].Values[:3]
	if !reflect.DeepEqual(back, rows) {
		t.Errorf("read back\n got %+v\nwant %+v", back, rows)
	}
	if _, err := NewTableReader(bytes.NewReader(data), "t.csv", 4, 1); err == nil {
		t.Error("a header of the wrong width was accepted")
	}
}

func TestTableJSONL(t *testing.T) {
	rows := tableRows()
	l := Layout{Columns: []string{"name", "", "name"}, Phone: []string{"name"}}
	data := writeTable(t, JSONL, l, rows)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != len(rows) {
		t.Fatalf("%d lines", len(lines))
	}
	var obj map[string]any
	dec := json.NewDecoder(strings.NewReader(lines[0]))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		t.Fatal(err)
	}
	if obj["name"] != "Zoë" || obj["Column B"] != "a;b, \"c\"" || obj["Column C"] != "044 668 18 00" ||
		obj["Line"] != json.Number("2") || obj["phoneCheck"] != "valid" {
		t.Errorf("object %v", obj)
	}
	if !strings.HasPrefix(lines[0], `{"name":"Zoë","Column B":`) {
		t.Errorf("keys out of order: %s", lines[0])
	}
}

// TestTableXLSX reads the workbook back with the input reader: every cell
// as text, the header bold in row 1.
func TestTableXLSX(t *testing.T) {
	rows := tableRows()
	l := Layout{Columns: []string{"name", "note", "phone"}, Phone: []string{"phone"}}
	data := writeTable(t, XLSX, l, rows)
	w, err := xlsx.Open(bytes.NewReader(data), int64(len(data)), xlsx.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := w.Rows(0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got [][]string
	for r.Next() {
		v := append([]string(nil), r.Values()...)
		for len(v) < len(l.Header()) {
			v = append(v, "")
		}
		for _, k := range r.Kinds() {
			if k != xlsx.Empty && k != xlsx.Text {
				t.Errorf("row %d: a cell of kind %v, want text", r.Row(), k)
			}
		}
		got = append(got, v)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if want := wantRecords(l, rows); !reflect.DeepEqual(got, want) {
		t.Errorf("\n got %q\nwant %q", got, want)
	}
}
