// Package lines reads number files line by line with a bound on line length,
// so a file without newlines (or a binary blob) cannot take all memory.
package lines

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxLength bounds one line. libphonenumber reads at most 250
// characters; anything near this limit is not a phone number file.
const DefaultMaxLength = 64 << 10

// ErrTooLong is wrapped by the error for a line over the limit.
var ErrTooLong = errors.New("line too long")

// Reader yields the lines of a stream without their newline. A final line
// without newline is returned too; a CR before the newline is left to the caller.
type Reader struct {
	br     *bufio.Reader
	max    int
	n      int // lines returned so far
	long   []byte
	offset int64
}

// NewReader reads r with lines of at most maxLength bytes (0: DefaultMaxLength).
func NewReader(r io.Reader, maxLength int) *Reader {
	if maxLength <= 0 {
		maxLength = DefaultMaxLength
	}
	return &Reader{br: bufio.NewReaderSize(r, 256<<10), max: maxLength}
}

// Next returns the next line and its 1-based number. The slice is valid until
// the next call. At the end it returns io.EOF.
func (r *Reader) Next() ([]byte, int, error) {
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], line...)
		for err == bufio.ErrBufferFull {
			if len(r.long) > r.max {
				return nil, r.n + 1, fmt.Errorf("line %d is longer than %d bytes: %w (a phone number file holds one number per line)", r.n+1, r.max, ErrTooLong)
			}
			line, err = r.br.ReadSlice('\n')
			r.long = append(r.long, line...)
		}
		line = r.long
	}
	if err != nil && err != io.EOF {
		return nil, r.n + 1, err
	}
	if err == io.EOF && len(line) == 0 {
		return nil, r.n, io.EOF
	}
	r.offset += int64(len(line))
	line = bytes.TrimSuffix(line, []byte{'\n'})
	if len(line) > r.max {
		return nil, r.n + 1, fmt.Errorf("line %d is longer than %d bytes: %w (a phone number file holds one number per line)", r.n+1, r.max, ErrTooLong)
	}
	r.n++
	return line, r.n, nil
}

// Offset is the number of bytes consumed so far.
func (r *Reader) Offset() int64 { return r.offset }
