// Package automata compiles the digit patterns of libphonenumber's metadata
// into deterministic finite automata over the digits 0-9, and encodes them as
// the tables the phone package walks at run time.
//
// A pattern is parsed with regexp/syntax, the same parser Go's regexp uses,
// translated into a Thompson NFA whose edges are sets of digits (a character
// class is intersected with 0-9: the engine only ever matches strings of ASCII
// digits, so every other character is a transition nowhere), and determinized
// by subset construction. Several patterns share one automaton: each gets a
// tag bit, and a state's label is the set of tags whose pattern accepts there.
// The automata of all regions are then minimized together (Moore's partition
// refinement), which also merges the states regions have in common.
//
// A walk over the digits answers, for every tag at once, whether the pattern
// matches the whole string (the label of the last state) and whether it
// matches a prefix (the labels along the way): exactly what regexp's
// MatchString answers for ^(?:p)$ and ^(?:p) on a digit string, since match or
// no match does not depend on which of several ways a regexp matches.
package automata

import (
	"fmt"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
)

// allDigits is the digit set of \d (Perl classes in RE2 are ASCII-only).
const allDigits = 1<<10 - 1

// nstate is one NFA state: either a digit edge (mask != 0 or fail) to next,
// an epsilon split to eps, or an accepting state for tag.
type nstate struct {
	mask uint16
	next int
	eps  []int
	tag  int // >= 0: accepting for this tag
	kind uint8
}

const (
	kEdge uint8 = iota
	kSplit
	kAccept
)

type nfa struct{ states []nstate }

func (n *nfa) add(s nstate) int {
	n.states = append(n.states, s)
	return len(n.states) - 1
}

func (n *nfa) edge(mask uint16, next int) int {
	return n.add(nstate{kind: kEdge, mask: mask, next: next, tag: -1})
}

func (n *nfa) split(eps ...int) int {
	return n.add(nstate{kind: kSplit, eps: eps, tag: -1})
}

// fail is a state that matches nothing.
func (n *nfa) fail() int { return n.edge(0, -1) }

// compile adds re, continued by next, and returns its start state.
func (n *nfa) compile(re *syntax.Regexp, next int) (int, error) {
	switch re.Op {
	case syntax.OpNoMatch:
		return n.fail(), nil
	case syntax.OpEmptyMatch:
		return next, nil
	case syntax.OpLiteral:
		s := next
		for i := len(re.Rune) - 1; i >= 0; i-- {
			r := re.Rune[i]
			if r < '0' || r > '9' {
				return n.fail(), nil // a character no digit string holds
			}
			s = n.edge(1<<(r-'0'), s)
		}
		return s, nil
	case syntax.OpCharClass:
		var mask uint16
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := max(re.Rune[i], '0'), min(re.Rune[i+1], '9')
			for r := lo; r <= hi; r++ {
				mask |= 1 << (r - '0')
			}
		}
		if mask == 0 {
			return n.fail(), nil
		}
		return n.edge(mask, next), nil
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return n.edge(allDigits, next), nil
	case syntax.OpCapture:
		return n.compile(re.Sub[0], next)
	case syntax.OpConcat:
		s := next
		for i := len(re.Sub) - 1; i >= 0; i-- {
			var err error
			if s, err = n.compile(re.Sub[i], s); err != nil {
				return 0, err
			}
		}
		return s, nil
	case syntax.OpAlternate:
		starts := make([]int, len(re.Sub))
		for i, sub := range re.Sub {
			var err error
			if starts[i], err = n.compile(sub, next); err != nil {
				return 0, err
			}
		}
		return n.split(starts...), nil
	case syntax.OpQuest:
		s, err := n.compile(re.Sub[0], next)
		if err != nil {
			return 0, err
		}
		return n.split(s, next), nil
	case syntax.OpStar:
		loop := n.split()
		body, err := n.compile(re.Sub[0], loop)
		if err != nil {
			return 0, err
		}
		n.states[loop].eps = []int{body, next}
		return loop, nil
	case syntax.OpPlus:
		loop := n.split()
		body, err := n.compile(re.Sub[0], loop)
		if err != nil {
			return 0, err
		}
		n.states[loop].eps = []int{body, next}
		return body, nil
	case syntax.OpRepeat:
		if re.Max > 1000 || re.Min > 1000 {
			return 0, fmt.Errorf("repetition {%d,%d} too large", re.Min, re.Max)
		}
		s := next
		if re.Max == -1 {
			star := &syntax.Regexp{Op: syntax.OpStar, Sub: re.Sub[:1]}
			var err error
			if s, err = n.compile(star, s); err != nil {
				return 0, err
			}
		} else {
			for range re.Max - re.Min { // optional copies, nested: x(x(x)?)?
				body, err := n.compile(re.Sub[0], s)
				if err != nil {
					return 0, err
				}
				s = n.split(body, s)
			}
		}
		for range re.Min {
			var err error
			if s, err = n.compile(re.Sub[0], s); err != nil {
				return 0, err
			}
		}
		return s, nil
	}
	return 0, fmt.Errorf("unsupported regexp operator %v", re.Op)
}

// Parse parses a metadata pattern as Go's regexp does.
func Parse(pattern string) (*syntax.Regexp, error) {
	return syntax.Parse(pattern, syntax.Perl)
}

// DFA is a deterministic automaton over the digits. State 0 is the dead
// state (no tag can accept any more); Start is where a walk begins.
type DFA struct {
	Start int
	Trans [][10]int
	Label []uint64 // tags accepting in each state
}

// Determinize builds the DFA of several patterns; pattern i sets tag bit
// tags[i]. An empty pattern list gives the DFA that accepts nothing.
func Determinize(patterns []string, tags []int) (*DFA, error) {
	n := &nfa{}
	var starts []int
	for i, p := range patterns {
		re, err := Parse(p)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", p, err)
		}
		acc := n.add(nstate{kind: kAccept, tag: tags[i], next: -1})
		s, err := n.compile(re, acc)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", p, err)
		}
		starts = append(starts, s)
	}
	root := n.split(starts...)

	// closure of a set: the edge and accept states reachable by epsilons.
	closure := func(set []int) []int {
		seen := map[int]bool{}
		var out []int
		stack := slices.Clone(set)
		for len(stack) > 0 {
			s := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if s < 0 || seen[s] {
				continue
			}
			seen[s] = true
			st := &n.states[s]
			if st.kind == kSplit {
				stack = append(stack, st.eps...)
				continue
			}
			if st.kind == kEdge && st.mask == 0 {
				continue // fail
			}
			out = append(out, s)
		}
		slices.Sort(out)
		return out
	}
	key := func(set []int) string {
		var b strings.Builder
		for _, s := range set {
			b.WriteString(strconv.Itoa(s))
			b.WriteByte(',')
		}
		return b.String()
	}

	d := &DFA{Trans: [][10]int{{}}, Label: []uint64{0}} // state 0: dead
	ids := map[string]int{"": 0}
	var sets [][]int
	sets = append(sets, nil)
	intern := func(set []int) int {
		k := key(set)
		if id, ok := ids[k]; ok {
			return id
		}
		id := len(d.Trans)
		ids[k] = id
		var label uint64
		for _, s := range set {
			if st := &n.states[s]; st.kind == kAccept {
				label |= 1 << st.tag
			}
		}
		d.Trans = append(d.Trans, [10]int{})
		d.Label = append(d.Label, label)
		sets = append(sets, set)
		return id
	}
	d.Start = intern(closure([]int{root}))
	for id := 1; id < len(d.Trans); id++ {
		if len(d.Trans) > 1<<20 {
			return nil, fmt.Errorf("automaton over %d states", 1<<20)
		}
		for digit := range 10 {
			var next []int
			for _, s := range sets[id] {
				if st := &n.states[s]; st.kind == kEdge && st.mask&(1<<digit) != 0 {
					next = append(next, st.next)
				}
			}
			d.Trans[id][digit] = intern(closure(next))
		}
	}
	return d, nil
}
