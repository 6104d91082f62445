package provider

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/results"
)

// readRows streams the pipeline's results CSV into fn, one row at a time;
// name is the file's, for messages. An input of one number a line gives
// the result schema and nil columns. A table input (CSV, TSV, XLSX) gives
// its own columns first, in its delimiter and perhaps after a BOM, then per
// phone column the result schema and ReasonDetail: it is read by header
// names, the first phone column's results into r and every other column
// into cols.
func readRows(r io.Reader, name string, fn func(r *phone.Result, cols map[string]string)) error {
	br := bufio.NewReaderSize(r, 256<<10)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\uFEFF")) {
		br.Discard(3)
	}
	head, _ := br.Peek(64 << 10)
	for _, comma := range []rune{',', ';', '\t', '|'} {
		cr := csv.NewReader(bytes.NewReader(head))
		cr.Comma, cr.FieldsPerRecord = comma, -1
		h, err := cr.Read()
		if err != nil {
			continue
		}
		if comma == ',' && strings.Join(h, ",") == strings.Join(phone.Header, ",") {
			break // the result schema
		}
		if start, ok := resultGroups(h); ok {
			return readTable(br, name, comma, h, start, fn)
		}
	}
	rr, err := results.NewRowReader(br, name) // or why it is not a result file
	if err != nil {
		return err
	}
	var row phone.Result
	for {
		if err := rr.Read(&row); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		fn(&row, nil)
	}
}

// resultGroups finds the result columns at the end of a table's header:
// start is the first phone column's Number. A group's names carry its
// phone column's name as a prefix when the table has several, or when an
// input column has a result column's name.
func resultGroups(h []string) (start int, ok bool) {
	start = -1
	for end := len(h); end-results.GroupWidth >= 0; end -= results.GroupWidth {
		g := h[end-results.GroupWidth : end]
		p, found := strings.CutSuffix(g[0], phone.Header[0])
		if !found || g[len(g)-1] != p+results.DetailColumn {
			break
		}
		for j, n := range phone.Header {
			if g[j] != p+n {
				return start, start >= 0
			}
		}
		start = end - results.GroupWidth
	}
	return start, start >= 0
}

func readTable(br *bufio.Reader, name string, comma rune, header []string, start int, fn func(*phone.Result, map[string]string)) error {
	cr := csv.NewReader(br)
	cr.Comma, cr.FieldsPerRecord, cr.ReuseRecord = comma, len(header), true
	if _, err := cr.Read(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	// The keys of the other columns, unique as the JSON Lines output makes them.
	keys := make([]string, len(header))
	seen := map[string]bool{}
	for i, k := range header {
		if i >= start && i < start+len(phone.Header) {
			continue
		}
		if strings.TrimSpace(k) == "" || seen[k] {
			k = "Column " + columnLetters(i)
		}
		seen[k], keys[i] = true, k
	}
	var row phone.Result
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		f := rec[start:]
		line, err := strconv.Atoi(f[3])
		if err != nil {
			l, _ := cr.FieldPos(start + 3)
			return fmt.Errorf("%s: line %d: Line %q is not a number", name, l, f[3])
		}
		row = phone.Result{Number: f[0], PhoneCheck: f[1], Input: f[2], Line: line, Reason: f[4], Type: f[5],
			CountryCode: f[6], Region: f[7], International: f[8], National: f[9], Carrier: f[10], Location: f[11], TimeZones: f[12]}
		cols := make(map[string]string, len(header)-len(phone.Header))
		for i, v := range rec {
			if keys[i] != "" {
				cols[keys[i]] = v
			}
		}
		fn(&row, cols)
	}
}

// columnLetters is a spreadsheet's name of column i (0-based): A, Z, AA.
func columnLetters(i int) string {
	var b []byte
	for i++; i > 0; i = (i - 1) / 26 {
		b = append([]byte{byte('A' + (i-1)%26)}, b...)
	}
	return string(b)
}
