package corpus

import (
	"archive/zip"
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// TableHeader is the header of the benchmark tables: a contact export with
// the phone number in the fifth of six columns.
var TableHeader = []string{"id", "first_name", "last_name", "email", "phone", "city"}

var (
	firstNames = []string{"Anna", "Ben", "Chloé", "David", "Elena", "François", "Greta", "Hans", "Inès", "Jonas", "Katja", "Luca", "Marie", "Nils", "Olivia", "Paul", "Quentin", "Rosa", "Stefan", "Zoë"}
	lastNames  = []string{"Müller", "Meier", "Schmid", "Keller", "Weber", "Huber", "Schneider", "Dubois", "Rossi", "Bianchi", "Martin", "Bernard", "García", "Smith", "O'Brien", "Fischer", "Wyss", "Brunner", "Baumann", "Frei"}
	cities     = []string{"Zürich", "Genève", "Basel", "Bern", "Lausanne", "Winterthur", "Luzern", "St. Gallen", "Lugano", "Biel/Bienne", "Thun", "Köniz", "Fribourg", "Schaffhausen", "Chur"}
)

// Record returns the next contact row of the table, row i (1-based), its
// phone the generator's next line.
func (g *Generator) Record(i int) []string {
	first := firstNames[g.rng.IntN(len(firstNames))]
	last := lastNames[g.rng.IntN(len(lastNames))]
	email := strings.ToLower(strings.NewReplacer("é", "e", "ç", "c", "è", "e", "ü", "u", "ö", "o", "ë", "e", "í", "i", "'", "").Replace(first+"."+last)) +
		strconv.Itoa(i) + "@example.com"
	city := cities[g.rng.IntN(len(cities))]
	if g.rng.IntN(20) == 0 {
		city = `"` + city + `", CH` // quoting in the CSV
	}
	return []string{strconv.Itoa(i), first, last, email, g.Line(), city}
}

// WriteCSV writes a header and n contact rows as RFC 4180 CSV.
func (g *Generator) WriteCSV(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	cw := csv.NewWriter(bw)
	cw.Write(TableHeader)
	for i := 1; i <= n; i++ {
		cw.Write(g.Record(i))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteXLSX writes a header and n contact rows as a workbook the way Excel
// stores what a user typed or pasted: text in the shared strings table, ids
// as numbers, and phone numbers that look like numbers as numeric cells
// (Excel drops the + of "+41446681800" and the 0 of "0446681800").
func (g *Generator) WriteXLSX(w io.Writer, n int) error {
	zw := zip.NewWriter(w)
	for _, p := range []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Contacts" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
	} {
		fw, err := zw.Create(p.name)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(fw, p.body); err != nil {
			return err
		}
	}
	// The sheet first, collecting the strings; then the table of them.
	index := map[string]int{}
	var order []string
	shared := func(s string) int {
		i, ok := index[s]
		if !ok {
			i = len(order)
			index[s] = i
			order = append(order, s)
		}
		return i
	}
	fw, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(fw, 1<<16)
	bw.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:F` + strconv.Itoa(n+1) + `"/><sheetData>`)
	cols := "ABCDEF"
	for i := 0; i <= n; i++ {
		rec := TableHeader
		if i > 0 {
			rec = g.Record(i)
		}
		r := strconv.Itoa(i + 1)
		bw.WriteString(`<row r="` + r + `" spans="1:6">`)
		for c, v := range rec {
			ref := cols[c:c+1] + r
			switch {
			case v == "":
			case i > 0 && (c == 0 || c == 4 && isNumeric(v)):
				bw.WriteString(`<c r="` + ref + `"><v>` + strings.TrimLeft(strings.TrimPrefix(v, "+"), "0") + `</v></c>`)
			default:
				bw.WriteString(`<c r="` + ref + `" t="s"><v>` + strconv.Itoa(shared(v)) + `</v></c>`)
			}
		}
		bw.WriteString(`</row>`)
	}
	bw.WriteString(`</sheetData></worksheet>`)
	if err := bw.Flush(); err != nil {
		return err
	}
	fw, err = zw.Create("xl/sharedStrings.xml")
	if err != nil {
		return err
	}
	bw = bufio.NewWriterSize(fw, 1<<16)
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="%d">`, len(order))
	for _, s := range order {
		bw.WriteString(`<si><t xml:space="preserve">`)
		bw.WriteString(strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s))
		bw.WriteString(`</t></si>`)
	}
	bw.WriteString(`</sst>`)
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

// isNumeric tells what Excel turns into a number when typed: digits with
// an optional leading + (and nothing else).
func isNumeric(v string) bool {
	d := strings.TrimPrefix(v, "+")
	if d == "" || len(d) > 15 {
		return false
	}
	for _, c := range []byte(d) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return strings.Trim(d, "0") != ""
}

// BenchTable returns the path of a contact table of n rows from seed 1 in
// the system's temp directory ("csv" or "xlsx"), writing it once.
func BenchTable(format string, n int) (string, error) {
	path := filepath.Join(os.TempDir(), fmt.Sprintf("phonecheck-bench-contacts-%d.%s", n, format))
	if st, err := os.Stat(path); err == nil && st.Size() > 0 {
		return path, nil
	}
	f, err := os.CreateTemp(os.TempDir(), "phonecheck-bench-*.tmp")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	g := New(1)
	if format == "xlsx" {
		err = g.WriteXLSX(f, n)
	} else {
		err = g.WriteCSV(f, n)
	}
	if err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(f.Name(), path)
}
