package phone

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"errors"
	"io"
	"math/bits"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// The carrier, geocoding and time zone data are nyaruka/phonenumbers' own
// files, byte for byte (internal/gen copies them from the module; the
// tests fail when they differ). nyaruka keeps them unexported and answers
// each lookup by formatting the number to E.164 again, taking a mutex and
// parsing up to nine prefixes with strconv: about 2 µs a number for
// carrier and place. Here the same maps are read once and looked up by
// the prefix lengths that exist, with no allocation.
var (
	//go:embed prefixdata/prefix_to_carriers_en.txt.gz
	carrierData []byte
	//go:embed prefixdata/prefix_to_geocodings_en.txt.gz
	geocodingData []byte
	//go:embed prefixdata/prefix_to_timezone.xml.gz
	timezoneData []byte
)

// prefixDataFiles maps the embedded files to their paths in nyaruka's module.
var prefixDataFiles = map[string]*[]byte{
	"data/prefix_to_carriers/en.txt.gz":   &carrierData,
	"data/prefix_to_geocodings/en.txt.gz": &geocodingData,
	"data/prefix_to_timezone.xml.gz":      &timezoneData,
}

// prefixMap is nyaruka's intStringMap (or, for time zones, its
// intStringArrayMap with the zones joined by ';'): the value of the longest
// key that is a prefix of a number's digits.
type prefixMap struct {
	values []string
	keys   map[uint64]uint32 // prefix digits as a number -> index in values
	lens   [1000]uint32      // bit n: a key of n >= 3 digits starts with these three digits
	maxLen int               // the most digits of a key
}

// lookup returns the value of the longest key among the first 1 to
// maxDigits digits of d, as nyaruka's loops over ever shorter prefixes do.
func (p *prefixMap) lookup(d string, maxDigits int) (string, bool) {
	n := min(len(d), maxDigits, 19)
	var prefix [20]uint64
	v := uint64(0)
	for i := 0; i < n; i++ {
		v = v*10 + uint64(d[i]-'0')
		prefix[i+1] = v
	}
	if n >= 3 {
		for mask := p.lens[prefix[3]] & (1<<(n+1) - 1); mask != 0; {
			l := bits.Len32(mask) - 1
			mask &^= 1 << l
			if i, ok := p.keys[prefix[l]]; ok {
				return p.values[i], true
			}
		}
	}
	for l := min(n, 2); l >= 1; l-- {
		if i, ok := p.keys[prefix[l]]; ok {
			return p.values[i], true
		}
	}
	return "", false
}

func (p *prefixMap) add(key uint64, value uint32) {
	p.keys[key] = value
	l := 1
	for k := key; k >= 10; k /= 10 {
		l++
	}
	p.maxLen = max(p.maxLen, l)
	if l >= 3 && l < 32 {
		first := key
		for range l - 3 {
			first /= 10
		}
		p.lens[first] |= 1 << l
	}
}

var errPrefixData = errors.New("phone: corrupt prefix data")

// loadPrefixMap reads nyaruka's format (serialize.go): the values joined by
// newlines, then for each key the uvarint difference to the previous key
// and either one uint16 value index or, for arrays, a count and as many.
func loadPrefixMap(gz []byte, arrays bool) (*prefixMap, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	if len(raw) < 4 {
		return nil, errPrefixData
	}
	size := int(binary.LittleEndian.Uint32(raw))
	if 4+size+4 > len(raw) {
		return nil, errPrefixData
	}
	names := strings.Split(string(raw[4:4+size]), "\n")
	rest := raw[4+size:]
	count := int(binary.LittleEndian.Uint32(rest))
	rest = rest[4:]
	p := &prefixMap{keys: make(map[uint64]uint32, count)}
	joined := map[string]uint32{}
	key := uint64(0)
	for range count {
		diff, n := binary.Uvarint(rest)
		if n <= 0 {
			return nil, errPrefixData
		}
		rest = rest[n:]
		key += diff
		values := 1
		if arrays {
			if len(rest) < 1 {
				return nil, errPrefixData
			}
			values, rest = int(rest[0]), rest[1:]
		}
		if len(rest) < 2*values {
			return nil, errPrefixData
		}
		parts := make([]string, values)
		for i := range parts {
			v := int(binary.LittleEndian.Uint16(rest[2*i:]))
			if v >= len(names) {
				return nil, errPrefixData
			}
			parts[i] = names[v]
		}
		rest = rest[2*values:]
		value := strings.Join(parts, ";")
		if arrays && (len(parts) == 0 || len(parts) == 1 && parts[0] == phonenumbers.UNKNOWN_TIMEZONE) {
			value = "" // timeZones leaves these empty
		}
		i, ok := joined[value]
		if !ok {
			i = uint32(len(p.values))
			joined[value] = i
			p.values = append(p.values, value)
		}
		p.add(key, i)
	}
	return p, nil
}

func mustLoad(gz []byte, arrays bool) func() *prefixMap {
	return sync.OnceValue(func() *prefixMap {
		p, err := loadPrefixMap(gz, arrays)
		if err != nil {
			panic(err)
		}
		return p
	})
}

var (
	carrierMap   = mustLoad(carrierData, false)
	geocodingMap = mustLoad(geocodingData, false)
	timezoneMap  = mustLoad(timezoneData, true)
)

// lookupCarrier is GetCarrierForNumber(number, "en") for the digits of the
// number's E.164 form.
func lookupCarrier(digits string) string {
	v, _ := carrierMap().lookup(digits, 9)
	return v
}

// lookupPlace is the geocoding data's part of GetGeocodingForNumber.
func lookupPlace(digits string) string {
	v, _ := geocodingMap().lookup(digits, 9)
	return v
}

// lookupTimeZones is GetTimezonesForPrefix joined by ';', "" for unknown.
func lookupTimeZones(digits string) string {
	p := timezoneMap()
	v, _ := p.lookup(digits, p.maxLen)
	return v
}
