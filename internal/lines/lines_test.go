package lines

import (
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

func readAll(t *testing.T, s string, max int) ([]string, error) {
	t.Helper()
	r := NewReader(strings.NewReader(s), max)
	var out []string
	for {
		line, n, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if n != len(out)+1 {
			t.Fatalf("line number %d, want %d", n, len(out)+1)
		}
		out = append(out, string(line))
	}
}

func TestLines(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a", []string{"a"}},
		{"a\n", []string{"a"}},
		{"a\r\nb\n\nc", []string{"a\r", "b", "", "c"}},
		{"\n\n", []string{"", ""}},
	} {
		got, err := readAll(t, tc.in, 0)
		if err != nil || strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
			t.Errorf("%q: got %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestLongLinesBeyondBuffer(t *testing.T) {
	long := strings.Repeat("7", 600<<10) // longer than the bufio buffer
	got, err := readAll(t, "1\n"+long+"\n2\n", 1<<20)
	if err != nil || len(got) != 3 || got[1] != long || got[2] != "2" {
		t.Fatalf("got %d lines, err %v", len(got), err)
	}
}

// A line over the bound comes back cut to its first CutLength bytes with
// its whole length; the lines after it are read as usual, and Offset counts
// every byte, the skipped ones too.
func TestLinesOverTheBoundAreCut(t *testing.T) {
	for _, tc := range []struct {
		name string
		long string
		tail string
	}{
		{"in the buffer", strings.Repeat("x", 100<<10), "\n3\n"},
		{"beyond the buffer", strings.Repeat("7", 10<<20), "\n3\n"},
		{"no final newline", strings.Repeat("7", 1<<20), ""},
		{"crlf", strings.Repeat("7", 70<<10) + "\r", "\n3\r\n"}, // the CR is the line's, as for any line
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := "1\n" + tc.long + tc.tail
			r := NewReader(strings.NewReader(in), 0)
			var got []string
			var cuts []int64
			for {
				line, n, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if n != len(got)+1 {
					t.Fatalf("line number %d, want %d", n, len(got)+1)
				}
				got = append(got, string(line))
				cuts = append(cuts, r.Cut())
			}
			if len(got) < 2 || got[1] != tc.long[:CutLength] || cuts[1] != int64(len(tc.long)) || cuts[0] != 0 {
				t.Fatalf("line 2: %d bytes, cut %v; want %d bytes of a %d-byte line", len(got[1]), cuts, CutLength, len(tc.long))
			}
			if tc.tail != "" && (len(got) != 3 || strings.TrimSuffix(got[2], "\r") != "3" || cuts[2] != 0) {
				t.Errorf("after the cut line: %q, cut %v", got[2:], cuts)
			}
			if r.Offset() != int64(len(in)) {
				t.Errorf("offset %d, want %d", r.Offset(), len(in))
			}
		})
	}
}

// The cut never splits a UTF-8 sequence, and a short bound cuts shorter.
func TestCutKeepsWholeCharacters(t *testing.T) {
	long := strings.Repeat("é", 40<<10) // 2 bytes each; 80 KiB
	r := NewReader(strings.NewReader("x"+long+"\n"), 0)
	line, _, err := r.Next()
	if err != nil || !utf8.Valid(line) || len(line) < CutLength-3 || len(line) > CutLength {
		t.Fatalf("cut to %d bytes, valid %v, %v", len(line), utf8.Valid(line), err)
	}
	got, err := readAll(t, "1\n"+strings.Repeat("x", 100)+"\n", 50)
	if err != nil || len(got) != 2 || len(got[1]) != 50 {
		t.Fatalf("short bound: %q, %v", got, err)
	}
}
