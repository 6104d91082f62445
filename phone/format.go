package phone

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"

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
	fixed  bool // every atom repeats exactly min times: nothing to backtrack
}

// newSeqPattern returns the sequence form of a pattern parsed as regexp
// parses it (syntax.Perl), or nil if it has none.
func newSeqPattern(re *syntax.Regexp) *seqPattern {
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
	p.fixed = true
	for _, a := range p.atoms {
		p.fixed = p.fixed && a.min == a.max
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
	if !p.fixed {
		return p.try(nsn, 0, 0, pos)
	}
	at := 0
	for i, a := range p.atoms {
		pos[i] = at
		if at+a.min > len(nsn) {
			return false
		}
		for _, c := range []byte(nsn[at : at+a.min]) {
			if a.mask>>(c-'0')&1 == 0 {
				return false
			}
		}
		at += a.min
	}
	pos[len(p.atoms)] = at
	return true
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

// expander returns a regexp that expands templates as the pattern's own
// would (regexp.Expand reads only its groups' count and names): one made of
// as many empty groups, shared by all patterns with that many, unless the
// pattern names its groups; then the pattern itself. It returns nil when
// there are too many groups for a template.
func expander(parsed *syntax.Regexp, pattern *lazyRegexp) *regexp.Regexp {
	groups := parsed.MaxCap()
	if groups >= tmplWhole {
		return nil
	}
	for _, name := range parsed.CapNames() {
		if name != "" {
			return pattern.get()
		}
	}
	e := &emptyGroups[groups]
	e.once.Do(func() { e.re = regexp.MustCompile(strings.Repeat("()", groups)) })
	return e.re
}

var emptyGroups [tmplWhole]struct {
	once sync.Once
	re   *regexp.Regexp
}

// newTemplate prepares rule as regexp.Expand reads it for re (see
// expander), by expanding it against marker bytes: group g is byte g, the
// whole match byte 0x1F. It returns nil when there is no re, or the rule
// holds such bytes itself.
func newTemplate(re *regexp.Regexp, rule string) template {
	if re == nil {
		return nil
	}
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
	var m seqMatch
	if f.seq == nil || t == nil {
		return dst, false
	}
	pos, ok := m.of(f, nsn)
	if !ok {
		return dst, false
	}
	return f.expand(dst, nsn, pos, t), true
}

// seqMatch remembers where the groups of one format's sequence matched a
// number, so that the international and the national rule, which mostly
// share the format, match once.
type seqMatch struct {
	f   *numberFormat
	ok  bool
	n   int
	pos [33]int
}

// of is f.seq's match of nsn: the atoms' positions, and whether it matched
// all of nsn (else the regexp formats it).
func (m *seqMatch) of(f *numberFormat, nsn string) ([]int, bool) {
	if m.f != f {
		m.f, m.n = f, len(f.seq.atoms)+1
		m.ok = f.seq.match(nsn, m.pos[:m.n]) && m.pos[m.n-1] == len(nsn)
	}
	return m.pos[:m.n], m.ok
}

// expand appends the rule t with the groups of nsn at pos.
func (f *numberFormat) expand(dst []byte, nsn string, pos []int, t template) []byte {
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
	return dst
}

// plan is a template applied to a fixed-length sequence, whose groups
// always start at the same places: output byte i is nsn[plan[i]] when
// plan[i] >= 0, else the literal byte ^plan[i]. Writing it is one loop,
// where expand appends a few bytes at a time.
type plan []int16

// newPlan is t for the fixed-length sequence p.
func newPlan(p *seqPattern, t template) plan {
	starts := make([]int, len(p.atoms)+1)
	for i, a := range p.atoms {
		starts[i+1] = starts[i] + a.min
	}
	out := plan{}
	span := func(from, to int) {
		for i := from; i < to; i++ {
			out = append(out, int16(i))
		}
	}
	for _, piece := range t {
		switch {
		case piece.group < 0:
			for i := 0; i < len(piece.lit); i++ {
				out = append(out, ^int16(piece.lit[i]))
			}
		case piece.group == 0:
			span(0, starts[len(p.atoms)])
		case piece.group <= len(p.groups):
			g := p.groups[piece.group-1]
			span(starts[g[0]], starts[g[1]])
		}
	}
	return out
}

// appendTo appends nsn, which p's sequence matched, written by the plan.
func (pl plan) appendTo(dst []byte, nsn string) []byte {
	n := len(dst)
	dst = slices.Grow(dst, len(pl))[:n+len(pl)]
	out := dst[n:]
	for i, x := range pl {
		if x >= 0 {
			out[i] = nsn[x]
		} else {
			out[i] = byte(^x)
		}
	}
	return dst
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
