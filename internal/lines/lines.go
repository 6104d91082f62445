// Package lines reads number files line by line with a bound on line length,
// so a file without newlines (or a binary blob) cannot take all memory. A
// line over the bound is not an error: the reader keeps its first CutLength
// bytes, skips the rest, and says so (Cut), so the line becomes one row.
package lines

import (
	"bufio"
	"bytes"
	"io"
	"unicode/utf8"

	"github.com/phonecheck/phonecheck/internal/bufpool"
)

// DefaultMaxLength bounds one line. libphonenumber reads at most 250
// characters; anything near this limit is not a phone number.
const DefaultMaxLength = 64 << 10

// CutLength is how much of a line over the bound is kept (less on a short
// bound): enough to find the line, not its megabytes.
const CutLength = 1 << 10

// Reader yields the lines of a stream without their newline. A final line
// without newline is returned too; a CR before the newline is left to the caller.
type Reader struct {
	br     *bufio.Reader
	max    int
	n      int // lines returned so far
	long   []byte
	offset int64
	cut    int64 // length of the line last returned, when it was cut
}

// NewReader reads r with lines of at most maxLength bytes (0: DefaultMaxLength).
func NewReader(r io.Reader, maxLength int) *Reader {
	if maxLength <= 0 {
		maxLength = DefaultMaxLength
	}
	return &Reader{br: bufpool.Reader(r), max: maxLength}
}

// Release hands the buffer back for reuse. Neither r nor a line it returned
// may be used after it; a Reader never released is only garbage.
func (r *Reader) Release() {
	if r.br != nil {
		bufpool.PutReader(r.br)
		r.br = nil
	}
}

// Next returns the next line and its 1-based number. The slice is valid until
// the next call. At the end it returns io.EOF. A line over the bound comes
// back cut to its first CutLength bytes (on a UTF-8 boundary); Cut then
// gives its whole length.
func (r *Reader) Next() ([]byte, int, error) {
	r.cut = 0
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], line...)
		for err == bufio.ErrBufferFull {
			if len(r.long) > r.max {
				return r.skipRest(int64(len(r.long)))
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
		r.cut = int64(len(line))
		line = r.prefix(line)
	}
	r.n++
	return line, r.n, nil
}

// skipRest reads past the rest of a line over the bound, of which r.long
// holds the first read bytes, and returns its kept prefix.
func (r *Reader) skipRest(read int64) ([]byte, int, error) {
	total := read
	var err error = bufio.ErrBufferFull
	var chunk []byte
	for err == bufio.ErrBufferFull {
		chunk, err = r.br.ReadSlice('\n')
		total += int64(len(chunk))
	}
	if err != nil && err != io.EOF {
		return nil, r.n + 1, err
	}
	r.offset += total
	if bytes.HasSuffix(chunk, []byte{'\n'}) {
		total--
	}
	r.cut = total
	r.n++
	return r.prefix(r.long), r.n, nil
}

// prefix is the kept start of a cut line: CutLength bytes at most, the
// bound at most, not ending inside a UTF-8 sequence.
func (r *Reader) prefix(line []byte) []byte {
	n := min(CutLength, r.max, len(line))
	for k := 1; k < utf8.UTFMax && n > 0 && n < len(line) && !utf8.RuneStart(line[n]); k++ {
		n--
	}
	return line[:n]
}

// Cut is the whole length in bytes (without the newline) of the line Next
// returned last when that line was over the bound and cut, 0 otherwise.
func (r *Reader) Cut() int64 { return r.cut }

// Offset is the number of bytes consumed so far.
func (r *Reader) Offset() int64 { return r.offset }
