package watcher

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "watch.json")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadConfig(t *testing.T) {
	p := writeConfig(t, `{
  "rescan": "5s", "poll_interval": "1s", "concurrency": 4,
  "defaults": {"region": "ch", "formats": ["CSV"], "out": "results", "settle": "3s"},
  "folders": [
    {"dir": "inbox/ch"},
    {"dir": "/abs/us", "region": "US", "formats": ["csv", "xlsx"], "recursive": true, "done_marker": true,
     "min_age": "1m", "poll": true, "patterns": ["*.txt"], "state_dir": "state", "settle": "500ms"}
  ]
}`)
	cfg, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Dir(p)
	if cfg.Rescan != 5*time.Second || cfg.PollInterval != time.Second || cfg.Concurrency != 4 {
		t.Errorf("top level: %+v", cfg)
	}
	ch, us := cfg.Folders[0], cfg.Folders[1]
	if ch.Dir != filepath.Join(base, "inbox/ch") || ch.Region != "ch" || !slices.Equal(ch.Formats, []string{"CSV"}) ||
		ch.OutputDir != filepath.Join(base, "results") || ch.Settle != 3*time.Second || ch.Recursive {
		t.Errorf("defaults not applied: %+v", ch)
	}
	if us.Dir != "/abs/us" || us.Region != "US" || !slices.Equal(us.Formats, []string{"csv", "xlsx"}) || !us.Recursive ||
		!us.DoneMarker || us.MinAge != time.Minute || !us.Poll || !slices.Equal(us.Patterns, []string{"*.txt"}) ||
		us.StateDir != filepath.Join(base, "state") || us.Settle != 500*time.Millisecond {
		t.Errorf("folder keys: %+v", us)
	}
	// New normalizes: region and formats.
	n, err := cfg.normalize()
	if err != nil {
		t.Fatal(err)
	}
	if n.Folders[0].Region != "CH" || !slices.Equal(n.Folders[0].Formats, []string{"csv"}) {
		t.Errorf("normalized: %+v", n.Folders[0])
	}
}

func TestLoadConfigErrors(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"folders": [{"dir": "in", "setle": "2s"}]}`, `folders[0]: unknown key "setle"`},
		{`{"folder": []}`, `unknown key "folder"`},
		{`{"defaults": {"regoin": "CH"}, "folders": [{"dir": "in"}]}`, `defaults: unknown key "regoin"`},
		{`{"folders": [{"dir": "in", "settle": "2 seconds"}]}`, `settle: "2 seconds" is not a duration`},
		{`{"folders": [{"dir": "in", "settle": 2}]}`, `line 1, column`},
		{`{"folders": [{"dir": "in", "min_age": "-1s"}]}`, `min_age: "-1s" is negative`},
		{`{"folders": [{"dir": "in", "region": "XX"}]}`, `region: unknown region "XX"`},
		{`{"folders": [{"dir": "in", "formats": ["pdf"]}]}`, `format "pdf": use csv, xlsx, jsonl`},
		{`{"folders": [{"dir": "in", "recursive": "yes"}]}`, `recursive must be a JSON boolean`},
		{`{"folders": [{"region": "CH"}]}`, `"dir" is missing`},
		{`{"folders": []}`, `no folders`},
		{`{"concurrency": 0, "folders": [{"dir": "in"}]}`, `concurrency: 0 must be at least 1`},
		{`{"rescan": "soon", "folders": [{"dir": "in"}]}`, `rescan: "soon" is not a duration`},
		{"{\"folders\": [{\"dir\": \"in\"}]\n,}", `line 2, column 2`},
		{`{"folders": [{"dir": "in"}]} {}`, `unexpected data after the JSON object`},
		{`{"folders": [{"dir": "in"}, {"dir": "in"}]}`, `is given twice`},
		{`{"folders": [{"dir": "in", "recursive": true}, {"dir": "in/sub"}]}`, `lies inside folder`},
		{`{"folders": [{"dir": "in", "out": "in/results"}]}`, `lies inside the inbox`},
		{`{"folders": [{"dir": "in", "state_dir": "in"}]}`, `lies inside the inbox`},
		{`{"folders": [{"dir": "a/in"}, {"dir": "b/in", "state_dir": "a"}]}`, `would share`},
		{`{"folders": [{"dir": "in", "patterns": ["[a-"]}]}`, `pattern "[a-"`},
	} {
		_, err := LoadConfig(writeConfig(t, tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s:\n got %v\nwant an error containing %q", tc.body, err, tc.want)
		}
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}

func TestIgnoredName(t *testing.T) {
	for name, want := range map[string]bool{
		"numbers.txt": false, "numbers.csv": false, "a": false, "done.txt": false,
		".numbers.txt": true, "numbers.txt.part": true, "numbers.PART": true, "n.partial": true,
		"n.tmp": true, "n.temp": true, "n.crdownload": true, "n.download": true, ".n.swp": true,
		"n.swp": true, "n.txt~": true, "~$n.txt": true, "n.txt.done": true, "": true,
	} {
		if got := ignoredName(name); got != want {
			t.Errorf("ignoredName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestClaimedNameRoundTrip(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		c := claimedName("numbers.txt")
		if seen[c] {
			t.Fatalf("claimed name %s repeats", c)
		}
		seen[c] = true
		if got := originalName(c); got != "numbers.txt" {
			t.Fatalf("originalName(%q) = %q", c, got)
		}
	}
	long := strings.Repeat("é", 150) + ".txt" // 304 bytes
	c := claimedName(long)
	if len(c) > maxNameLen || !strings.HasSuffix(c, ".txt") || !utf8.ValidString(c) || !strings.HasPrefix(long, strings.TrimSuffix(originalName(c), ".txt")) {
		t.Errorf("claimedName of a long name: %q (%d bytes)", c, len(c))
	}
	for _, n := range []string{"numbers.txt", "0123456789ab", "0123456789abnumbers.txt", "0123456789xy-a.txt"} {
		if got := originalName(n); got != n {
			t.Errorf("originalName(%q) = %q, want it unchanged", n, got)
		}
	}
}

func TestFolderLayout(t *testing.T) {
	f := Folder{Dir: "/data/inbox"}
	if f.ProcessingDir() != "/data/processing/inbox" || f.DoneDir() != "/data/done/inbox" || f.FailedDir() != "/data/failed/inbox" {
		t.Errorf("layout: %s %s %s", f.ProcessingDir(), f.DoneDir(), f.FailedDir())
	}
	f.StateDir = "/var/lib/phonecheck"
	if f.ProcessingDir() != "/var/lib/phonecheck/processing/inbox" {
		t.Errorf("with a state dir: %s", f.ProcessingDir())
	}
}

func TestMatches(t *testing.T) {
	f := Folder{Patterns: []string{"*.txt", "numbers-*.csv"}}
	for name, want := range map[string]bool{"a.txt": true, "A.TXT": true, "numbers-1.csv": true, "b.csv": false, "a.txt.bak": false} {
		if got := f.matches(name); got != want {
			t.Errorf("matches(%q) = %v", name, got)
		}
	}
	if !(&Folder{}).matches("anything") {
		t.Error("no patterns should match everything")
	}
}

// A folder's table options: "column" as one name or a list, defaults
// inherited, folder keys winning.
func TestLoadConfigTableOptions(t *testing.T) {
	p := writeConfig(t, `{
  "defaults": {"column": "Mobile", "sheet": "Contacts"},
  "folders": [
    {"dir": "crm"},
    {"dir": "shop", "column": ["Phone", "3"], "region_column": "Country", "sheet": ""}
  ]
}`)
	cfg, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	crm, shop := cfg.Folders[0], cfg.Folders[1]
	if !slices.Equal(crm.Columns, []string{"Mobile"}) || crm.Sheet != "Contacts" || crm.RegionColumn != "" {
		t.Errorf("defaults not applied: %+v", crm)
	}
	if !slices.Equal(shop.Columns, []string{"Phone", "3"}) || shop.RegionColumn != "Country" || shop.Sheet != "" {
		t.Errorf("folder keys: %+v", shop)
	}
	if _, err := parseConfig([]byte(`{"folders": [{"dir": "x", "column": 3}]}`), t.TempDir()); err == nil || !strings.Contains(err.Error(), `"column"`) {
		t.Errorf("a numeric column: %v", err)
	}
}
