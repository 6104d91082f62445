package results

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"

	"github.com/phonecheck/phonecheck/phone"
)

func TestCSVRoundTrip(t *testing.T) {
	rows := sampleRows()
	recs, err := csv.NewReader(bytes.NewReader(writeAll(t, CSV, rows))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], phone.Header) {
		t.Fatalf("header %q, want %q", recs[0], phone.Header)
	}
	if len(recs) != len(rows)+1 {
		t.Fatalf("%d records, want %d", len(recs), len(rows)+1)
	}
	for i := range rows {
		want := rows[i].Record(nil)
		// encoding/csv reads \r\n inside a quoted field as \n.
		for j := range want {
			want[j] = string(bytes.ReplaceAll([]byte(want[j]), []byte("\r\n"), []byte("\n")))
		}
		if !slices.Equal(recs[i+1], want) {
			t.Errorf("row %d: got %q, want %q", i, recs[i+1], want)
		}
	}
}

// The hand-rolled writer must produce exactly what encoding/csv does.
func TestCSVMatchesEncodingCSV(t *testing.T) {
	rows := append(sampleRows(), benchRows()...)
	var want bytes.Buffer
	cw := csv.NewWriter(&want)
	_ = cw.Write(phone.Header)
	for i := range rows {
		_ = cw.Write(rows[i].Record(nil))
	}
	cw.Flush()
	if got := writeAll(t, CSV, rows); !bytes.Equal(got, want.Bytes()) {
		t.Errorf("output differs from encoding/csv:\n got %q\nwant %q", got, want.Bytes())
	}
}

func TestCSVQuoting(t *testing.T) {
	for in, want := range map[string]string{
		"plain":        "plain",
		"":             "",
		"a,b":          `"a,b"`,
		`say "hi"`:     `"say ""hi"""`,
		"two\nlines":   "\"two\nlines\"",
		"cr\r":         "\"cr\r\"",
		" lead":        `" lead"`,
		"trail ":       "trail ",
		"+41 44":       "+41 44",
		`\.`:           `"\."`,
		"Zürich;Genf":  "Zürich;Genf",
		`"`:            `""""`,
		"\u00a0nbsp":   "\"\u00a0nbsp\"",
		"x\"y\"z,\n,q": "\"x\"\"y\"\"z,\n,q\"",
	} {
		if got := string(appendCSVField(nil, in)); got != want {
			t.Errorf("field %q: got %q, want %q", in, got, want)
		}
	}
	r := phone.Result{Number: "a,b", Input: `"x"`, Line: 7}
	got := string(writeAll(t, CSV, []phone.Result{r}))
	want := "Number,phoneCheck,Input,Line,Reason,Type,CountryCode,Region,International,National,Carrier,Location,TimeZones\n" +
		"\"a,b\",,\"\"\"x\"\"\",7,,,,,,,,,\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestCSVHeaderOnly(t *testing.T) {
	if got := string(writeAll(t, CSV, nil)); got != "Number,phoneCheck,Input,Line,Reason,Type,CountryCode,Region,International,National,Carrier,Location,TimeZones\n" {
		t.Errorf("got %q", got)
	}
}

func FuzzCSVField(f *testing.F) {
	for _, s := range tricky {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		cw := csv.NewWriter(&want)
		_ = cw.Write([]string{s})
		cw.Flush()
		if got := append(appendCSVField(nil, s), '\n'); !bytes.Equal(got, want.Bytes()) {
			// encoding/csv writes an empty single-field record as `""`.
			if s != "" {
				t.Errorf("field %q: got %q, encoding/csv %q", s, got, want.Bytes())
			}
		}
	})
}
