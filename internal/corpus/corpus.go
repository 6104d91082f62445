// Package corpus generates realistic number files for benchmarks and load
// tests: the mix a company's contact export has, national numbers meant for
// the default region CH.
package corpus

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Region is the default region the national-format lines are written for.
const Region = "CH"

// countries and their weight in the mix: mostly home-market numbers.
var countries = []struct {
	region string
	weight int
}{
	{"CH", 50}, {"DE", 12}, {"FR", 8}, {"IT", 6}, {"GB", 6}, {"US", 6}, {"AT", 4},
	{"ES", 2}, {"NL", 2}, {"IN", 1}, {"BR", 1}, {"CN", 1}, {"AU", 1},
}

type template struct {
	region string
	cc     int
	nsn    string // national significant number of an example number
}

// Generator writes lines; it is deterministic for a seed.
type Generator struct {
	rng       *rand.Rand
	templates []template // weighted
	recent    []string   // lines already written, for duplicates
}

// New returns a generator seeded with seed.
func New(seed uint64) *Generator {
	g := &Generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	types := []phonenumbers.PhoneNumberType{phonenumbers.MOBILE, phonenumbers.MOBILE, phonenumbers.MOBILE, phonenumbers.FIXED_LINE, phonenumbers.FIXED_LINE, phonenumbers.TOLL_FREE}
	for _, c := range countries {
		for _, t := range types {
			n := phonenumbers.GetExampleNumberForType(c.region, t)
			if n == nil {
				continue
			}
			tp := template{c.region, int(n.GetCountryCode()), phonenumbers.GetNationalSignificantNumber(n)}
			for range c.weight {
				g.templates = append(g.templates, tp)
			}
		}
	}
	return g
}

// Line returns the next line (without newline).
func (g *Generator) Line() string {
	r := g.rng.IntN(1000)
	switch {
	case r < 15: // blank or white space
		return [...]string{"", " ", "\t"}[g.rng.IntN(3)]
	case r < 115 && len(g.recent) > 0: // a duplicate of an earlier line
		return g.recent[g.rng.IntN(len(g.recent))]
	case r < 145: // junk a human typed into a phone column
		return [...]string{"n/a", "unknown", "-", "call reception", "+", "0", "12345", "+41 79", "tbd@example.com", "0041 79 ABC"}[g.rng.IntN(10)]
	}
	t := g.templates[g.rng.IntN(len(g.templates))]
	nsn := []byte(t.nsn)
	// Vary the subscriber part; the leading digits keep the number's type.
	for i := max(2, len(nsn)-6); i < len(nsn); i++ {
		nsn[i] = byte('0' + g.rng.IntN(10))
	}
	if g.rng.IntN(50) == 0 { // a digit too many or too few
		if g.rng.IntN(2) == 0 {
			nsn = append(nsn, '5')
		} else {
			nsn = nsn[:len(nsn)-1]
		}
	}
	line := g.format(t, string(nsn))
	if len(g.recent) < 4096 {
		g.recent = append(g.recent, line)
	} else {
		g.recent[g.rng.IntN(len(g.recent))] = line
	}
	return line
}

func (g *Generator) format(t template, nsn string) string {
	cc := strconv.Itoa(t.cc)
	switch r := g.rng.IntN(100); {
	case r < 45:
		return "+" + cc + nsn
	case r < 65:
		return "+" + cc + " " + group(nsn)
	case r < 72:
		return "00" + cc + " " + group(nsn)
	case r < 76:
		return " +" + cc + "-" + strings.ReplaceAll(group(nsn), " ", "-") + " "
	case r < 78:
		return "tel:+" + cc + "-" + strings.ReplaceAll(group(nsn), " ", "-")
	default:
		if t.region != Region { // foreign numbers are written internationally
			return "+" + cc + " " + group(nsn)
		}
		if g.rng.IntN(2) == 0 {
			return "0" + group(nsn)
		}
		return "0" + nsn
	}
}

// group writes digits the way people do: pairs after a short area code.
func group(d string) string {
	var b strings.Builder
	for i := 0; i < len(d); i++ {
		if i == 2 || (i > 2 && (i-2)%3 == 0) {
			b.WriteByte(' ')
		}
		b.WriteByte(d[i])
	}
	return b.String()
}

// Write writes n lines to w.
func (g *Generator) Write(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	for range n {
		bw.WriteString(g.Line())
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// BenchFile returns the path of a file of n lines from seed 1 in the
// system's temp directory, writing it once; the benchmarks of several
// packages share it, so their figures come from the same input.
func BenchFile(n int) (string, error) {
	path := filepath.Join(os.TempDir(), fmt.Sprintf("phonecheck-bench-%d.txt", n))
	if st, err := os.Stat(path); err == nil && st.Size() > 0 {
		return path, nil
	}
	f, err := os.CreateTemp(os.TempDir(), "phonecheck-bench-*.tmp")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	if err := New(1).Write(f, n); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(f.Name(), path)
}
