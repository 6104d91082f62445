package xlsx

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// cellStyle is what the reader needs of a cell format: how its number is
// turned into text.
type cellStyle struct {
	kind    fmtKind
	zeros   int    // fmtPadded: the digits shown at least
	prefix  string // fmtPadded: literal text before the digits
	suffix  string // and after
	hasDate bool   // fmtDate: shows a date part
	hasTime bool   // fmtDate: shows a time part
}

type fmtKind uint8

const (
	fmtPlain  fmtKind = iota // the number's digits
	fmtPadded                // digits padded with zeros, with literal text around
	fmtDate                  // a date, time or both
)

// readStyles reads the number format of every cell format (cellXfs).
func (w *Workbook) readStyles(part string) error {
	rc, hint, err := w.open(part)
	if err != nil {
		return nil // a workbook without its styles still has its values
	}
	defer rc.Close()
	s := newScanner(rc, 1<<20, 256<<20, hint)
	custom := map[int]string{}
	inXfs := false
	var ids []int
	for s.next() != tokEOF {
		switch s.kind {
		case tokStart:
			switch string(s.name) {
			case "numFmt":
				id, _ := s.attr("numFmtId")
				code, _ := s.attr("formatCode")
				if n, err := strconv.Atoi(string(id)); err == nil {
					custom[n] = string(appendText(nil, code, false))
				}
			case "cellXfs":
				inXfs = !s.empty
			case "xf":
				if inXfs {
					id, _ := s.attr("numFmtId")
					n, _ := strconv.Atoi(string(id))
					ids = append(ids, n)
				}
			}
		case tokEnd:
			if string(s.name) == "cellXfs" {
				inXfs = false
			}
		}
	}
	if err := s.err(); err != nil {
		return partError(part, err)
	}
	w.styles = make([]cellStyle, len(ids))
	for i, id := range ids {
		code, ok := custom[id]
		if !ok {
			code = builtinFormats[id]
		}
		w.styles[i] = classify(id, code)
	}
	return nil
}

// builtinFormats are the implied format codes that matter here (ECMA-376
// Part 1, 18.8.30): the dates and times. Ids 27-36 and 50-58 are dates in
// East Asian locales.
var builtinFormats = map[int]string{
	14: "mm-dd-yy", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy", 18: "h:mm AM/PM", 19: "h:mm:ss AM/PM",
	20: "h:mm", 21: "h:mm:ss", 22: "m/d/yy h:mm", 45: "mm:ss", 46: "[h]:mm:ss", 47: "mmss.0",
}

// classify tells what a format code does to a number: dates and times are
// told by their letters (d, y, m, h, s outside quotes), and a format whose
// only placeholders are one run of zeros, with literal text around, pads.
func classify(id int, code string) cellStyle {
	if (id >= 27 && id <= 36) || (id >= 50 && id <= 58) {
		return cellStyle{kind: fmtDate, hasDate: true}
	}
	if code == "" || strings.EqualFold(code, "General") {
		return cellStyle{}
	}
	section, _, _ := cutSection(code)
	var letters, prefix, suffix strings.Builder
	zeros, placeholders, runs := 0, 0, 0
	prevPlaceholder, other := false, false
	literal := func(s string) {
		if placeholders == 0 {
			prefix.WriteString(s)
		} else {
			suffix.WriteString(s)
		}
	}
	for i := 0; i < len(section); i++ {
		c := section[i]
		placeholder := false
		switch {
		case c == '"':
			j := strings.IndexByte(section[i+1:], '"')
			if j < 0 {
				j = len(section) - i - 1
			}
			literal(section[i+1 : i+1+j])
			i += j + 1
		case c == '\\' && i+1 < len(section):
			literal(section[i+1 : i+2])
			i++
		case c == '[': // a color, condition, locale or elapsed time
			j := strings.IndexByte(section[i:], ']')
			if j < 0 {
				j = len(section) - i
			}
			switch inner := strings.ToLower(section[i+1 : i+j]); inner {
			case "h", "hh", "m", "mm", "s", "ss":
				letters.WriteString("h")
			}
			i += j
		case c == '0' || c == '#' || c == '?':
			placeholder = true
			placeholders++
			if c == '0' {
				zeros++
			}
		case c == '_' || c == '*':
			i++ // the width of the next character, or a fill: no text
		case strings.IndexByte("$-+/():!^&'~{}<>= ", c) >= 0:
			literal(string(c))
		default:
			letters.WriteByte(c)
			other = true
		}
		if placeholder && !prevPlaceholder {
			runs++
		}
		prevPlaceholder = placeholder
	}
	l := strings.ToLower(letters.String())
	hasDate := strings.ContainsAny(l, "dy")
	hasTime := strings.ContainsAny(l, "hs")
	if !hasDate && !hasTime && strings.Contains(l, "m") {
		hasDate = true // m without h or s is the month
	}
	switch {
	case hasDate || hasTime:
		return cellStyle{kind: fmtDate, hasDate: hasDate, hasTime: hasTime}
	case !other && runs == 1 && zeros == placeholders && (zeros > 1 || prefix.Len()+suffix.Len() > 0):
		return cellStyle{kind: fmtPadded, zeros: zeros, prefix: prefix.String(), suffix: suffix.String()}
	}
	return cellStyle{}
}

// cutSection returns the first of a format's ;-separated sections (the one
// for positive numbers), ignoring ; inside quotes.
func cutSection(code string) (string, string, bool) {
	inQuote := false
	for i := 0; i < len(code); i++ {
		switch code[i] {
		case '"':
			inQuote = !inQuote
		case '\\':
			i++
		case ';':
			if !inQuote {
				return code[:i], code[i+1:], true
			}
		}
	}
	return code, "", false
}

// decimalText writes a number as SpreadsheetML stores it ("4.14466818E10",
// "41446681800.0", "-1.5E-3") in plain decimal notation with its digits
// exactly: "41446681800", "-0.0015". ok is false for text that is not a
// number, which is then kept as it is.
func decimalText(v []byte) (string, bool) {
	s := strings.TrimSpace(string(v))
	if s == "" {
		return "", false
	}
	neg := false
	i := 0
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		i++
	}
	var digits []byte
	point := -1 // digits before the decimal point
	for ; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			digits = append(digits, c)
		} else if c == '.' && point < 0 {
			point = len(digits)
		} else {
			break
		}
	}
	if len(digits) == 0 {
		return "", false
	}
	if point < 0 {
		point = len(digits)
	}
	if i < len(s) {
		if s[i] != 'e' && s[i] != 'E' {
			return "", false
		}
		exp, err := strconv.Atoi(s[i+1:])
		if err != nil || exp > 400 || exp < -400 {
			return "", false
		}
		point += exp
	}
	// Place the point, padding with zeros where it falls outside the digits.
	var intPart, frac []byte
	switch {
	case point <= 0:
		intPart = []byte{'0'}
		frac = append(make([]byte, 0, -point+len(digits)), []byte(strings.Repeat("0", -point))...)
		frac = append(frac, digits...)
	case point >= len(digits):
		intPart = append(digits, []byte(strings.Repeat("0", point-len(digits)))...)
	default:
		intPart, frac = digits[:point], digits[point:]
	}
	for len(intPart) > 1 && intPart[0] == '0' {
		intPart = intPart[1:]
	}
	for len(frac) > 0 && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	out := string(intPart)
	if len(frac) > 0 {
		out += "." + string(frac)
	}
	if neg && out != "0" {
		out = "-" + out
	}
	return out, true
}

// padded applies a format of zeros to a whole non-negative number; other
// numbers keep their digits.
func (st *cellStyle) padded(num string) string {
	if strings.ContainsAny(num, ".-") {
		return num
	}
	if len(num) < st.zeros {
		num = strings.Repeat("0", st.zeros-len(num)) + num
	}
	return st.prefix + num + st.suffix
}

// dateText writes a date serial number in ISO 8601: 2024-03-05,
// 2024-03-05 13:45:00 or 13:45:00, as the format shows a date, a time or
// both. Serial numbers outside Excel's dates keep their digits.
func (st *cellStyle) dateText(num string, date1904 bool) (string, bool) {
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 || f >= 2958466 || math.IsNaN(f) {
		return "", false
	}
	days := math.Floor(f)
	secs := math.Round((f - days) * 86400)
	if secs >= 86400 {
		days++
		secs -= 86400
	}
	var base time.Time
	switch {
	case date1904:
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	case days >= 61:
		base = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	case days == 60:
		// Excel's 1900-02-29, which never was (kept from Lotus 1-2-3).
		return withTime("1900-02-29", secs, st), true
	default:
		base = time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	t := base.AddDate(0, 0, int(days)).Add(time.Duration(secs) * time.Second)
	if !st.hasDate || days == 0 && !date1904 && st.hasTime {
		return t.Format("15:04:05"), true
	}
	return withTime(t.Format("2006-01-02"), secs, st), true
}

func withTime(date string, secs float64, st *cellStyle) string {
	if !st.hasTime {
		return date
	}
	s := int(secs)
	return fmt.Sprintf("%s %02d:%02d:%02d", date, s/3600, s/60%60, s%60)
}
