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
	_, err := c.w.Write(c.AppendRow(c.w.AvailableBuffer(), r))
	return err
}

// AppendRow appends r's line (see Encoder).
func (*csvWriter) AppendRow(b []byte, r *phone.Result) []byte {
	b = appendCSVField(b, r.Number)
	b = appendCSVField(append(b, ','), r.PhoneCheck)
	b = appendCSVField(append(b, ','), r.Input)
	b = strconv.AppendInt(append(b, ','), int64(r.Line), 10)
	for _, s := range [...]string{r.Reason, r.Type, r.CountryCode, r.Region,
		r.International, r.National, r.Carrier, r.Location, r.TimeZones} {
		b = appendCSVField(append(b, ','), s)
	}
	return append(b, '\n')
}

// WriteEncoded writes lines made by AppendRow (see Encoder).
func (c *csvWriter) WriteEncoded(b []byte) error {
	if c.closed {
		return errClosed
	}
	_, err := c.w.Write(b)
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
	return appendQuoted(b, s)
}

// appendQuoted appends s in quotes, its quotes doubled.
func appendQuoted(b []byte, s string) []byte {
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
	i := 0
	for ; i+8 <= len(s); i += 8 { // eight bytes at a time: most fields are plain
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if hasByte(x, ',')|hasByte(x, '"')|hasByte(x, '\r')|hasByte(x, '\n') != 0 {
			return true
		}
	}
	for ; i < len(s); i++ {
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

// hasByte is non-zero when one of the eight bytes of x is c (the
// high-bit test of "Bit Twiddling Hacks": exact for a zero byte, as the
// borrow only runs past the first one).
func hasByte(x uint64, c byte) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	y := x ^ ones*uint64(c)
	return (y - ones) &^ y & highs
}

// csvSpecial marks the bytes that make a field need quotes.
var csvSpecial = [256]bool{',': true, '"': true, '\r': true, '\n': true}
