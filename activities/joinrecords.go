package activities

import (
	"bytes"
	"fmt"

	"github.com/phonecheck/phonecheck/phone"
)

// The columns the join reads of local.csv's records, in phone.Header order.
const (
	colNumber      = 0
	colPhoneCheck  = 1
	colReason      = 4
	colType        = 5
	colCountryCode = 6
	colRegion      = 7
)

// joinRecords joins a batch of local.csv's records as join does parsed
// rows, on the bytes. local.csv is written by the result writer, so a
// record re-encoded after the join is the record with its phoneCheck field
// replaced (no verdict needs quotes), and the other fields need only be
// found: nothing is parsed into a phone.Result or encoded again.
// TestJoinRecordsIsTheRowJoin holds it to the row join.
func (b *joinBatch) joinRecords(raw []byte, firstLine int, name string, verdicts *remoteVerdicts) error {
	return eachRecord(raw, firstLine, name, func(rec []byte, spans [][2]int) {
		field := func(i int) []byte { return unquoteField(rec[spans[i][0]:spans[i][1]]) }
		number, verdict := field(colNumber), b.names.of(field(colPhoneCheck))
		joined := false
		if verdicts != nil && len(field(colCountryCode)) > 0 {
			joined = true
			switch v, found, conflict := verdictOf(verdicts, number); {
			case !found:
				verdict = phone.Unanswered
				b.res.MissingVerdicts++
				b.unanswered = append(b.unanswered, string(number))
			case conflict:
				verdict = phone.Conflicting
				b.conflicting = append(b.conflicting, string(number))
			default:
				verdict = v
			}
		}
		b.countFields(verdict, b.names.of(field(colReason)), b.names.of(field(colType)), b.names.of(field(colRegion)))
		if joined {
			b.out = append(b.out, rec[:spans[colPhoneCheck][0]]...)
			b.out = append(b.out, verdict...)
			b.out = append(b.out, rec[spans[colPhoneCheck][1]:]...)
		} else {
			b.out = append(b.out, rec...)
		}
		if b.out[len(b.out)-1] != '\n' { // the file's last record, without its line break
			b.out = append(b.out, '\n')
		}
	})
}

// eachRecord calls fn with each record of a batch of a CSV in the result
// schema (ReadParallelRecords) and its fields' spans; it skips blank lines,
// as a RowReader does, and fails on a record of other than the schema's
// fields or with a broken quote.
func eachRecord(raw []byte, firstLine int, name string, fn func(rec []byte, spans [][2]int)) error {
	spans := make([][2]int, len(phone.Header))
	line := firstLine
	for len(raw) > 0 {
		end, n, ok := splitRecord(raw, spans)
		rec := raw[:end]
		raw = raw[end:]
		line += 1 + bytes.Count(rec[:len(rec)-1], []byte{'\n'}) // breaks inside quotes
		if n == 1 && spans[0][1] == 0 {
			continue
		}
		if !ok || n != len(phone.Header) {
			return fmt.Errorf("%s: line %d: a record of %d fields, not the %d of the result schema", name, line, n, len(phone.Header))
		}
		fn(rec, spans)
	}
	return nil
}

// countFields adds a joined row to the batch's counts, as JoinResult.count.
func (b *joinBatch) countFields(verdict, reason, typ, region string) {
	res := &b.res
	res.Rows++
	if verdict == phone.Valid {
		res.Valid++
	} else {
		res.Invalid++
	}
	res.ByPhoneCheck[verdict]++
	res.ByReason[reason]++
	if typ != "" {
		res.ByType[typ]++
	}
	if region != "" {
		res.ByRegion[region]++
	}
}

// interner makes each value of a few-valued column a string once (for the
// counts) rather than once per row.
type interner map[string]string

func (in *interner) of(v []byte) string {
	if s, ok := (*in)[string(v)]; ok {
		return s
	}
	if *in == nil {
		*in = interner{}
	}
	s := string(v)
	(*in)[s] = s
	return s
}

// splitRecord finds the fields of the CSV record at the start of raw: their
// spans (quotes included) in spans, as many as fit, and their count n; end
// is where the record ends, after its line break. ok is false for a quote
// that is never closed or is followed by more than a delimiter.
func splitRecord(raw []byte, spans [][2]int) (end, n int, ok bool) {
	i := 0
	ok = true
	for {
		start := i
		if i < len(raw) && raw[i] == '"' {
			closed := false
			for i++; i < len(raw); i++ {
				if raw[i] == '"' {
					if i+1 < len(raw) && raw[i+1] == '"' {
						i++
						continue
					}
					i++
					closed = true
					break
				}
			}
			if !closed || (i < len(raw) && raw[i] != ',' && raw[i] != '\n') {
				ok = false
			}
		}
		for i < len(raw) && raw[i] != ',' && raw[i] != '\n' {
			i++
		}
		if n < len(spans) {
			spans[n] = [2]int{start, i}
		}
		n++
		if i >= len(raw) {
			return i, n, ok
		}
		if raw[i] == '\n' {
			return i + 1, n, ok
		}
		i++ // the delimiter
	}
}

// unquoteField is a field's value: f itself, or what its quotes hold.
func unquoteField(f []byte) []byte {
	if len(f) < 2 || f[0] != '"' {
		return f
	}
	f = f[1 : len(f)-1]
	if bytes.IndexByte(f, '"') < 0 {
		return f
	}
	return bytes.ReplaceAll(f, []byte(`""`), []byte(`"`))
}
