package phone

import (
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/phonecheck/phonecheck/phone/internal/automata"
)

// Formatting without regexps. The formats automaton chooses the pattern
// (chooseFormattingPatternForNumber) in one walk. Then the pattern's groups
// are needed, as the regexp's leftmost-first match finds them: for patterns
// that are a sequence of digit classes with bounded greedy repetition (all
// of the metadata's but a few), seqPattern finds them by the same
// backtracking order, and a template prepared from the format rule writes
// the result. Anything else, and a match that does not cover the whole
// number (ReplaceAllString would go on), is left to the regexp.

// seqAtom is a digit class repeated min to max times, greedily.
type seqAtom struct {
	mask     uint16
	min, max int
}

// seqPattern is a concatenation of atoms; group g (1-based) spans atoms
// groups[g-1][0] up to groups[g-1][1].
type seqPattern struct {
	atoms  []seqAtom
	groups [][2]int
}

// newSeqPattern returns the sequence form of pattern, or nil if it has none.
func newSeqPattern(pattern string) *seqPattern {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	p := &seqPattern{}
	items := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		items = re.Sub
	}
	for _, item := range items {
		if item.Op != syntax.OpCapture {
			if !p.addAtoms(item) {
				return nil
			}
			continue
		}
		if item.Cap != len(p.groups)+1 {
			return nil
		}
		first := len(p.atoms)
		inner := []*syntax.Regexp{item.Sub[0]}
		if item.Sub[0].Op == syntax.OpConcat {
			inner = item.Sub[0].Sub
		}
		for _, sub := range inner {
			if !p.addAtoms(sub) {
				return nil
			}
		}
		p.groups = append(p.groups, [2]int{first, len(p.atoms)})
	}
	if len(p.atoms) == 0 || len(p.atoms) > 32 {
		return nil
	}
	return p
}

// addAtoms appends the atoms of re, if it is made of atoms.
func (p *seqPattern) addAtoms(re *syntax.Regexp) bool {
	if re.Op == syntax.OpLiteral {
		if re.Flags&syntax.FoldCase != 0 {
			return false
		}
		for _, r := range re.Rune {
			if r < '0' || r > '9' {
				return false
			}
			p.atoms = append(p.atoms, seqAtom{mask: 1 << (r - '0'), min: 1, max: 1})
		}
		return true
	}
	lo, hi, sub := 1, 1, re
	switch re.Op {
	case syntax.OpRepeat:
		lo, hi, sub = re.Min, re.Max, re.Sub[0]
	case syntax.OpQuest:
		lo, hi, sub = 0, 1, re.Sub[0]
	}
	if sub != re && (re.Flags&syntax.NonGreedy != 0 || hi < 0 || hi > 64) {
		return false
	}
	var mask uint16
	switch sub.Op {
	case syntax.OpCharClass:
		for i := 0; i+1 < len(sub.Rune); i += 2 {
			if sub.Rune[i] < '0' || sub.Rune[i+1] > '9' {
				return false // a class beyond the digits: leave it to the regexp
			}
			for r := sub.Rune[i]; r <= sub.Rune[i+1]; r++ {
				mask |= 1 << (r - '0')
			}
		}
	case syntax.OpLiteral:
		if len(sub.Rune) != 1 || sub.Rune[0] < '0' || sub.Rune[0] > '9' || sub.Flags&syntax.FoldCase != 0 {
			return false
		}
		mask = 1 << (sub.Rune[0] - '0')
	default:
		return false
	}
	if mask == 0 {
		return false
	}
	p.atoms = append(p.atoms, seqAtom{mask: mask, min: lo, max: hi})
	return true
}

// match finds the first match at the start of nsn in backtracking order
// (greedy: more repetitions first), which is the regexp's leftmost-first
// match when one starts at 0. pos[i] is where atom i starts, pos[len] the
// end.
func (p *seqPattern) match(nsn string, pos []int) bool {
	return p.try(nsn, 0, 0, pos)
}

func (p *seqPattern) try(nsn string, i, at int, pos []int) bool {
	pos[i] = at
	if i == len(p.atoms) {
		return true
	}
	a := p.atoms[i]
	n := 0
	for n < a.max && at+n < len(nsn) && a.mask>>(nsn[at+n]-'0')&1 != 0 {
		n++
	}
	for k := n; k >= a.min; k-- {
		if p.try(nsn, i+1, at+k, pos) {
			return true
		}
	}
	return false
}

// template is a replacement rule as pieces: literal text, or a group
// (tmplWhole for $0).
type template []tmplPiece

type tmplPiece struct {
	lit   string
	group int // -1: literal
}

const tmplWhole = 0x1F

// newTemplate prepares rule as regexp.Expand reads it, by expanding it
// against marker bytes: group g is byte g, the whole match byte 0x1F.
// It returns nil when the rule holds such bytes itself.
func newTemplate(re *regexp.Regexp, rule string) template {
	groups := re.NumSubexp()
	if groups >= tmplWhole || strings.IndexFunc(rule, func(r rune) bool { return r < 0x20 }) >= 0 {
		return nil
	}
	src := make([]byte, 1+groups)
	match := make([]int, 2*(1+groups))
	src[0] = tmplWhole
	match[0], match[1] = 0, 1
	for g := 1; g <= groups; g++ {
		src[g] = byte(g)
		match[2*g], match[2*g+1] = g, g+1
	}
	out := re.Expand(nil, []byte(rule), src, match)
	t := template{}
	lit := 0
	for i, c := range out {
		if c < 0x20 {
			if lit < i {
				t = append(t, tmplPiece{lit: string(out[lit:i]), group: -1})
			}
			g := int(c)
			if c == tmplWhole {
				g = 0
			}
			t = append(t, tmplPiece{group: g})
			lit = i + 1
		}
	}
	if lit < len(out) {
		t = append(t, tmplPiece{lit: string(out[lit:]), group: -1})
	}
	return t
}

// appendFormatted appends nsn formatted with f's rule t, or reports false
// when the regexp must do it.
func (f *numberFormat) appendFormatted(dst []byte, nsn string, t template) ([]byte, bool) {
	if f.seq == nil || t == nil {
		return dst, false
	}
	var buf [33]int
	pos := buf[:len(f.seq.atoms)+1]
	if !f.seq.match(nsn, pos) || pos[len(pos)-1] != len(nsn) {
		return dst, false
	}
	for _, piece := range t {
		switch {
		case piece.group < 0:
			dst = append(dst, piece.lit...)
		case piece.group == 0:
			dst = append(dst, nsn...)
		case piece.group <= len(f.seq.groups):
			g := f.seq.groups[piece.group-1]
			dst = append(dst, nsn[pos[g[0]]:pos[g[1]]]...)
		}
	}
	return dst, true
}

// choose is chooseFormattingPatternForNumber over the national (intl false)
// or international formats; nil when no format applies.
func (rm *regionMeta) choose(intl bool, nsn string) *numberFormat {
	formats, start := rm.formats, rm.formatsA
	if intl {
		formats, start = rm.intlFormats, rm.intlA
	}
	if rm.auto == nil || start == automata.NoAutomaton {
		return choose(formats, nsn)
	}
	whole, prefix := rm.auto.walk(start, nsn)
	for i := range formats {
		f := &formats[i]
		if whole&(1<<i) != 0 && (f.leading == nil || prefix&(1<<(automata.LeadingTag+i)) != 0) {
			return f
		}
	}
	return nil
}
