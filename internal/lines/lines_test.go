package lines

import (
	"errors"
	"io"
	"strings"
	"testing"
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

func TestTooLong(t *testing.T) {
	for _, in := range []string{
		"1\n" + strings.Repeat("x", 100) + "\n",
		"1\n" + strings.Repeat("x", 100), // no final newline
		"1\n" + strings.Repeat("x", 1<<20),
	} {
		_, err := readAll(t, in, 50)
		if !errors.Is(err, ErrTooLong) || !strings.Contains(err.Error(), "line 2 ") {
			t.Errorf("len %d: err = %v, want ErrTooLong at line 2", len(in), err)
		}
	}
}
