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
// It is hand-rolled because building each line in a reused buffer, with Line
// appended as digits, writes rows without any allocation; encoding/csv needs
// a []string and so one strconv.Itoa string per row, and measured slower
// (see BenchmarkCSVWriterStdlib).
type csvWriter struct {
	w      *bufio.Writer
	line   []byte // the row being built, reused
	closed bool
}

func newCSVWriter(w io.Writer) *csvWriter {
	c := &csvWriter{w: bufio.NewWriterSize(w, bufSize)}
	for i, name := range phone.Header {
		if i > 0 {
			c.line = append(c.line, ',')
		}
		c.line = appendCSVField(c.line, name)
	}
	c.line = append(c.line, '\n')
	_, _ = c.w.Write(c.line) // a write error is sticky in bufio and returned later
	return c
}

func (c *csvWriter) Write(r *phone.Result) error {
	if c.closed {
		return errClosed
	}
	b := appendCSVField(c.line[:0], r.Number)
	b = appendCSVField(append(b, ','), r.PhoneCheck)
	b = appendCSVField(append(b, ','), r.Input)
	b = strconv.AppendInt(append(b, ','), int64(r.Line), 10)
	for _, s := range [...]string{r.Reason, r.Type, r.CountryCode, r.Region,
		r.International, r.National, r.Carrier, r.Location, r.TimeZones} {
		b = appendCSVField(append(b, ','), s)
	}
	c.line = append(b, '\n')
	_, err := c.w.Write(c.line)
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
		switch s[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}
