package results

import (
	"bufio"
	"io"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/phonecheck/phonecheck/phone"
)

// csvWriter writes RFC 4180 CSV with \n line endings, quoting exactly the
// fields encoding/csv would quote (the tests check both agree byte for byte).
// It is hand-rolled because building each line in the bufio.Writer's free
// buffer, with Line appended as digits, writes rows without any allocation or
// extra copy; encoding/csv needs
// a []string and so one strconv.Itoa string per row, and measured slower
// (see BenchmarkCSVWriterStdlib).
type csvWriter struct {
	w      *bufio.Writer
	closed bool
}

func newCSVWriter(w io.Writer) *csvWriter {
	c := &csvWriter{w: bufio.NewWriterSize(w, bufSize)}
	var head []byte
	for i, name := range phone.Header {
		if i > 0 {
			head = append(head, ',')
		}
		head = appendCSVField(head, name)
	}
	_, _ = c.w.Write(append(head, '\n')) // a write error is sticky in bufio and returned later
	return c
}

func (c *csvWriter) Write(r *phone.Result) error {
	if c.closed {
		return errClosed
	}
	// Build the row in the writer's free buffer, so that it is not copied
	// again (a row longer than what is free is appended elsewhere).
	if c.w.Available() < 4096 {
		_ = c.w.Flush() // a write error is sticky in bufio and returned by Write
	}
	b := appendCSVField(c.w.AvailableBuffer(), r.Number)
	b = appendCSVField(append(b, ','), r.PhoneCheck)
	b = appendCSVField(append(b, ','), r.Input)
	b = strconv.AppendInt(append(b, ','), int64(r.Line), 10)
	for _, s := range [...]string{r.Reason, r.Type, r.CountryCode, r.Region,
		r.International, r.National, r.Carrier, r.Location, r.TimeZones} {
		b = appendCSVField(append(b, ','), s)
	}
	_, err := c.w.Write(append(b, '\n'))
	return err
}

func (c *csvWriter) Close() error {
	if c.closed {
		return errClosed
	}
	c.closed = true
	return c.w.Flush()
}

// appendCSVField appends s, quoted when it holds a comma, a quote, CR or LF,
// or starts with white space (as encoding/csv does, so readers that trim
// unquoted fields keep the Input column intact).
func appendCSVField(b []byte, s string) []byte {
	if !csvNeedsQuotes(s) {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

func csvNeedsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s == `\.` { // encoding/csv quotes it too: PostgreSQL reads it as end of data
		return true
	}
	for i := 0; i < len(s); i++ {
		if csvSpecial[s[i]] {
			return true
		}
	}
	if c := s[0]; c < utf8.RuneSelf {
		return c == ' ' || c >= '\t' && c <= '\r' // unicode.IsSpace of ASCII
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}

// csvSpecial marks the bytes that make a field need quotes.
var csvSpecial = [256]bool{',': true, '"': true, '\r': true, '\n': true}
