package phone

import (
	_ "embed"
	"strconv"

	"github.com/phonecheck/phonecheck/phone/internal/automata"
)

//go:generate go run ./internal/gen -o automata.bin

// automataBin holds the metadata's digit patterns compiled into automata by
// internal/gen (see internal/automata): for each region, one automaton for
// the number types, one for the formats, one for the international and one
// for the national prefix. TestGeneratedFresh fails when it is stale.
//
//go:embed automata.bin
var automataBin []byte

// dfa is the decoded transition table shared by all regions: state 0 is
// dead, trans[10*s+d] follows digit d from state s, label[s] holds the tags
// whose pattern accepts in s.
type dfa struct {
	trans []uint32
	label []uint64
}

// loadAutomata decodes the embedded tables and returns them with the entries
// by region (or non-geographical calling code). Each entry carries the
// digest of the patterns it was built from: a region whose patterns differ
// (automata.bin is stale) gets no automata, and its regexps answer.
func loadAutomata(data []byte) (*dfa, map[string]*automata.Entry, error) {
	t, err := automata.Decode(data)
	if err != nil {
		return nil, nil, err
	}
	entries := make(map[string]*automata.Entry, len(t.Entries))
	for i := range t.Entries {
		e := &t.Entries[i]
		entries[entryKey(e.ID, int(e.CC))] = e
	}
	return &dfa{trans: t.Trans, label: t.Label}, entries, nil
}

func entryKey(id string, cc int) string { return id + "/" + strconv.Itoa(cc) }

// walk runs the automaton from start over digits, and returns the label of
// the last state (the tags that match the whole string) and the union of
// the labels along the way (the tags that match a prefix).
func (a *dfa) walk(start uint32, digits string) (whole, prefix uint64) {
	s := start
	prefix = a.label[s]
	for i := 0; i < len(digits); i++ {
		d := uint32(digits[i] - '0')
		if d > 9 {
			return 0, prefix
		}
		if s = a.trans[10*s+d]; s == 0 {
			return 0, prefix
		}
		prefix |= a.label[s]
	}
	return a.label[s], prefix
}

// matchWhole reports whether the pattern of tag 0 matches all of digits.
func (a *dfa) matchWhole(start uint32, digits []byte) uint64 {
	s := start
	for _, c := range digits {
		d := uint32(c - '0')
		if d > 9 {
			return 0
		}
		if s = a.trans[10*s+d]; s == 0 {
			return 0
		}
	}
	return a.label[s]
}

// prefixEnds returns where prefixes of digits matching tag 0 end: the
// number of such prefixes (0, 1, or 2 for more than one) and the end of the
// last. A regexp's leftmost-first match at 0 ends at one of them: when there
// is just one, it ends there, whatever the regexp's preferences.
func (a *dfa) prefixEnds(start uint32, digits []byte) (count, end int) {
	s := start
	if a.label[s]&1 != 0 {
		count = 1
	}
	for i, c := range digits {
		d := uint32(c - '0')
		if d > 9 {
			break
		}
		if s = a.trans[10*s+d]; s == 0 {
			break
		}
		if a.label[s]&1 != 0 {
			count, end = min(count+1, 2), i+1
		}
	}
	return count, end
}
