package resultzip

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// readText reads a text entry's rows and errors as one string, with the
// fast path for plain lines or with encoding/csv alone.
func readText(t testing.TB, name, text string, fast bool, maxLine int) string {
	defer func(old bool) { fastText = old }(fastText)
	fastText = fast
	limits := ZipLimits{MaxLineLength: maxLine}
	tab, err := readZipBytes(makeZip(t, entry{name, text}), ZipOptions{Limits: limits})
	if err != nil {
		return "open: " + err.Error()
	}
	defer tab.Close()
	var b strings.Builder
	for {
		r, err := tab.Next()
		if err != nil {
			fmt.Fprintf(&b, "end: %v\n", err)
			break
		}
		fmt.Fprintf(&b, "%d %q %q %q\n", r.N, r.Number, r.PhoneCheck, r.values)
	}
	return b.String()
}

// FuzzTextFastPath: the fast path for plain lines reads exactly what
// encoding/csv reads, rows, line numbers in errors and limits alike.
func FuzzTextFastPath(f *testing.F) {
	for _, s := range []string{
		"Number,phoneCheck\n+41446681800,valid\n+41,invalid\r\n",
		"Number,phoneCheck,Location\n+1212,valid,\"New York, NY\"\n+1213,invalid,x\n\n\n+1214,valid\r",
		"Number;phoneCheck\n\"+41\n44\";valid\n+42;bogus\n",
		"sep=;\nNumber;phoneCheck\n+41;valid\n+42;valid;\"a\"b\n+43;valid\n",
		"Number\tphoneCheck\n+41\tvalid\r\r\n+42\tvalid\n" + strings.Repeat("x", 5000) + "\n+43,valid\n",
		"Number,phoneCheck\n\r\n\r\n+41,valid\n\"unterminated,valid\n+42,valid\n",
	} {
		f.Add(s, uint16(4096))
	}
	f.Fuzz(func(t *testing.T, text string, maxLine uint16) {
		ml := 64 + int(maxLine)%(8<<10)
		for _, name := range []string{"r.csv", "r.txt"} {
			fast, slow := readText(t, name, text, true, ml), readText(t, name, text, false, ml)
			if fast != slow {
				t.Fatalf("%s, line limit %d:\nfast path:\n%s\nencoding/csv:\n%s", name, ml, fast, slow)
			}
		}
	})
}

// TestTextFastPathLongLines: lines longer than the buffer, blank runs and
// quoted fields across batches read as encoding/csv reads them.
func TestTextFastPathLongLines(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	long := func(n int) string { // incompressible enough for the zip's ratio limit
		p := make([]byte, n)
		for i := range p {
			p[i] = 'a' + byte(rnd.IntN(26))
		}
		return string(p)
	}
	var b strings.Builder
	b.WriteString("Number,phoneCheck,Input\n")
	for i := range 3000 {
		switch i % 7 {
		case 0:
			fmt.Fprintf(&b, "+41%07d,valid,\"a, %d\nb\"\n", i, i)
		case 1:
			fmt.Fprintf(&b, "+41%07d,invalid,%s\r\n", i, long(20000))
		case 2:
			b.WriteString("\n\r\n")
		default:
			fmt.Fprintf(&b, "+41%07d,valid,%d\n", i, i)
		}
	}
	b.WriteString("+41,valid,\"\"bad\"\n+42,valid\n")
	fast, slow := readText(t, "r.csv", b.String(), true, 64<<10), readText(t, "r.csv", b.String(), false, 64<<10)
	if fast != slow {
		t.Fatalf("fast path and encoding/csv differ (%d and %d bytes of rows)", len(fast), len(slow))
	}
	if !strings.Contains(fast, "end: ") || strings.Count(fast, "\n") < 2000 {
		t.Fatalf("too few rows read (%d): %s", strings.Count(fast, "\n"), fast[strings.LastIndex(fast, "end: "):])
	}
	// A run of blank lines past the limit (the limiter's error reaches the
	// fast path in the middle of a read).
	flood := "Number,phoneCheck\n+41,valid\n" + long(3000) + "," + strings.Repeat("\n", 40000) + "+42,valid\n"
	if fast, slow := readText(t, "r.csv", flood, true, 1000), readText(t, "r.csv", flood, false, 1000); fast != slow || !strings.Contains(fast, "longer than") {
		t.Fatalf("a flood of blank lines:\nfast path:\n%.300s\nencoding/csv:\n%.300s", fast, slow)
	}
	fast, slow = readText(t, "r.csv", b.String(), true, 10<<10), readText(t, "r.csv", b.String(), false, 10<<10)
	if fast != slow {
		t.Fatalf("with a line limit, fast path and encoding/csv differ:\n%.500s\n%.500s", fast[max(0, len(fast)-500):], slow[max(0, len(slow)-500):])
	}
}
