package cli

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/phonecheck/phonecheck/workflows"
)

// printResult writes a finished file's counts and outputs (submit --wait,
// results).
func printResult(stdio IO, id string, r workflows.Result) {
	fmt.Fprintf(stdio.Out, "%s: %s rows, %s valid, %s invalid (uploaded %s, folded %s, set aside %s; %s; task %s)\n",
		id, group(int64(r.Rows)), group(int64(r.Valid)), group(int64(r.Invalid)),
		group(int64(r.Uploaded)), group(int64(r.Folded)), group(int64(r.SetAside)), count(r.Polls, "poll"), orDash(r.TaskID))
	if r.Report != "" {
		fmt.Fprintf(stdio.Out, "  %-7s %s\n", "report", r.Report)
	}
	for _, f := range sortedKeys(r.Outputs) {
		fmt.Fprintf(stdio.Out, "  %-7s %s\n", f, r.Outputs[f])
	}
	fmt.Fprintf(stdio.Out, "  %-7s %s\n", "summary", r.Summary)
}

// count is n and noun, plural unless n is 1.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func printJSON(stdio IO, v any) int {
	enc := json.NewEncoder(stdio.Out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return ExitError
	}
	return ExitOK
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

// group formats n with thousands separators.
func group(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
