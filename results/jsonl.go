package results

import (
	"bufio"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/phonecheck/phonecheck/phone"
)

// jsonlWriter writes one JSON object per line with the CSV header's names as
// keys, in header order, and Line as a number. It appends into a reused
// buffer instead of using encoding/json: no reflection and no allocation per
// row (see BenchmarkJSONLWriterStdlib for the comparison).
type jsonlWriter struct {
	w      *bufio.Writer
	line   []byte
	closed bool
}

func newJSONLWriter(w io.Writer) *jsonlWriter {
	return &jsonlWriter{w: bufio.NewWriterSize(w, bufSize)}
}

// jsonKeys holds the literal text before each value: `{"Number":`,
// `,"phoneCheck":`, ... built once from phone.Header.
var jsonKeys = func() []string {
	keys := make([]string, len(phone.Header))
	for i, name := range phone.Header {
		sep := ","
		if i == 0 {
			sep = "{"
		}
		keys[i] = sep + string(appendJSONString(nil, name)) + ":"
	}
	return keys
}()

func (j *jsonlWriter) Write(r *phone.Result) error {
	if j.closed {
		return errClosed
	}
	j.line = j.AppendRow(j.line[:0], r)
	_, err := j.w.Write(j.line)
	return err
}

// AppendRow appends r's line (see Encoder).
func (*jsonlWriter) AppendRow(b []byte, r *phone.Result) []byte {
	k := jsonKeys
	b = appendJSONString(append(b, k[0]...), r.Number)
	b = appendJSONString(append(b, k[1]...), r.PhoneCheck)
	b = appendJSONString(append(b, k[2]...), r.Input)
	b = strconv.AppendInt(append(b, k[3]...), int64(r.Line), 10)
	for i, s := range [...]string{r.Reason, r.Type, r.CountryCode, r.Region,
		r.International, r.National, r.Carrier, r.Location, r.TimeZones} {
		b = appendJSONString(append(b, k[4+i]...), s)
	}
	return append(b, '}', '\n')
}

// WriteEncoded writes lines made by AppendRow (see Encoder).
func (j *jsonlWriter) WriteEncoded(b []byte) error {
	if j.closed {
		return errClosed
	}
	_, err := j.w.Write(b)
	return err
}

func (j *jsonlWriter) Close() error {
	if j.closed {
		return errClosed
	}
	j.closed = true
	return j.w.Flush()
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string the way encoding/json does
// without HTML escaping: quote, backslash and control characters escaped,
// invalid UTF-8 replaced by U+FFFD, and U+2028/U+2029 escaped so the line is
// also valid JavaScript.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(append(b, s[start:i]...), `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		} else {
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(b, s[start:]...), '"')
}
