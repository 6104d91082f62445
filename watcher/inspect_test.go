package watcher

import "testing"

func TestBlankCheckAcrossChunks(t *testing.T) {
	for _, tc := range []struct {
		in    string
		blank bool
	}{
		{" \n\t\r\n", true},
		{"\ufeff\n", true},
		{"\u3000\u00a0\u2028\n", true},
		{" \n x", false},
		{"\u00e9", false},
		{"\n\n+41", false},
	} {
		// Every split of the input into two chunks gives the same answer.
		for i := 0; i <= len(tc.in); i++ {
			var b blankCheck
			b.write([]byte(tc.in[:i]))
			b.write([]byte(tc.in[i:]))
			if b.blank != tc.blank {
				t.Errorf("%q split at %d: blank = %v, want %v", tc.in, i, b.blank, tc.blank)
			}
		}
	}
}
