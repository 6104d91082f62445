// Package prefixtable compiles libphonenumber's prefix data (the carrier,
// geocoding and time zone files, as nyaruka/phonenumbers serializes them)
// into flat tables that the phone package embeds and searches in place: a
// process decodes nothing at start and a lookup allocates nothing; it reads
// the few hundred bytes of the table that its number's prefix selects.
//
// A table maps keys (the leading digits of E.164 numbers, as integers, so
// never with a leading zero) to values. Keys of one to three digits are
// looked up directly by their value; longer keys are in buckets by their
// first four digits, sorted within a bucket by length and then by the rest
// of their digits, and found by binary search.
package prefixtable

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Version changes whenever the encoding changes: tables of another version
// are refused.
const Version = 1

const magic = "phonecheck prefix table\n"

// MaxKeyLen is the longest key a table holds: the rest of a key after its
// first four digits must fit restBits.
const MaxKeyLen = 12

const (
	shortKeys   = 1000 // keys below 1000 have at most three digits
	bucketBase  = 1000 // a bucket is a key's first four digits, 1000 to 9999
	numBuckets  = 9000
	restBits    = 27 // an entry's code is its length << restBits | the rest of its digits
	headerSize  = len(magic) + 4 + 1 + 4 + 4
	unknownZone = "Etc/Unknown"
)

// Entry is one key and its value.
type Entry struct {
	Key   uint64
	Value string
}

// Parse reads a gzipped file in nyaruka's format (its serialize.go): the
// values joined by newlines, then for each key the uvarint difference to
// the previous key and either one uint16 value index or, for arrays (the
// time zones), a count and as many. An array's values are joined by ';',
// and an array that is empty or only Etc/Unknown becomes "": the phone
// package leaves unknown time zones empty. A key given twice keeps its last
// value, as a map filled in file order does.
func Parse(gz []byte, arrays bool) ([]Entry, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	errCorrupt := errors.New("prefixtable: corrupt prefix data")
	if len(raw) < 4 {
		return nil, errCorrupt
	}
	size := int(binary.LittleEndian.Uint32(raw))
	if 4+size+4 > len(raw) {
		return nil, errCorrupt
	}
	names := strings.Split(string(raw[4:4+size]), "\n")
	rest := raw[4+size:]
	count := int(binary.LittleEndian.Uint32(rest))
	rest = rest[4:]
	byKey := make(map[uint64]string, count)
	key := uint64(0)
	for range count {
		diff, n := binary.Uvarint(rest)
		if n <= 0 {
			return nil, errCorrupt
		}
		rest = rest[n:]
		key += diff
		values := 1
		if arrays {
			if len(rest) < 1 {
				return nil, errCorrupt
			}
			values, rest = int(rest[0]), rest[1:]
		}
		if len(rest) < 2*values {
			return nil, errCorrupt
		}
		parts := make([]string, values)
		for i := range parts {
			v := int(binary.LittleEndian.Uint16(rest[2*i:]))
			if v >= len(names) {
				return nil, errCorrupt
			}
			parts[i] = names[v]
		}
		rest = rest[2*values:]
		value := strings.Join(parts, ";")
		if arrays && (len(parts) == 0 || len(parts) == 1 && parts[0] == unknownZone) {
			value = ""
		}
		byKey[key] = value
	}
	entries := make([]Entry, 0, len(byKey))
	for k, v := range byKey {
		entries = append(entries, Entry{k, v})
	}
	slices.SortFunc(entries, func(a, b Entry) int { return cmpUint(a.Key, b.Key) })
	return entries, nil
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// keyLen is the number of digits of a key.
func keyLen(k uint64) int {
	n := 1
	for ; k >= 10; k /= 10 {
		n++
	}
	return n
}

var pow10 = [...]uint64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12}

// Encode writes entries (as Parse returns them) as a table:
//
//	magic, u32 Version, u8 longest key, u32 values, u32 entries
//	u32 offsets[values+1] of the values in the text that follows, the text
//	u16 short[1000]: value index + 1 of the key with that value (0: none)
//	u32 start[9001]: a bucket's first entry; u16 lengths[9000]: bit l set
//	when the bucket has keys of l digits
//	u32 codes[entries]; u16 values[entries]
//
// All numbers are little-endian.
func Encode(entries []Entry) ([]byte, error) {
	var values []string
	index := map[string]int{}
	type coded struct {
		bucket int
		code   uint32
		value  int
	}
	var long []coded
	var short [shortKeys]uint16
	maxLen := 0
	for _, e := range entries {
		l := keyLen(e.Key)
		if e.Key == 0 || l > MaxKeyLen {
			return nil, fmt.Errorf("prefixtable: key %d out of range", e.Key)
		}
		maxLen = max(maxLen, l)
		v, ok := index[e.Value]
		if !ok {
			v = len(values)
			index[e.Value] = v
			values = append(values, e.Value)
		}
		if v >= 1<<16-1 {
			return nil, errors.New("prefixtable: more than 65,534 values")
		}
		if e.Key < shortKeys {
			short[e.Key] = uint16(v + 1)
			continue
		}
		first := e.Key / pow10[l-4]
		long = append(long, coded{int(first - bucketBase), uint32(l)<<restBits | uint32(e.Key%pow10[l-4]), v})
	}
	slices.SortFunc(long, func(a, b coded) int {
		if a.bucket != b.bucket {
			return a.bucket - b.bucket
		}
		return cmpUint(uint64(a.code), uint64(b.code))
	})
	var b bytes.Buffer
	w := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString(magic)
	w(uint32(Version))
	w(uint8(maxLen))
	w(uint32(len(values)))
	w(uint32(len(long)))
	off := uint32(0)
	for _, v := range values {
		w(off)
		off += uint32(len(v))
	}
	w(off)
	for _, v := range values {
		b.WriteString(v)
	}
	w(short)
	var start [numBuckets + 1]uint32
	var lengths [numBuckets]uint16
	for i, c := range long {
		lengths[c.bucket] |= 1 << (c.code >> restBits)
		start[c.bucket+1] = uint32(i + 1)
	}
	for i := 1; i <= numBuckets; i++ {
		start[i] = max(start[i], start[i-1])
	}
	w(start)
	w(lengths)
	for _, c := range long {
		w(c.code)
	}
	for _, c := range long {
		w(uint16(c.value))
	}
	return b.Bytes(), nil
}

// Table is an encoded table, searched in place.
type Table struct {
	data                               string
	maxLen                             int
	values                             int // offset of the value offsets
	text                               int // offset of the values' text
	short, start, lengths, codes, vals int // offsets of the arrays
	entries                            int
}

// Open checks an encoded table's header and sizes.
func Open(data string) (*Table, error) {
	if len(data) < headerSize || data[:len(magic)] != magic {
		return nil, errors.New("prefixtable: not a prefix table")
	}
	at := len(magic)
	if v := u32(data, at); v != Version {
		return nil, fmt.Errorf("prefixtable: version %d, want %d", v, Version)
	}
	t := &Table{data: data, maxLen: int(data[at+4])}
	nValues, nEntries := int(u32(data, at+5)), int(u32(data, at+9))
	t.entries = nEntries
	t.values = headerSize
	if nValues > 1<<16 || nEntries > len(data) || t.maxLen > MaxKeyLen {
		return nil, errors.New("prefixtable: bad sizes")
	}
	t.text = t.values + 4*(nValues+1)
	if t.text > len(data) {
		return nil, errors.New("prefixtable: short table")
	}
	textLen := int(u32(data, t.text-4))
	t.short = t.text + textLen
	t.start = t.short + 2*shortKeys
	t.lengths = t.start + 4*(numBuckets+1)
	t.codes = t.lengths + 2*numBuckets
	t.vals = t.codes + 4*nEntries
	if t.vals+2*nEntries != len(data) {
		return nil, errors.New("prefixtable: table size does not match its header")
	}
	return t, nil
}

// Verify checks that every index a lookup can follow stays inside the
// table. Open does not: it would read the whole table at start, and a bad
// index in an embedded table (which the phone tests verify) could only
// make a lookup panic, never read outside the table.
func (t *Table) Verify() error {
	data := t.data
	nValues := (t.text-t.values)/4 - 1
	textLen := t.short - t.text
	for i := range nValues {
		if a, b := u32(data, t.values+4*i), u32(data, t.values+4*i+4); a > b || int(b) > textLen {
			return errors.New("prefixtable: bad value offsets")
		}
	}
	for i := range shortKeys {
		if int(u16(data, t.short+2*i)) > nValues {
			return errors.New("prefixtable: bad short key")
		}
	}
	for i := range numBuckets {
		if a, b := u32(data, t.start+4*i), u32(data, t.start+4*i+4); a > b || int(b) > t.entries {
			return errors.New("prefixtable: bad bucket")
		}
	}
	for i := range t.entries {
		if int(u16(data, t.vals+2*i)) >= nValues {
			return errors.New("prefixtable: bad value index")
		}
	}
	return nil
}

// MaxLen is the number of digits of the longest key.
func (t *Table) MaxLen() int { return t.maxLen }

// Lookup returns the value of the longest key among the first 1 to
// maxDigits digits of d, which are the digits of an E.164 number (ASCII
// digits, not starting with 0).
func (t *Table) Lookup(d string, maxDigits int) (string, bool) {
	n := min(len(d), maxDigits, t.maxLen)
	if n <= 0 || d[0] == '0' {
		return "", false
	}
	key := uint32(0)
	for i := range min(n, 4) {
		key = key*10 + uint32(d[i]-'0')
	}
	if n >= 4 {
		b := int(key - bucketBase)
		lo, hi := int(u32(t.data, t.start+4*b)), int(u32(t.data, t.start+4*b+4))
		for mask := uint32(u16(t.data, t.lengths+2*b)) & (1<<(n+1) - 1); mask != 0; {
			l := bits.Len32(mask) - 1
			mask &^= 1 << l
			rest := uint32(0)
			for i := 4; i < l; i++ {
				rest = rest*10 + uint32(d[i]-'0')
			}
			if i, ok := t.search(lo, hi, uint32(l)<<restBits|rest); ok {
				return t.value(int(u16(t.data, t.vals+2*i))), true
			}
		}
		key /= 10
	}
	for ; key > 0; key /= 10 {
		if v := u16(t.data, t.short+2*int(key)); v != 0 {
			return t.value(int(v) - 1), true
		}
	}
	return "", false
}

// search finds code among the codes of entries lo to hi.
func (t *Table) search(lo, hi int, code uint32) (int, bool) {
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		c := u32(t.data, t.codes+4*mid)
		switch {
		case c == code:
			return mid, true
		case c < code:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return 0, false
}

func (t *Table) value(i int) string {
	return t.data[t.text+int(u32(t.data, t.values+4*i)) : t.text+int(u32(t.data, t.values+4*i+4))]
}

func u32(s string, i int) uint32 {
	_ = s[i+3]
	return uint32(s[i]) | uint32(s[i+1])<<8 | uint32(s[i+2])<<16 | uint32(s[i+3])<<24
}

func u16(s string, i int) uint16 {
	_ = s[i+1]
	return uint16(s[i]) | uint16(s[i+1])<<8
}

// Source is a file of nyaruka's module that the phone package embeds as a
// table.
type Source struct {
	Path   string // in nyaruka's module
	Arrays bool   // values are arrays (the time zones)
	Name   string // the table's file name in the phone package's prefixdata
}

// Sources are the English carrier and geocoding data and the time zones.
var Sources = []Source{
	{"data/prefix_to_carriers/en.txt.gz", false, "carrier.bin"},
	{"data/prefix_to_geocodings/en.txt.gz", false, "geocoding.bin"},
	{"data/prefix_to_timezone.xml.gz", true, "timezone.bin"},
}

// Build reads the source from nyaruka's module in moduleDir and encodes its
// table.
func (s Source) Build(moduleDir string) ([]byte, error) {
	gz, err := readFile(moduleDir, s.Path)
	if err != nil {
		return nil, err
	}
	entries, err := Parse(gz, s.Arrays)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Path, err)
	}
	return Encode(entries)
}

func readFile(dir, path string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, path)) }
