package automata

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/nyaruka/phonenumbers"
)

// Version changes whenever the generator's output for the same metadata
// changes meaning (tag layout, encoding): tables of another version are stale.
const Version = 2

// The automata of one metadata entry (a region, or a non-geographical
// calling code), in Entry.Start order.
const (
	// Types walks a national significant number. Tags TagGeneral..TagMobile
	// are the PhoneNumberDescs (whole match, without the possible lengths,
	// which the engine checks itself); TagLeadingDigits is the region's
	// leading digits (prefix match).
	Types = iota
	// Formats and IntlFormats walk a national significant number: tag i is
	// the whole pattern of number format i, tag LeadingTag+i the last of its
	// leading digits patterns (prefix match).
	Formats
	IntlFormats
	// IDD walks the digits of a number: tag 0 is the international prefix
	// (prefix match).
	IDD
	// NationalPrefix walks a national number: tag 0 is the national prefix
	// for parsing (prefix match).
	NationalPrefix
	NumAutomata
)

// Tags of the Types automaton, in the order getNumberTypeHelper tests them.
const (
	TagGeneral = iota
	TagPremiumRate
	TagTollFree
	TagSharedCost
	TagVoip
	TagPersonalNumber
	TagPager
	TagUAN
	TagVoicemail
	TagFixedLine
	TagMobile
	TagLeadingDigits
	NumDescs = TagLeadingDigits
)

// LeadingTag is the tag offset of the leading digits patterns in a formats
// automaton; a region with more formats than this is not compiled.
const LeadingTag = 32

// NoAutomaton is the start of an automaton that was not compiled (a pattern
// uses what the digit automata do not cover): the engine uses the regexp.
const NoAutomaton = ^uint32(0)

// Descs returns a region's PhoneNumberDescs in tag order (nil where absent).
func Descs(m *phonenumbers.PhoneMetadata) [NumDescs]*phonenumbers.PhoneNumberDesc {
	return [NumDescs]*phonenumbers.PhoneNumberDesc{
		m.GetGeneralDesc(), m.GetPremiumRate(), m.GetTollFree(), m.GetSharedCost(), m.GetVoip(),
		m.GetPersonalNumber(), m.GetPager(), m.GetUan(), m.GetVoicemail(), m.GetFixedLine(), m.GetMobile(),
	}
}

// Spec is what one automaton recognizes: pattern i sets tag Tags[i].
type Spec struct {
	Patterns []string
	Tags     []int
}

func (s *Spec) add(pattern string, tag int) {
	s.Patterns = append(s.Patterns, pattern)
	s.Tags = append(s.Tags, tag)
}

// Specs returns the automata of one metadata entry. An absent description
// has the empty pattern, as the engine's regexps do (^(?:)$ matches no
// national number).
func Specs(m *phonenumbers.PhoneMetadata) [NumAutomata]Spec {
	var s [NumAutomata]Spec
	for tag, d := range Descs(m) {
		s[Types].add(d.GetNationalNumberPattern(), tag)
	}
	if ld := m.GetLeadingDigits(); ld != "" {
		s[Types].add(ld, TagLeadingDigits)
	}
	formats := func(spec *Spec, nfs []*phonenumbers.NumberFormat) {
		for i, nf := range nfs {
			spec.add(nf.GetPattern(), i)
			if ld := nf.GetLeadingDigitsPattern(); len(ld) > 0 {
				spec.add(ld[len(ld)-1], LeadingTag+i)
			}
		}
	}
	formats(&s[Formats], m.GetNumberFormat())
	formats(&s[IntlFormats], m.GetIntlNumberFormat())
	idd := m.GetInternationalPrefix()
	if idd == "" {
		idd = "NonMatch" // as the engine (and nyaruka) compile an absent prefix
	}
	s[IDD].add(idd, 0)
	if np := m.GetNationalPrefixForParsing(); np != "" {
		s[NationalPrefix].add(np, 0)
	}
	return s
}

// EntryDigest identifies what one entry's automata are built from: the
// version, the entry's id and calling code, and every pattern of its
// automata.
func EntryDigest(m *phonenumbers.PhoneMetadata) [sha256.Size]byte {
	h := sha256.New()
	var buf [8]byte
	num := func(v int) {
		binary.LittleEndian.PutUint64(buf[:], uint64(v))
		h.Write(buf[:])
	}
	str := func(s string) {
		num(len(s))
		h.Write([]byte(s))
	}
	num(Version)
	str(m.GetId())
	num(int(m.GetCountryCode()))
	for _, spec := range Specs(m) {
		num(len(spec.Patterns))
		for i, p := range spec.Patterns {
			str(p)
			num(spec.Tags[i])
		}
	}
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return d
}
