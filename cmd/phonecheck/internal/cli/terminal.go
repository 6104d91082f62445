package cli

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/term"
)

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// bar draws done of total as a bar of width cells and a percentage, for the
// progress lines a terminal shows.
func bar(done, total int64, width int) string {
	if total <= 0 {
		return ""
	}
	done = max(0, min(done, total))
	full := int(done * int64(width) / total)
	return "[" + strings.Repeat("█", full) + strings.Repeat("░", width-full) + fmt.Sprintf("] %3d%%", done*100/total)
}
