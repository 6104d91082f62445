package results

import (
	"bufio"
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/phonecheck/phonecheck/phone"
)

func TestJSONLRoundTrip(t *testing.T) {
	rows := sampleRows()
	out := writeAll(t, JSONL, rows)
	sc := bufio.NewScanner(bytes.NewReader(out))
	n := 0
	for ; sc.Scan(); n++ {
		line := sc.Bytes()
		if !json.Valid(line) {
			t.Fatalf("line %d is not valid JSON: %s", n, line)
		}
		var got phone.Result
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		want := rows[n]
		for _, p := range []*string{&want.Number, &want.Input, &want.Reason, &want.Type, &want.CountryCode, &want.Region,
			&want.International, &want.National, &want.Carrier, &want.Location, &want.TimeZones} {
			*p = strings.ToValidUTF8(*p, "\uFFFD")
		}
		if got != want {
			t.Errorf("line %d: got %+v, want %+v", n, got, want)
		}
		if keys := jsonKeysOf(t, line); !slices.Equal(keys, phone.Header) {
			t.Errorf("line %d keys %q, want %q", n, keys, phone.Header)
		}
		var m map[string]any
		_ = json.Unmarshal(line, &m)
		if _, ok := m["Line"].(float64); !ok {
			t.Errorf("line %d: Line is %T, want a number", n, m["Line"])
		}
	}
	if n != len(rows) {
		t.Fatalf("%d lines, want %d", n, len(rows))
	}
	if !bytes.HasSuffix(out, []byte("}\n")) {
		t.Error("output does not end in a newline")
	}
	if len(writeAll(t, JSONL, nil)) != 0 {
		t.Error("no rows should give an empty file")
	}
}

// jsonKeysOf returns the top-level keys of a JSON object in order.
func jsonKeysOf(t *testing.T, obj []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(obj))
	var keys []string
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// appendJSONString must match encoding/json (without HTML escaping) byte for byte.
func FuzzJSONString(f *testing.F) {
	for _, s := range tricky {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		got := appendJSONString(nil, s)
		if !bytes.Equal(append(got, '\n'), want.Bytes()) {
			t.Errorf("%q: got %s, encoding/json %s", s, got, want.Bytes())
		}
		var back string
		if err := json.Unmarshal(got, &back); err != nil || utf8.ValidString(s) && back != s {
			t.Errorf("%q does not round-trip: %q, %v", s, back, err)
		}
	})
}
