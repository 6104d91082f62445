package input

import (
	"bufio"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Text encodings the decoder tells apart.
const (
	UTF8        = "UTF-8"
	UTF8BOM     = "UTF-8 with BOM"
	UTF16LE     = "UTF-16LE"
	UTF16BE     = "UTF-16BE"
	Windows1252 = "Windows-1252"
)

// decideWindow is how much text after the first non-ASCII byte decides
// between UTF-8 and Windows-1252.
const decideWindow = 64 << 10

// Decoder turns the text encodings real exports use into UTF-8: UTF-8 with
// or without a BOM passes through byte for byte (the BOM too); UTF-16 with
// a BOM (Excel's "Unicode text"), or without one when the NUL bytes say so,
// is decoded; text that is not UTF-8 is read as Windows-1252, the ANSI code
// page of Western European Windows.
//
// The choice between UTF-8 and Windows-1252 is made at the first non-ASCII
// byte (before it the two agree): if no sequence of non-ASCII bytes in the
// next 64 KiB is valid UTF-8, and some are not, the text is Windows-1252.
// It depends on the content only, so every reader of a file decides alike,
// and it streams.
type Decoder struct {
	br  *bufio.Reader
	out io.Reader // once decided: br itself, or a transform of it
	enc string
}

// NewDecoder reads r.
func NewDecoder(r io.Reader) *Decoder {
	d := &Decoder{br: bufio.NewReaderSize(r, decideWindow+4096)}
	head, _ := d.br.Peek(4096)
	switch {
	case len(head) >= 2 && head[0] == 0xFF && head[1] == 0xFE:
		d.decoded(UTF16LE, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM))
	case len(head) >= 2 && head[0] == 0xFE && head[1] == 0xFF:
		d.decoded(UTF16BE, unicode.UTF16(unicode.BigEndian, unicode.UseBOM))
	case len(head) >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF:
		d.enc, d.out = UTF8BOM, d.br
	default:
		if e := utf16WithoutBOM(head); e != "" {
			end := unicode.LittleEndian
			if e == UTF16BE {
				end = unicode.BigEndian
			}
			d.decoded(e, unicode.UTF16(end, unicode.IgnoreBOM))
		}
	}
	return d
}

func (d *Decoder) decoded(name string, e encoding.Encoding) {
	d.enc, d.out = name, e.NewDecoder().Reader(d.br)
}

// Encoding names the encoding: final once a non-ASCII byte was read or the
// input ended ("UTF-8" for ASCII text).
func (d *Decoder) Encoding() string {
	if d.enc == "" {
		return UTF8
	}
	return d.enc
}

// Read reads UTF-8 text.
func (d *Decoder) Read(p []byte) (int, error) {
	if d.out != nil {
		return d.out.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if _, err := d.br.Peek(1); err != nil {
		return 0, err
	}
	b, _ := d.br.Peek(min(d.br.Buffered(), len(p)))
	i := 0
	for i < len(b) && b[i] < utf8.RuneSelf {
		i++
	}
	if i > 0 {
		copy(p, b[:i])
		d.br.Discard(i)
		return i, nil
	}
	window, _ := d.br.Peek(decideWindow)
	if looksWindows1252(window) {
		d.enc, d.out = Windows1252, transform.NewReader(d.br, charmap.Windows1252.NewDecoder())
	} else {
		d.enc, d.out = UTF8, d.br
	}
	return d.out.Read(p)
}

// looksWindows1252 reports whether no run of non-ASCII bytes in b is UTF-8
// and some are not (a sequence cut by the end of b does not count).
func looksWindows1252(b []byte) bool {
	valid, invalid := 0, 0
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && n <= 1 && !utf8.FullRune(b[i:]):
			i = len(b) // cut by the window's end
		case r == utf8.RuneError && n <= 1:
			invalid++
			i++
		default:
			valid++
			i += n
		}
	}
	return invalid > 0 && valid == 0
}

// utf16WithoutBOM tells UTF-16 text without a BOM by its NUL bytes: ASCII
// characters have a NUL high byte, so most bytes at odd (little endian) or
// even (big endian) offsets are NUL and almost none at the others.
func utf16WithoutBOM(head []byte) string {
	if len(head) < 8 {
		return ""
	}
	n := len(head) &^ 1
	even, odd := 0, 0
	for i := 0; i < n; i += 2 {
		if head[i] == 0 {
			even++
		}
		if head[i+1] == 0 {
			odd++
		}
	}
	pairs := n / 2
	switch {
	case odd*10 >= pairs*7 && even*50 <= pairs:
		return UTF16LE
	case even*10 >= pairs*7 && odd*50 <= pairs:
		return UTF16BE
	}
	return ""
}
