package automata

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/nyaruka/phonenumbers"
)

// Entry is one metadata entry's automata: the start state of each (or
// NoAutomaton), and the digest of what they were built from (EntryDigest),
// so that each region can be checked on its own when it is first used.
type Entry struct {
	ID     string
	CC     int32
	Digest [sha256.Size]byte
	Start  [NumAutomata]uint32
}

// Tables are all automata in one transition table. State 0 is the dead
// state; the transitions of state s on digit d are at Trans[10*s+d].
type Tables struct {
	Trans   []uint32
	Label   []uint64
	Entries []Entry
	// Skipped lists the automata left to the regexps, and why (not encoded).
	Skipped []string
}

// Build compiles the automata of every entry of the collection.
func Build(coll *phonenumbers.PhoneMetadataCollection) (*Tables, error) {
	t := &Tables{}
	var dfas []*DFA
	type ref struct{ entry, kind int }
	var refs []ref
	for i, m := range coll.GetMetadata() {
		e := Entry{ID: m.GetId(), CC: m.GetCountryCode(), Digest: EntryDigest(m)}
		for kind, spec := range Specs(m) {
			e.Start[kind] = NoAutomaton
			if kind == NationalPrefix && len(spec.Patterns) == 0 {
				continue
			}
			if (kind == Formats && len(m.GetNumberFormat()) > LeadingTag) || (kind == IntlFormats && len(m.GetIntlNumberFormat()) > LeadingTag) {
				t.Skipped = append(t.Skipped, fmt.Sprintf("%s automaton %d: more than %d formats", e.ID, kind, LeadingTag))
				continue
			}
			d, err := Determinize(spec.Patterns, spec.Tags)
			if err != nil {
				t.Skipped = append(t.Skipped, fmt.Sprintf("%s automaton %d: %v", e.ID, kind, err))
				continue
			}
			dfas = append(dfas, d)
			refs = append(refs, ref{i, kind})
		}
		t.Entries = append(t.Entries, e)
	}
	starts := minimize(dfas, t)
	for i, r := range refs {
		t.Entries[r.entry].Start[r.kind] = starts[i]
	}
	return t, nil
}

// minimize merges the DFAs into t's one table with Moore's partition
// refinement over their disjoint union, and returns their start states.
func minimize(dfas []*DFA, t *Tables) []uint32 {
	// The union: global state 0 is the dead state of every DFA.
	offset := make([]int, len(dfas))
	n := 1
	for i, d := range dfas {
		offset[i] = n - 1 // local state s>0 is global offset+s
		n += len(d.Trans) - 1
	}
	trans := make([][10]int, n)
	label := make([]uint64, n)
	for i, d := range dfas {
		for s := 1; s < len(d.Trans); s++ {
			g := offset[i] + s
			label[g] = d.Label[s]
			for digit, to := range d.Trans[s] {
				if to != 0 {
					to += offset[i]
				}
				trans[g][digit] = to
			}
		}
	}
	// Initial partition by label (the dead state is not accepting), then
	// refine by the blocks the transitions lead to, until stable.
	block := make([]int, n)
	{
		ids := map[uint64]int{}
		for s := range n {
			id, ok := ids[label[s]]
			if !ok {
				id = len(ids)
				ids[label[s]] = id
			}
			block[s] = id
		}
	}
	count := -1
	for {
		type sig struct {
			self int
			next [10]int
		}
		ids := map[sig]int{}
		nb := make([]int, n)
		for s := range n {
			k := sig{self: block[s]}
			for d, to := range trans[s] {
				k.next[d] = block[to]
			}
			id, ok := ids[k]
			if !ok {
				id = len(ids)
				ids[k] = id
			}
			nb[s] = id
		}
		block = nb
		if len(ids) == count {
			break
		}
		count = len(ids)
	}
	// Number the blocks in breadth-first order from the starts, so that each
	// region's states lie together; the dead state's block is 0.
	num := make([]int, count)
	for i := range num {
		num[i] = -1
	}
	rep := make([]int, 0, count) // a state of each numbered block
	visit := func(s int) {
		if num[block[s]] < 0 {
			num[block[s]] = len(rep)
			rep = append(rep, s)
		}
	}
	visit(0)
	starts := make([]uint32, len(dfas))
	for i, d := range dfas {
		g := d.Start
		if g != 0 {
			g += offset[i]
		}
		first := len(rep)
		visit(g)
		starts[i] = uint32(num[block[g]])
		for q := first; q < len(rep); q++ {
			for _, to := range trans[rep[q]] {
				visit(to)
			}
		}
	}
	t.Trans = make([]uint32, 10*len(rep))
	t.Label = make([]uint64, len(rep))
	for id, s := range rep {
		t.Label[id] = label[s]
		for d, to := range trans[s] {
			t.Trans[10*id+d] = uint32(num[block[to]])
		}
	}
	return starts
}

const magic = "phonecheck digit automata\n"

// Encode writes the tables in the checked-in format: transitions are uint16
// when the states fit, labels are indexes into a list of distinct labels.
func (t *Tables) Encode() []byte {
	var b bytes.Buffer
	w := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString(magic)
	w(uint32(Version))
	w(uint32(len(t.Entries)))
	for _, e := range t.Entries {
		w(uint8(len(e.ID)))
		b.WriteString(e.ID)
		w(e.CC)
		b.Write(e.Digest[:])
		w(e.Start)
	}
	states := len(t.Label)
	w(uint32(states))
	var distinct []uint64
	index := map[uint64]int{}
	for _, l := range t.Label {
		if _, ok := index[l]; !ok {
			index[l] = len(distinct)
			distinct = append(distinct, l)
		}
	}
	w(uint32(len(distinct)))
	w(distinct)
	wide := states > 1<<16 || len(distinct) > 1<<16
	w(wide)
	for s, l := range t.Label {
		if wide {
			w(uint32(index[l]))
			w(t.Trans[10*s : 10*s+10])
			continue
		}
		w(uint16(index[l]))
		for _, to := range t.Trans[10*s : 10*s+10] {
			w(uint16(to))
		}
	}
	return b.Bytes()
}

// Decode reads tables written by Encode.
func Decode(data []byte) (*Tables, error) {
	r := bytes.NewReader(data)
	var err error
	rd := func(v any) {
		if err == nil {
			err = binary.Read(r, binary.LittleEndian, v)
		}
	}
	head := make([]byte, len(magic))
	if _, err := r.Read(head); err != nil || string(head) != magic {
		return nil, errors.New("automata: not a tables file")
	}
	var version, entries uint32
	rd(&version)
	if err == nil && version != Version {
		return nil, fmt.Errorf("automata: tables version %d, want %d", version, Version)
	}
	t := &Tables{}
	rd(&entries)
	if err != nil || int(entries) > r.Len() {
		return nil, fmt.Errorf("automata: bad header: %v", err)
	}
	t.Entries = make([]Entry, entries)
	for i := range t.Entries {
		e := &t.Entries[i]
		var n uint8
		rd(&n)
		id := make([]byte, n)
		rd(id)
		e.ID = string(id)
		rd(&e.CC)
		rd(e.Digest[:])
		rd(e.Start[:])
	}
	var states, ndistinct uint32
	rd(&states)
	rd(&ndistinct)
	if err != nil || int(ndistinct)*8 > r.Len() || int(states)*22 > r.Len() {
		return nil, fmt.Errorf("automata: bad sizes: %v", err)
	}
	distinct := make([]uint64, ndistinct)
	rd(distinct)
	var wide bool
	rd(&wide)
	width := 2
	if wide {
		width = 4
	}
	rows := make([]byte, int(states)*11*width)
	if _, err2 := io.ReadFull(r, rows); err != nil || err2 != nil {
		return nil, fmt.Errorf("automata: short table: %v %v", err, err2)
	}
	t.Trans = make([]uint32, 10*states)
	t.Label = make([]uint64, states)
	for s := range t.Label {
		row := rows[11*width*s : 11*width*(s+1)]
		var l uint32
		if wide {
			l = binary.LittleEndian.Uint32(row)
			for d := range 10 {
				t.Trans[10*s+d] = binary.LittleEndian.Uint32(row[4+4*d:])
			}
		} else {
			l = uint32(binary.LittleEndian.Uint16(row))
			for d := range 10 {
				t.Trans[10*s+d] = uint32(binary.LittleEndian.Uint16(row[2+2*d:]))
			}
		}
		if int(l) >= len(distinct) {
			return nil, fmt.Errorf("automata: bad label in state %d", s)
		}
		t.Label[s] = distinct[l]
	}
	if len(t.Trans) > 0 && slices.Max(t.Trans) >= states {
		return nil, errors.New("automata: transition out of range")
	}
	for _, e := range t.Entries {
		for _, s := range e.Start {
			if s != NoAutomaton && s >= states {
				return nil, errors.New("automata: start out of range")
			}
		}
	}
	if r.Len() != 0 {
		return nil, errors.New("automata: trailing data")
	}
	return t, nil
}
