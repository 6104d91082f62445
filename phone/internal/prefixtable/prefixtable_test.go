package prefixtable

import (
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

func moduleDir(t *testing.T) string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/nyaruka/phonenumbers").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// refLookup is nyaruka's loop: ever shorter prefixes, parsed as integers,
// looked up in a map.
func refLookup(m map[uint64]string, d string, maxDigits int) (string, bool) {
	for l := min(len(d), maxDigits); l >= 1; l-- {
		k, err := strconv.ParseUint(d[:l], 10, 64)
		if err != nil {
			return "", false
		}
		if v, ok := m[k]; ok {
			return v, true
		}
	}
	return "", false
}

// TestLookupMatchesMap holds every real table to a map lookup: each key
// alone, with digits after it, cut short and with its last digit changed,
// and random numbers.
func TestLookupMatchesMap(t *testing.T) {
	dir := moduleDir(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, src := range Sources {
		data, err := src.Build(dir)
		if err != nil {
			t.Fatal(err)
		}
		tbl, err := Open(string(data))
		if err != nil {
			t.Fatal(err)
		}
		if err := tbl.Verify(); err != nil {
			t.Fatal(err)
		}
		gz, _ := readFile(dir, src.Path)
		entries, err := Parse(gz, src.Arrays)
		if err != nil {
			t.Fatal(err)
		}
		m := map[uint64]string{}
		maxLen := 0
		for _, e := range entries {
			m[e.Key] = e.Value
			maxLen = max(maxLen, len(strconv.FormatUint(e.Key, 10)))
		}
		if tbl.MaxLen() != maxLen {
			t.Fatalf("%s: MaxLen %d, want %d", src.Name, tbl.MaxLen(), maxLen)
		}
		digits := func(n int) string {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte('0' + rng.IntN(10))
			}
			return string(b)
		}
		check := func(d string) {
			for _, maxDigits := range []int{9, maxLen, 3, 20} {
				got, gotOK := tbl.Lookup(d, maxDigits)
				want, wantOK := refLookup(m, d, min(maxDigits, maxLen))
				if got != want || gotOK != wantOK {
					t.Fatalf("%s: Lookup(%s, %d) = %q %v, want %q %v", src.Name, d, maxDigits, got, gotOK, want, wantOK)
				}
			}
		}
		for _, e := range entries {
			k := strconv.FormatUint(e.Key, 10)
			check(k)
			check(k + digits(1+rng.IntN(10)))
			check(k[:len(k)-1] + digits(1))
			if len(k) > 1 {
				check(k[:len(k)-1])
			}
		}
		for range 100_000 {
			d := digits(1 + rng.IntN(15))
			if d[0] != '0' {
				check(d)
			}
		}
		if got, ok := tbl.Lookup("", 9); ok || got != "" {
			t.Fatalf("%s: empty digits found %q", src.Name, got)
		}
		t.Logf("%s: %d keys, %d bytes", src.Name, len(entries), len(data))
	}
}

// TestShadowingEmptyValue: a longer key with an empty value (an unknown
// time zone) hides the shorter key's value, as in the map.
func TestShadowingEmptyValue(t *testing.T) {
	data, err := Encode([]Entry{{1, "America/New_York"}, {1201, ""}, {41, "Europe/Zurich"}, {4144668, "x"}})
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := Open(string(data))
	if err != nil {
		t.Fatal(err)
	}
	for d, want := range map[string]string{"12015550100": "", "12125550100": "America/New_York", "41446681800": "x", "41446690000": "Europe/Zurich"} {
		if got, ok := tbl.Lookup(d, 9); !ok || got != want {
			t.Errorf("Lookup(%s) = %q %v, want %q", d, got, ok, want)
		}
	}
}

// TestOpenRefusesBadTables: other files, other versions, cut or padded
// tables are refused; bad indexes fail Verify.
func TestOpenRefusesBadTables(t *testing.T) {
	data, err := Encode([]Entry{{1, "a"}, {4144, "b"}, {41446, "c"}})
	if err != nil {
		t.Fatal(err)
	}
	good := string(data)
	if _, err := Open(good); err != nil {
		t.Fatal(err)
	}
	version := []byte(good)
	version[len(magic)]++
	for name, bad := range map[string]string{
		"empty": "", "other file": "PK\x03\x04" + good[4:], "version": string(version),
		"cut": good[:len(good)-1], "padded": good + "\x00", "header only": good[:headerSize],
	} {
		if _, err := Open(bad); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
	badIndex := []byte(good)
	badIndex[len(badIndex)-1] = 0xFF // the last entry's value index
	tbl, err := Open(string(badIndex))
	if err != nil {
		t.Fatal(err)
	}
	if err := tbl.Verify(); err == nil {
		t.Error("a bad value index verified")
	}
	if _, err := Encode([]Entry{{0, "zero"}}); err == nil {
		t.Error("key 0 encoded")
	}
	if _, err := Encode([]Entry{{1234567890123, "long"}}); err == nil {
		t.Error("a 13-digit key encoded")
	}
}
