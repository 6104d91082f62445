package input

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

func decodeAll(t *testing.T, in []byte) (string, string) {
	t.Helper()
	d := NewDecoder(bytes.NewReader(in))
	out, err := io.ReadAll(d)
	if err != nil {
		t.Fatal(err)
	}
	return string(out), d.Encoding()
}

func encodeUTF16(t *testing.T, s string, e unicode.Endianness, bom unicode.BOMPolicy) []byte {
	t.Helper()
	b, err := unicode.UTF16(e, bom).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecoder(t *testing.T) {
	text := "name;phone\nZoë Müller;+41 44 668 18 00\n"
	w1252, _ := charmap.Windows1252.NewEncoder().Bytes([]byte(text))
	long := strings.Repeat("+41 44 668 18 00\n", 10000) // the first non-ASCII byte far in
	for _, tc := range []struct {
		name     string
		in       []byte
		want     string
		encoding string
	}{
		{"ascii", []byte("+41 44 668 18 00\n"), "+41 44 668 18 00\n", UTF8},
		{"utf-8", []byte(text), text, UTF8},
		{"utf-8 with BOM, kept", []byte("\uFEFF" + text), "\uFEFF" + text, UTF8BOM},
		{"utf-16le", encodeUTF16(t, text, unicode.LittleEndian, unicode.UseBOM), text, UTF16LE},
		{"utf-16be", encodeUTF16(t, text, unicode.BigEndian, unicode.UseBOM), text, UTF16BE},
		{"utf-16le without BOM", encodeUTF16(t, text, unicode.LittleEndian, unicode.IgnoreBOM), text, UTF16LE},
		{"windows-1252", w1252, text, Windows1252},
		{"windows-1252 late", append([]byte(long), w1252...), long + text, Windows1252},
		{"utf-8 with a damaged byte stays utf-8", []byte("Zoë \xff"), "Zoë \xff", UTF8},
		{"euro sign", []byte("\x80 5\n"), "€ 5\n", Windows1252},
	} {
		got, enc := decodeAll(t, tc.in)
		if got != tc.want || enc != tc.encoding {
			t.Errorf("%s: got %q (%s), want %q (%s)", tc.name, shorten(got), enc, shorten(tc.want), tc.encoding)
		}
	}
}

func shorten(s string) string {
	if len(s) > 80 {
		return s[:40] + "…" + s[len(s)-40:]
	}
	return s
}

// records reads every record with a recordReader, as encoding/csv reports
// them: blank lines dropped, and the line each record starts on.
func records(in string, comma byte) ([][]string, []int, error) {
	rr := newRecordReader(bufio.NewReaderSize(strings.NewReader(in), 16), comma, 1<<20)
	var out [][]string
	var lines []int
	for {
		text, ends, line, err := rr.read(nil, nil)
		if err == io.EOF {
			return out, lines, nil
		}
		if err != nil {
			return out, lines, err
		}
		var rec []string
		start := 0
		for _, e := range ends {
			rec = append(rec, string(text[start:e]))
			start = e
		}
		if len(rec) == 1 && rec[0] == "" {
			continue
		}
		out = append(out, rec)
		lines = append(lines, line)
	}
}

func stdlibRecords(in string, comma byte) ([][]string, []int, error) {
	cr := csv.NewReader(strings.NewReader(in))
	cr.Comma, cr.LazyQuotes, cr.FieldsPerRecord = rune(comma), true, -1
	var out [][]string
	var lines []int
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, lines, nil
		}
		if err != nil {
			return out, lines, err
		}
		if len(rec) == 1 && rec[0] == "" {
			continue
		}
		line, _ := cr.FieldPos(0)
		out = append(out, rec)
		lines = append(lines, line)
	}
}

func TestRecordReader(t *testing.T) {
	for _, in := range []string{
		"a,b,c\n1,2,3\n",
		"a,b\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n",
		"\"two\nlines\",b\nc,d",
		"\"two\r\nlines\",b\r\n",
		"a,\"b\"c,d\n",
		"a\"b,c\n",
		"\n\n,\n a , b \n",
		"\"unclosed,a\nb\n",
		"x,,\n,,\n",
	} {
		got, gl, err := records(in, ',')
		want, wl, werr := stdlibRecords(in, ',')
		if err != nil || werr != nil || !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gl, wl) {
			t.Errorf("%q:\n got %q %v %v\nwant %q %v %v", in, got, gl, err, want, wl, werr)
		}
	}
}

func TestRecordTooLong(t *testing.T) {
	in := "a,b\n\"open," + strings.Repeat("x\n", 1000)
	rr := newRecordReader(bufio.NewReader(strings.NewReader(in)), ',', 500)
	rr.read(nil, nil)
	if _, _, _, err := rr.read(nil, nil); !errors.Is(err, ErrRecordTooLong) || !strings.Contains(err.Error(), "quote") {
		t.Errorf("err = %v", err)
	}
}

// FuzzRecordReader holds the record reader to encoding/csv with
// LazyQuotes: the same fields and lines, or both an error.
func FuzzRecordReader(f *testing.F) {
	for _, s := range []string{"a,b\n", "\"a\"\"b\",c\r\n", "\"x\ny\",z", "a\"b\n", " \"a\",b\n", "a;b;c\n1;2;3"} {
		f.Add(s, byte(','))
	}
	f.Add("a\tb\n1\t2\n", byte('\t'))
	f.Fuzz(func(t *testing.T, in string, comma byte) {
		if comma != ',' && comma != ';' && comma != '\t' && comma != '|' {
			comma = ','
		}
		// encoding/csv reads \r alone as a line end in places; real
		// exports end lines with \n or \r\n, which is what is compared.
		in = strings.ReplaceAll(strings.ReplaceAll(in, "\r\n", "\n"), "\r", "")
		got, gl, err := records(in, comma)
		want, wl, werr := stdlibRecords(in, comma)
		if (err != nil) != (werr != nil) {
			t.Fatalf("%q: err %v, encoding/csv %v", in, err, werr)
		}
		if werr == nil && (!reflect.DeepEqual(got, want) || !reflect.DeepEqual(gl, wl)) {
			t.Fatalf("%q:\n got %q %v\nwant %q %v", in, got, gl, want, wl)
		}
	})
}

func TestSniff(t *testing.T) {
	numbers, err := os.ReadFile("../../testdata/numbers-ch.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		in   string
		want byte
	}{
		{"numbers", string(numbers), 0},
		{"comma", "name,email,phone\nAnna,a@x.ch,044 668 18 00\nBen,b@x.ch,+41 79 123 45 67\n", ','},
		{"semicolon", "Name;Telefon\nMüller;044 668 18 00\n\"Meier; Hans\";079 123 45 67\n", ';'},
		{"tab", "a\tb\tc\n1\t2\t3\n", '\t'},
		{"pipe", "a|b\n1|2\n", '|'},
		{"quoted commas in a semicolon file", "\"a,b\";c\n\"1,2,3\";4\n\"x\";y\n", ';'},
		{"a few commas among numbers", "+41 44 668 18 00\n079 123 45 67, ext 2\n044 668 18 01\n044 668 18 02\n044 668 18 03\n044 668 18 04\n044 668 18 05\n044 668 18 06\n044 668 18 07\n044 668 18 08\n", 0},
		{"excel sep line", "sep=;\na;b\n1;2\n", ';'},
		{"one column", "phone\n+41446681800\n", 0},
	} {
		if got, _ := sniffDelimiter([]byte(tc.in), true); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestNameRank(t *testing.T) {
	for name, want := range map[string]int{
		"phone": 3, "Phone Number": 3, "phoneNumber": 3, "MOBILE": 3, "Téléphone": 3, "Telefonnummer": 3, "Handy": 3,
		"Teléfono": 3, "Móvil": 3, "Cellulare": 3, "Telemóvel": 3, "WhatsApp": 3, "msisdn": 3, "tel.": 3, "Natel": 3,
		"Mobile phone": 3, "Numéro de téléphone": 3, "Número de telefone": 3,
		"Phone (work)": 2, "Home Phone": 2, "Geschäftstelefon": 2, "Telefon privat": 2, "Tél. portable": 3, "cell_phone_2": 2,
		"Number": 1, "Nummer": 1, "Numéro": 1, "Nr.": 1,
		"Order number": 0, "name": 0, "E-Mail": 0, "Customer No": 0, "cellar": 0, "": 0,
	} {
		if got := nameRank(name); got != want {
			t.Errorf("nameRank(%q) = %d, want %d", name, got, want)
		}
	}
}

func TestRegionOf(t *testing.T) {
	for in, want := range map[string]string{
		"CH": "CH", "ch": "CH", " de ": "DE", "CHE": "CH", "usa": "US", "Switzerland": "CH", "switzerland": "CH",
		"United States": "US", "United Kingdom": "GB", "UK": "GB", "Germany": "DE", "Deutschland": "DE", "Côte d’Ivoire": "CI",
		"Schweiz": "CH",
	} {
		if got, ok := RegionOf(in); !ok || got != want {
			t.Errorf("RegionOf(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "XX", "Atlantis", "123"} {
		if got, ok := RegionOf(in); ok {
			t.Errorf("RegionOf(%q) = %q, want none", in, got)
		}
	}
}

// open reads a text input as a table.
func open(t *testing.T, in string, opt Options) (*Table, error) {
	t.Helper()
	tab, lines, err := OpenText(strings.NewReader(in), opt)
	if err == nil && tab == nil {
		t.Fatalf("read as lines: %v", lines)
	}
	return tab, err
}

func readRows(t *testing.T, tab *Table) []Row {
	t.Helper()
	var out []Row
	var b Batch
	for {
		err := tab.Read(&b, 3)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range b.Rows {
			out = append(out, ownRow(r))
		}
	}
}

func TestTables(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		opt     Options
		columns []string
		header  int
		phone   []int
		region  int
		chosen  string
		rows    []Row
	}{
		{name: "named column", in: "\uFEFFname,email,Telefon\nAnna,a@x.ch,044 668 18 00\n\n\"Ben, Jr.\",b@x.ch,+41 79 123 45 67\n",
			opt: Options{Region: "CH"}, columns: []string{"name", "email", "Telefon"}, header: 1, phone: []int{2}, region: -1, chosen: `phone column "Telefon" (by its name)`,
			rows: []Row{{Line: 2, Values: []string{"Anna", "a@x.ch", "044 668 18 00"}}, {Line: 4, Values: []string{"Ben, Jr.", "b@x.ch", "+41 79 123 45 67"}}}},
		{name: "headerless, by values", in: "Anna;12;044 668 18 00\nBen;13;079 123 45 67\n",
			opt: Options{Region: "CH"}, columns: []string{"Column A", "Column B", "Column C"}, header: 0, phone: []int{2}, region: -1,
			chosen: `phone column "Column C" (its values look most like phone numbers: 100% of 2 sampled)`,
			rows:   []Row{{Line: 1, Values: []string{"Anna", "12", "044 668 18 00"}}, {Line: 2, Values: []string{"Ben", "13", "079 123 45 67"}}}},
		{name: "by option, number and region", in: "a\tcountry\tb\n1\tCH\t044 668 18 00\n",
			opt: Options{Columns: []string{"3"}, RegionColumn: "Country"}, columns: []string{"a", "country", "b"}, header: 1, phone: []int{2}, region: 1,
			chosen: `phone column "b" (--column)`, rows: []Row{{Line: 2, Values: []string{"1", "CH", "044 668 18 00"}}}},
		{name: "several by option", in: "mobile,work\n+41791234567,+41446681800\n",
			opt: Options{Columns: []string{"mobile", "B", "work"}}, columns: []string{"mobile", "work"}, header: 1, phone: []int{0, 1}, region: -1,
			chosen: `phone columns "mobile", "work" (--column)`, rows: []Row{{Line: 2, Values: []string{"+41791234567", "+41446681800"}}}},
		{name: "one column with a header", in: "Phone\n+41446681800\n",
			columns: []string{"Phone"}, header: 1, phone: []int{0}, region: -1, chosen: `phone column "Phone" (by its name)`,
			rows: []Row{{Line: 2, Values: []string{"+41446681800"}}}},
		{name: "ragged rows and a second phone column", in: "phone,name,mobile\n+41446681800,Anna\n+41446681801,Ben,+41791234567,extra\n",
			columns: []string{"phone", "name", "mobile"}, header: 1, phone: []int{0}, region: -1,
			chosen: `phone column "phone" (by its name); "mobile" too (give --column phone --column mobile for all)`,
			rows:   []Row{{Line: 2, Values: []string{"+41446681800", "Anna"}}, {Line: 3, Values: []string{"+41446681801", "Ben", "+41791234567", "extra"}}}},
		{name: "number named but not numbers", in: "Order number,phone no\nA-1,+41446681800\nA-2,+41446681801\n",
			columns: []string{"Order number", "phone no"}, header: 1, phone: []int{1}, region: -1, chosen: `phone column "phone no" (by its name)`,
			rows: []Row{{Line: 2, Values: []string{"A-1", "+41446681800"}}, {Line: 3, Values: []string{"A-2", "+41446681801"}}}},
	} {
		tab, err := open(t, tc.in, tc.opt)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !reflect.DeepEqual(tab.Columns, tc.columns) || tab.HeaderLine != tc.header || !reflect.DeepEqual(tab.Phone, tc.phone) ||
			tab.RegionColumn != tc.region || tab.Chosen != tc.chosen {
			t.Errorf("%s: columns %q header %d phone %v region %d chosen %q", tc.name, tab.Columns, tab.HeaderLine, tab.Phone, tab.RegionColumn, tab.Chosen)
		}
		rows := readRows(t, tab)
		for i := range rows {
			rows[i].Numeric = nil
		}
		if !reflect.DeepEqual(rows, tc.rows) {
			t.Errorf("%s: rows\n got %+v\nwant %+v", tc.name, rows, tc.rows)
		}
	}
}

func TestTableErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		opt      Options
		want     []string
	}{
		{"missing column", "name,phone\nA,+41446681800\n", Options{Columns: []string{"tel"}}, []string{`no column "tel"`, `"name", "phone"`, "--column"}},
		{"missing region column", "name,phone\nA,+41446681800\n", Options{RegionColumn: "country"}, []string{`no region column "country"`, `"name", "phone"`}},
		{"no phone numbers", "name,city\nAnna,Bern\nBen,Basel\n", Options{}, []string{"no column looks like phone numbers", `"name" 0%`, `"city" 0%`, "--column"}},
	} {
		_, err := open(t, tc.in, tc.opt)
		if !errors.Is(err, ErrColumn) {
			t.Errorf("%s: %v, want ErrColumn", tc.name, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q does not say %q", tc.name, err, w)
			}
		}
	}
}

func TestLinesStayLines(t *testing.T) {
	for _, in := range []string{"+41446681800\n044 668 18 00\n", "", "\n\n", "n/a\n+41 44 668 18 00, ext 2\n"} {
		tab, lines, err := OpenText(strings.NewReader(in), Options{})
		if err != nil || tab != nil {
			t.Fatalf("%q: table %v err %v", in, tab, err)
		}
		got, _ := io.ReadAll(lines)
		if string(got) != in {
			t.Errorf("%q: lines read back as %q", in, got)
		}
	}
}

// FuzzOpenText reads fuzzed text as the commands do: never a panic, a table
// whose rows hold what the input had, or the lines handed back unchanged,
// or an error.
func FuzzOpenText(f *testing.F) {
	for _, s := range []string{"name,phone\nA,+41446681800\n", "+41446681800\n", "sep=;\na;b\n1;2", "\"x\ny\",1\n", "phone\n", "\xff\xfea\x00,\x00b\x00", "a\tb\n\"1\t2\"\t3\n"} {
		f.Add(s, "")
	}
	f.Add("a,b\n1,2\n", "b")
	f.Fuzz(func(t *testing.T, in, column string) {
		var opt Options
		if column != "" {
			opt.Columns = []string{column}
		}
		opt.MaxRecord = 4096
		tab, lines, err := OpenText(strings.NewReader(in), opt)
		if err != nil {
			return
		}
		if tab == nil {
			got, err := io.ReadAll(lines)
			if err != nil {
				t.Fatal(err)
			}
			if d := NewDecoder(strings.NewReader(in)); true {
				want, _ := io.ReadAll(d)
				if !bytes.Equal(got, want) {
					t.Fatalf("lines %q, want %q", got, want)
				}
			}
			return
		}
		if len(tab.Phone) == 0 || len(tab.Columns) == 0 {
			t.Fatalf("table without columns: %+v", tab)
		}
		for _, p := range tab.Phone {
			if p < 0 || p >= len(tab.Columns) {
				t.Fatalf("phone column %d of %d", p, len(tab.Columns))
			}
		}
		var b Batch
		last := 0
		for {
			err := tab.Read(&b, 7)
			if err != nil {
				return
			}
			for _, r := range b.Rows {
				if r.Line <= last {
					t.Fatalf("line %d after %d", r.Line, last)
				}
				last = r.Line
			}
		}
	})
}
