package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestUpKeepsEverythingUnderOneRoot runs up as a new user does, in a
// directory of their own: after a file went through, the directory holds
// ./phonecheck/ and nothing else, and that holds the inbox, the results,
// the archived input and the state.
func TestUpKeepsEverythingUnderOneRoot(t *testing.T) {
	dir := t.TempDir()
	u := startUp(t, dir, "--region", "CH", "--no-ui")
	root := filepath.Join(dir, "phonecheck")
	banner := u.stdout.String()
	for _, want := range []string{
		"drop files into  " + filepath.Join(root, "inbox") + "\n",
		"results in       " + filepath.Join(root, "results") + "/<file>-<hash>/ (report.html, results.csv, results.xlsx)\n",
		"inputs go to     " + filepath.Join(root, "done", "inbox") + " or " + filepath.Join(root, "failed", "inbox"),
		"(state in " + filepath.Join(root, "state", "temporal.db") + ")",
		"Temporal UI      off (--no-ui)\n",
	} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	src, err := os.ReadFile("../../../../testdata/numbers-ch.txt")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "inbox", "numbers-ch.txt"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if m, _ := filepath.Glob(filepath.Join(root, "done", "inbox", "*numbers-ch.txt")); len(m) == 1 {
			break
		}
		if time.Now().After(deadline) {
			var tree []string
			filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error { tree = append(tree, p); return nil })
			t.Fatalf("the input was not archived within 2m; the tree:\n%s\nup's log:\n%s", strings.Join(tree, "\n"), u.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := entryNames(t, dir); !slices.Equal(got, []string{"phonecheck"}) {
		t.Errorf("up left %v in its directory, want only phonecheck/", got)
	}
	if got, want := entryNames(t, root), []string{"done", "failed", "inbox", "processing", "results", "state"}; !slices.Equal(got, want) {
		t.Errorf("phonecheck/ holds %v, want %v", got, want)
	}
	reports, _ := filepath.Glob(filepath.Join(root, "results", "numbers-ch-*", "report.html"))
	if len(reports) != 1 {
		t.Errorf("no report.html under phonecheck/results: %v", reports)
	}
}

// A directory where an earlier version ran (state in .phonecheck/, the
// inbox and results beside it) keeps that layout, with a word about it:
// its unfinished files and task records are there.
func TestUpKeepsAnEarlierLayout(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, ".phonecheck", "store"), 0o755); err != nil {
		t.Fatal(err)
	}
	u := startUp(t, dir, "--region", "CH", "--no-ui")
	if !strings.Contains(u.stdout.String(), "drop files into  "+filepath.Join(dir, "inbox")+"\n") ||
		!strings.Contains(u.stdout.String(), "(state in "+filepath.Join(dir, ".phonecheck", "temporal.db")+")") {
		t.Errorf("up did not keep the earlier layout:\n%s", u.stdout)
	}
	if !strings.Contains(u.stderr.String(), "using the earlier layout here") {
		t.Errorf("up did not say it keeps the earlier layout:\n%s", u.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "phonecheck")); err == nil {
		t.Error("up made ./phonecheck/ beside the earlier layout")
	}
}

// entryNames lists a directory's entries, hidden ones too, sorted.
func entryNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}
