package input

import (
	"bufio"
	"bytes"
	"strings"
)

// Delimiters are the separators a delimited file may use, in the order
// they win a tie.
var Delimiters = []byte{',', ';', '\t', '|'}

// sniffLines is how many records of the sample the sniffer weighs.
const sniffLines = 200

// sniffDelimiter finds the separator of a sample of decoded text: the one
// that splits its records (quotes followed across lines) into the same
// number of fields, two or more, most consistently. Excel's "sep=;" first
// line names it outright. It returns 0 when no separator qualifies: a file
// of one value per line.
func sniffDelimiter(sample []byte, complete bool) (sep byte, sepLine bool) {
	if d, ok := sepDirective(sample); ok {
		return d, true
	}
	best, bestScore := byte(0), 0.0
	for _, d := range Delimiters {
		if score := delimiterScore(sample, d, complete); score > bestScore {
			best, bestScore = d, score
		}
	}
	return best, false
}

// sepDirective reads Excel's "sep=X" first line.
func sepDirective(sample []byte) (byte, bool) {
	first, _, _ := bytes.Cut(bytes.TrimPrefix(sample, []byte("\xEF\xBB\xBF")), []byte("\n"))
	first = bytes.TrimRight(first, "\r")
	if len(first) == 5 && strings.EqualFold(string(first[:4]), "sep=") {
		return first[4], true
	}
	return 0, false
}

// delimiterScore rates separator d on the sample: 0 unless the first
// record and at least 90% of all have two fields or more, and the most
// common count of fields is had by at least 60%; then that share, with a
// little for more fields (so that ';' wins over ',' in "1,5;2,5;3").
func delimiterScore(sample []byte, d byte, complete bool) float64 {
	rr := newRecordReader(bufio.NewReaderSize(bytes.NewReader(sample), len(sample)+16), d, len(sample)+1)
	counts := map[int]int{}
	var text []byte
	var ends []int
	records, multi, firstFields := 0, 0, 0
	for records < sniffLines {
		text, ends = text[:0], ends[:0]
		var err error
		text, ends, _, err = rr.read(text, ends)
		if err != nil {
			break
		}
		if !complete && rr.br.Buffered() == 0 {
			break // the record may be cut by the sample's end
		}
		if blankFields(text) {
			continue
		}
		n := len(ends)
		if records == 0 {
			firstFields = n
		}
		records++
		counts[n]++
		if n >= 2 {
			multi++
		}
	}
	if records == 0 || firstFields < 2 || multi*10 < records*9 {
		return 0
	}
	mode, modeCount := 0, 0
	for n, c := range counts {
		if c > modeCount || c == modeCount && n > mode {
			mode, modeCount = n, c
		}
	}
	if mode < 2 || modeCount*10 < records*6 {
		return 0
	}
	return float64(modeCount)/float64(records) + float64(min(mode, 50))/1000
}

// blankFields reports whether a record's text is only white space.
func blankFields(text []byte) bool {
	return len(bytes.TrimSpace(text)) == 0
}
