package xlsx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// scanner is a pull tokenizer for the XML of workbook parts. It knows only
// what SpreadsheetML needs: start and end tags (by local name, so x:row and
// row are alike), attributes, character data with entity and character
// references, CDATA; comments, processing instructions and the DOCTYPE are
// skipped. It does no namespace or well-formedness checking beyond what
// reading needs: a part a spreadsheet program wrote reads as encoding/xml
// reads it, and anything else gives a row or an error, never a panic.
//
// encoding/xml allocates for every token and reads a million-row sheet in
// about ten seconds; this reads the bytes in place.
type scanner struct {
	r        io.Reader
	buf      []byte
	pos, end int
	rerr     error // from r, reported once the buffer is used up
	max      int   // the longest token allowed
	read     int64 // bytes consumed before buf[0]
	limit    int64 // the most bytes the part may hold (0: none)

	// The current token.
	kind  tokKind
	name  []byte // local name of a tag
	attrs []attr // of a start tag
	empty bool   // a start tag that closes itself (<c/>)
	text  []byte // character data, raw (references not yet decoded)
	cdata bool   // text is from a CDATA section: no references
}

type tokKind uint8

const (
	tokNone tokKind = iota
	tokStart
	tokEnd
	tokText
	tokEOF
)

type attr struct {
	name  []byte // local name
	value []byte // raw (references not yet decoded)
}

// errTokenTooLong is wrapped when one tag or run of text is longer than
// max, errPartLimit when a part holds more than its limit.
var (
	errTokenTooLong = errors.New("an XML token is too long")
	errPartLimit    = errors.New("a part over its size limit")
)

const scanBuf = 256 << 10

// newScanner reads r, whose size is about hint, with tokens of at most max
// bytes and at most limit bytes in all.
func newScanner(r io.Reader, max int, limit, hint int64) *scanner {
	return &scanner{r: r, buf: make([]byte, bufferFor(hint, scanBuf)), max: max, limit: limit}
}

// bufferFor sizes a buffer for a part of about hint bytes (as its zip
// entry declares): small parts get small buffers, up to most.
func bufferFor(hint int64, most int) int {
	return int(max(4096, min(hint+1, int64(most))))
}

// offset is how many bytes of the part have been consumed.
func (s *scanner) offset() int64 { return s.read + int64(s.pos) }

// fill moves buf[keep:end] to the front (s.pos moves with it) and reads
// more after it, growing the buffer when the kept bytes fill it. It returns
// false at the end of input or on an error (kept in rerr).
func (s *scanner) fill(keep int) bool {
	if keep > 0 {
		n := copy(s.buf, s.buf[keep:s.end])
		s.read += int64(keep)
		s.pos -= keep
		s.end = n
	}
	if s.rerr != nil {
		return false
	}
	if s.end == len(s.buf) {
		if len(s.buf) > s.max {
			s.rerr = fmt.Errorf("%w (more than %d bytes)", errTokenTooLong, s.max)
			return false
		}
		nb := make([]byte, min(2*len(s.buf), s.max+1))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if s.limit > 0 && s.read+int64(s.end) > s.limit {
			s.rerr = fmt.Errorf("%w: more than %d bytes of XML", errPartLimit, s.limit)
			return false
		}
		if err != nil {
			s.rerr = err
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

// err is the read error that ended the input, nil at a clean end.
func (s *scanner) err() error {
	if s.rerr == io.EOF {
		return nil
	}
	return s.rerr
}

// next reads the next token. At the end of the input it returns tokEOF; on
// an error (a read error, a token too long, a truncated part) it returns
// tokEOF and err says why.
func (s *scanner) next() tokKind {
	for {
		if s.pos >= s.end {
			start := s.pos
			if !s.fill(start) {
				s.kind = tokEOF
				return tokEOF
			}
		}
		if s.buf[s.pos] != '<' {
			return s.scanText()
		}
		k, ok := s.scanMarkup()
		if !ok {
			s.kind = tokEOF
			if s.rerr == io.EOF {
				s.rerr = io.ErrUnexpectedEOF
			}
			return tokEOF
		}
		if k != tokNone {
			s.kind = k
			return k
		}
	}
}

// scanText reads character data up to the next '<' (or the end).
func (s *scanner) scanText() tokKind {
	from := s.pos
	for {
		if i := bytes.IndexByte(s.buf[from:s.end], '<'); i >= 0 {
			s.text, s.cdata = s.buf[s.pos:from+i], false
			s.pos = from + i
			s.kind = tokText
			return tokText
		}
		searched := s.end - s.pos
		if !s.fill(s.pos) {
			if s.rerr != io.EOF {
				s.kind = tokEOF
				return tokEOF
			}
			// Text after the last tag, such as a final newline.
			s.text, s.cdata = s.buf[s.pos:s.end], false
			s.pos = s.end
			s.kind = tokText
			return tokText
		}
		from = s.pos + searched
	}
}

// scanMarkup reads what starts at '<'. It returns tokNone for what is
// skipped (comments, processing instructions, DOCTYPE); ok is false when
// the input ends inside the markup.
func (s *scanner) scanMarkup() (tokKind, bool) {
	if s.pos+1 < s.end && s.buf[s.pos+1] != '!' && s.buf[s.pos+1] != '?' {
		return s.scanTag() // the common case
	}
	// Make sure the few bytes that tell the kind are there.
	for s.end-s.pos < 9 {
		if !s.fill(s.pos) {
			break
		}
	}
	rest := s.buf[s.pos:s.end]
	switch {
	case bytes.HasPrefix(rest, []byte("<!--")):
		return tokNone, s.skipPast(4, "-->")
	case bytes.HasPrefix(rest, []byte("<![CDATA[")):
		i, ok := s.find(9, "]]>")
		if !ok {
			return tokNone, false
		}
		s.text, s.cdata = s.buf[s.pos+9:i], true // find keeps s.pos at the markup
		s.pos = i + 3
		return tokText, true
	case bytes.HasPrefix(rest, []byte("<?")):
		return tokNone, s.skipPast(2, "?>")
	case bytes.HasPrefix(rest, []byte("<!")):
		return tokNone, s.skipTag()
	}
	return s.scanTag()
}

// find looks for sep after s.pos+from, filling as needed; it returns its
// index in buf (s.pos stays at the markup's start, which fills keep).
func (s *scanner) find(from int, sep string) (int, bool) {
	at := s.pos + from
	for {
		if at <= s.end {
			if i := bytes.Index(s.buf[at:s.end], []byte(sep)); i >= 0 {
				return at + i, true
			}
		}
		// Search again from just before the end: sep may straddle it.
		at = max(s.pos+from, s.end-len(sep)+1)
		keep := s.pos
		if !s.fill(keep) {
			return 0, false
		}
		at -= keep
	}
}

func (s *scanner) skipPast(from int, sep string) bool {
	i, ok := s.find(from, sep)
	if ok {
		s.pos = i + len(sep)
	}
	return ok
}

// skipTag skips a <!...> declaration, allowing one level of [...] (a
// DOCTYPE's internal subset).
func (s *scanner) skipTag() bool {
	depth := 0
	i := s.pos + 2
	for {
		for ; i < s.end; i++ {
			switch s.buf[i] {
			case '[':
				depth++
			case ']':
				depth--
			case '>':
				if depth <= 0 {
					s.pos = i + 1
					return true
				}
			}
		}
		keep := s.pos
		if !s.fill(keep) {
			return false
		}
		i -= keep
	}
}

// scanTag reads a start or end tag whose '<' is at s.pos.
func (s *scanner) scanTag() (tokKind, bool) {
	i, ok := s.tagEnd()
	if !ok {
		return tokNone, false
	}
	tag := s.buf[s.pos+1 : i]
	s.pos = i + 1
	end := len(tag) > 0 && tag[0] == '/'
	if end {
		tag = tag[1:]
	}
	s.empty = len(tag) > 0 && tag[len(tag)-1] == '/'
	if s.empty {
		tag = tag[:len(tag)-1]
	}
	n := 0
	for n < len(tag) && !isSpace(tag[n]) {
		n++
	}
	s.name = localName(tag[:n])
	s.attrs = s.attrs[:0]
	if end {
		s.empty = false
		return tokEnd, true
	}
	s.parseAttrs(tag[n:])
	return tokStart, true
}

// tagEnd finds the '>' that ends the tag at s.pos, outside quoted
// attribute values, filling as needed.
func (s *scanner) tagEnd() (int, bool) {
	from := s.pos + 1
	for {
		if j := bytes.IndexByte(s.buf[from:s.end], '>'); j >= 0 {
			i := from + j
			tag := s.buf[s.pos+1 : i]
			// Without quotes, or with both kinds balanced and not nested,
			// this '>' ends the tag (the common case, seen at SIMD speed).
			if bytes.IndexByte(tag, '\'') < 0 && bytes.Count(tag, []byte{'"'})%2 == 0 ||
				bytes.IndexByte(tag, '"') < 0 && bytes.Count(tag, []byte{'\''})%2 == 0 {
				return i, true
			}
			return s.tagEndQuoted()
		}
		searched := s.end - s.pos
		if !s.fill(s.pos) {
			return 0, false
		}
		from = s.pos + searched
	}
}

// tagEndQuoted is tagEnd byte by byte, following the quotes.
func (s *scanner) tagEndQuoted() (int, bool) {
	i := s.pos + 1
	var quote byte
	for {
		for ; i < s.end; i++ {
			c := s.buf[i]
			if quote != 0 {
				if c == quote {
					quote = 0
				}
				continue
			}
			if c == '"' || c == '\'' {
				quote = c
			} else if c == '>' {
				return i, true
			}
		}
		keep := s.pos
		if !s.fill(keep) {
			return 0, false
		}
		i -= keep
	}
}

// parseAttrs reads name="value" pairs; anything it cannot read ends them.
func (s *scanner) parseAttrs(b []byte) {
	for {
		i := 0
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		start := i
		for i < len(b) && b[i] != '=' && !isSpace(b[i]) {
			i++
		}
		name := b[start:i]
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if len(name) == 0 || i >= len(b) || b[i] != '=' {
			return
		}
		i++
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i >= len(b) || b[i] != '"' && b[i] != '\'' {
			return
		}
		q := b[i]
		j := bytes.IndexByte(b[i+1:], q)
		if j < 0 {
			return
		}
		s.attrs = append(s.attrs, attr{name: localName(name), value: b[i+1 : i+1+j]})
		b = b[i+2+j:]
	}
}

// attr returns the raw value of the current start tag's attribute.
func (s *scanner) attr(name string) ([]byte, bool) {
	for _, a := range s.attrs {
		if string(a.name) == name {
			return a.value, true
		}
	}
	return nil, false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// localName drops a namespace prefix: x:row is row.
func localName(b []byte) []byte {
	for i, c := range b {
		if c == ':' {
			return b[i+1:]
		}
	}
	return b
}

// appendText appends character data with its references decoded and its
// line ends normalized (CRLF and CR to LF), as an XML processor reports
// them. An unknown or malformed reference is kept as it is written.
func appendText(dst, raw []byte, cdata bool) []byte {
	if bytes.IndexByte(raw, '\r') < 0 && (cdata || bytes.IndexByte(raw, '&') < 0) {
		return append(dst, raw...)
	}
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\r':
			dst = append(dst, '\n')
			i++
			if i < len(raw) && raw[i] == '\n' {
				i++
			}
		case c == '&' && !cdata:
			r, n := reference(raw[i:])
			if n == 0 {
				dst = append(dst, '&')
				i++
				continue
			}
			dst = utf8.AppendRune(dst, r)
			i += n
		default:
			j := i + 1
			for j < len(raw) && raw[j] != '\r' && (cdata || raw[j] != '&') {
				j++
			}
			dst = append(dst, raw[i:j]...)
			i = j
		}
	}
	return dst
}

// reference decodes the entity or character reference at the start of b
// and returns its length, 0 if there is none.
func reference(b []byte) (rune, int) {
	end := bytes.IndexByte(b, ';')
	if end < 2 || end > 12 {
		return 0, 0
	}
	name := b[1:end]
	switch string(name) {
	case "lt":
		return '<', end + 1
	case "gt":
		return '>', end + 1
	case "amp":
		return '&', end + 1
	case "quot":
		return '"', end + 1
	case "apos":
		return '\'', end + 1
	}
	if name[0] != '#' || len(name) < 2 {
		return 0, 0
	}
	var v uint64
	var err error
	if name[1] == 'x' {
		v, err = strconv.ParseUint(string(name[2:]), 16, 32)
	} else {
		v, err = strconv.ParseUint(string(name[1:]), 10, 32)
	}
	if err != nil || v > utf8.MaxRune || !utf8.ValidRune(rune(v)) {
		return 0, 0
	}
	return rune(v), end + 1
}
