package activities

import (
	"strings"

	"github.com/phonecheck/phonecheck/phone"
)

// remoteKeys reads a Number as the service wrote it into the E.164 forms
// it may stand for. exact is set when the number is E.164 once formatting
// (spaces, dashes, dots, brackets, slashes) is taken out; a number without
// + may stand for "+digits" (the service dropped the +, or wrote the
// international prefix 00) or, with a default region, for its national
// form read in that region, so those are derived. Anything else (letters,
// an empty cell) is kept as written in exact.
func remoteKeys(number, region string) (exact string, derived []string) {
	s := strings.TrimSpace(number)
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')', '/', '\t', '\u00a0', '\u2009', '\u202f':
			return -1
		}
		return r
	}, s)
	digits := strings.TrimPrefix(clean, "+")
	if digits == "" || strings.Trim(digits, "0123456789") != "" || strings.Count(clean, "+") > 1 {
		return s, nil
	}
	if clean[0] == '+' {
		return clean, nil
	}
	if rest, ok := strings.CutPrefix(digits, "00"); ok && rest != "" {
		derived = append(derived, "+"+rest)
	} else {
		derived = append(derived, "+"+digits)
	}
	if region != "" {
		if r := phone.CheckCore(digits, 0, region); r.CountryCode != "" && r.Number != derived[0] {
			derived = append(derived, r.Number)
		}
	}
	return "", derived
}

// remoteVerdicts are the service's verdicts by E.164 number: those it
// wrote as E.164, which come first, then those read from other forms; each
// remembers the numbers answered twice with different verdicts.
type remoteVerdicts struct{ exact, derived answers }

type answers struct {
	verdicts, conflicts *verdictSet // conflicts is a set
}

// newRemoteVerdicts makes room for the verdicts on n uploaded numbers,
// which a service answers as E.164.
func newRemoteVerdicts(n int) *remoteVerdicts {
	return &remoteVerdicts{exact: answers{verdicts: newVerdictSetSize(n), conflicts: newVerdictSet()},
		derived: answers{verdicts: newVerdictSet(), conflicts: newVerdictSet()}}
}

func (v *remoteVerdicts) put(number, verdict, region string) {
	exact, derived := remoteKeys(number, region)
	v.putKeys(exact, derived, verdict)
}

// putKeys puts a verdict under the keys remoteKeys gave its number.
func (v *remoteVerdicts) putKeys(exact string, derived []string, verdict string) {
	if exact != "" {
		v.exact.put(exact, verdict)
	}
	for _, k := range derived {
		v.derived.put(k, verdict)
	}
}

func (a answers) put(key, verdict string) {
	if prev, ok := a.verdicts.get(key); ok && prev != verdict {
		a.conflicts.put(key, "")
	}
	a.verdicts.put(key, verdict)
}

// get is the verdict for an uploaded E.164 number; conflicting reports
// that the service answered it with different verdicts.
func (v *remoteVerdicts) get(number string) (verdict string, ok, conflicting bool) {
	return verdictOf(v, number)
}

// verdictOf is get of a number as a string or as bytes.
func verdictOf[S string | []byte](v *remoteVerdicts, number S) (verdict string, ok, conflicting bool) {
	if verdict, ok, conflicting = answerOf(v.exact, number); !ok {
		verdict, ok, conflicting = answerOf(v.derived, number)
	}
	return verdict, ok, conflicting
}

func answerOf[S string | []byte](a answers, number S) (verdict string, ok, conflicting bool) {
	if verdict, ok = lookup(a.verdicts, number); ok {
		_, conflicting = lookup(a.conflicts, number)
	}
	return verdict, ok, conflicting
}
