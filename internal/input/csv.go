package input

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// ErrRecordTooLong is wrapped when one record of a CSV is over the limit,
// which is what an unclosed quote looks like.
var ErrRecordTooLong = errors.New("record too long")

// recordReader reads RFC 4180 records: fields separated by comma, quoted
// fields with "" for a quote and line breaks inside, CRLF or LF line ends.
// It is lenient as spreadsheet programs are (as encoding/csv with
// LazyQuotes): a quote inside an unquoted field, or one inside a quoted
// field that is not followed by the separator or the line end, is text.
// Line breaks inside quotes are read as LF.
type recordReader struct {
	br    *bufio.Reader
	comma byte
	max   int
	line  int // lines read so far
	long  []byte
}

func newRecordReader(br *bufio.Reader, comma byte, max int) *recordReader {
	return &recordReader{br: br, comma: comma, max: max}
}

// readLine returns the next physical line with its line end, or io.EOF.
// The slice is valid until the next call.
func (r *recordReader) readLine(sofar int) ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], line...)
		for err == bufio.ErrBufferFull {
			if sofar+len(r.long) > r.max {
				return nil, r.tooLong()
			}
			line, err = r.br.ReadSlice('\n')
			r.long = append(r.long, line...)
		}
		line = r.long
	}
	if len(line) > 0 {
		r.line++
		if err == io.EOF {
			err = nil
		}
	}
	if sofar+len(line) > r.max {
		return nil, r.tooLong()
	}
	return line, err
}

func (r *recordReader) tooLong() error {
	return fmt.Errorf("line %d: a record longer than %d bytes (is a quote left open?): %w", r.line+1, r.max, ErrRecordTooLong)
}

// read appends the next record's fields to text, each field's end offset
// to ends, and returns them with the record's first line number. At the end
// of the input it returns io.EOF.
func (r *recordReader) read(text []byte, ends []int) ([]byte, []int, int, error) {
	base := len(text)
	line, err := r.readLine(0)
	if err != nil {
		return text, ends, 0, err
	}
	start := r.line
	if bytes.IndexByte(line, '"') < 0 { // the common case: split at the commas
		line = trimEOL(line)
		for {
			i := bytes.IndexByte(line, r.comma)
			if i < 0 {
				text = append(text, line...)
				return text, append(ends, len(text)), start, nil
			}
			text = append(text, line[:i]...)
			ends = append(ends, len(text))
			line = line[i+1:]
		}
	}
	// Field by field, following the quotes across lines.
	inQuotes, fieldStart := false, true
	for {
		for i := 0; i < len(line); i++ {
			c := line[i]
			switch {
			case inQuotes:
				if c == '\r' && i+1 < len(line) && line[i+1] == '\n' {
					continue // CRLF inside quotes reads as LF
				}
				if c != '"' {
					text = append(text, c)
					continue
				}
				switch {
				case i+1 < len(line) && line[i+1] == '"':
					text = append(text, '"')
					i++
				case i+1 == len(line) || line[i+1] == r.comma || line[i+1] == '\n' || line[i+1] == '\r' && (i+2 == len(line) || line[i+2] == '\n'):
					inQuotes = false
				default:
					text = append(text, '"') // lenient: a quote inside the field
				}
			case c == r.comma:
				ends = append(ends, len(text))
				fieldStart = true
				continue
			case c == '\n' || c == '\r' && i+1 < len(line) && line[i+1] == '\n' || c == '\r' && i+1 == len(line):
				return text, append(ends, len(text)), start, nil
			case c == '"' && fieldStart:
				inQuotes = true
			default:
				text = append(text, c)
			}
			fieldStart = false
		}
		if !inQuotes { // the input ended without a line end
			return text, append(ends, len(text)), start, nil
		}
		// A line break inside quotes (kept by the loop): the field goes on.
		next, err := r.readLine(len(text) - base)
		if err == io.EOF {
			return text, append(ends, len(text)), start, nil // an unclosed quote at the end: what was read
		}
		if err != nil {
			return text, ends, start, err
		}
		line = next
	}
}

// trimEOL drops a line's LF or CRLF.
func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}
