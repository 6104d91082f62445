package activities

// verdictSet maps numbers to verdicts (or, in Prepare, to nothing: a set)
// compactly: a million numbers held as strings in a map[string]string take
// about 100 MB, as integer keys with a verdict index about a third of that.
type verdictSet struct {
	names   []string          // the distinct verdicts: a few, searched in order
	numbers map[uint64]uint32 // "+digits" as 1digits (the 1 keeps leading zeros) -> position in names
	other   map[string]uint32 // whatever else the service answered with
}

func newVerdictSet() *verdictSet { return newVerdictSetSize(0) }

// newVerdictSetSize makes a set for about n numbers: a map made to size
// does not grow (rehash) as it fills.
func newVerdictSetSize(n int) *verdictSet {
	return &verdictSet{numbers: make(map[uint64]uint32, n), other: map[string]uint32{}}
}

// numberKey packs "+" and up to 18 digits into an integer.
func numberKey[S string | []byte](number S) (uint64, bool) {
	if len(number) < 2 || len(number) > 19 || number[0] != '+' {
		return 0, false
	}
	k := uint64(1)
	for i := 1; i < len(number); i++ {
		c := number[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		k = k*10 + uint64(c-'0')
	}
	return k, true
}

func (v *verdictSet) put(number, verdict string) {
	i := v.name(verdict)
	if k, ok := numberKey(number); ok {
		v.numbers[k] = i
	} else {
		v.other[number] = i
	}
}

// name is verdict's position in names, added if new. A service answers
// with two verdicts (valid, invalid) or a few more; a search of those is
// cheaper than hashing the string.
func (v *verdictSet) name(verdict string) uint32 {
	for i, n := range v.names {
		if n == verdict {
			return uint32(i)
		}
	}
	v.names = append(v.names, verdict)
	return uint32(len(v.names) - 1)
}

// lookup is the verdict the set holds for number, a string or its bytes
// (bytes are not made a string for it).
func lookup[S string | []byte](v *verdictSet, number S) (string, bool) {
	if v == nil {
		return "", false
	}
	var i uint32
	var ok bool
	if k, isNum := numberKey(number); isNum {
		i, ok = v.numbers[k]
	} else {
		i, ok = v.other[string(number)]
	}
	if !ok {
		return "", false
	}
	return v.names[i], true
}

func (v *verdictSet) get(number string) (string, bool) { return lookup(v, number) }

// len is how many numbers the set holds.
func (v *verdictSet) len() int { return len(v.numbers) + len(v.other) }
