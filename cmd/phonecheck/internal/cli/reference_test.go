package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/config"
)

const regenerate = "run 'go generate ./cmd/phonecheck/...' (make commands) and commit the result"

// TestCommandReference fails when doc/commands.md or the README's command
// table is not what the command and settings tables generate.
func TestCommandReference(t *testing.T) {
	var want bytes.Buffer
	if err := Reference(&want); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../../../doc/commands.md")
	if err != nil {
		t.Fatalf("%v: %s", err, regenerate)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("doc/commands.md differs from the code at line %d: %s", firstDiff(string(got), want.String()), regenerate)
	}
	readme, err := os.ReadFile("../../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	updated, ok := ReadmeWithTable(string(readme))
	if !ok {
		t.Fatalf("README.md lacks the command table markers %q and %q", ReadmeBegin, ReadmeEnd)
	}
	if updated != string(readme) {
		t.Errorf("README.md's command table differs from the code at line %d: %s", firstDiff(string(readme), updated), regenerate)
	}
}

func firstDiff(a, b string) int {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return i + 1
		}
	}
	return min(len(al), len(bl)) + 1
}

// TestHelpListsEveryFlag: each command's --help shows every flag its flag
// set parses, with the environment variables of the settings, and
// 'phonecheck help CMD' and 'CMD -h' print the same on standard output.
func TestHelpListsEveryFlag(t *testing.T) {
	line := regexp.MustCompile(`^  --?([a-z0-9][a-z0-9-]*)`)
	for _, c := range commands {
		code, help, errs := run(t, "", c.name, "--help")
		if code != ExitOK || errs != "" {
			t.Fatalf("%s --help: exit %d, stderr %q", c.name, code, errs)
		}
		if !strings.HasPrefix(help, "Usage: phonecheck "+c.name) {
			t.Errorf("%s --help starts %q", c.name, help[:min(len(help), 40)])
		}
		if _, viaHelp, _ := run(t, "", "help", c.name); viaHelp != help {
			t.Errorf("phonecheck help %s differs from %s --help", c.name, c.name)
		}
		shown := map[string]bool{}
		for _, l := range strings.Split(help, "\n") {
			if m := line.FindStringSubmatch(l); m != nil {
				shown[m[1]] = true
			}
		}
		fs, b, _ := c.flagSet()
		n := 0
		fs.VisitAll(func(f *flag.Flag) {
			n++
			if !shown[f.Name] {
				t.Errorf("%s --help does not show -%s", c.name, f.Name)
			}
			if s, ok := b.FlagSetting(f.Name); ok {
				for _, env := range s.Env {
					if !strings.Contains(help, env) {
						t.Errorf("%s --help does not name %s for --%s", c.name, env, f.Name)
					}
				}
			}
		})
		if len(shown) != n {
			t.Errorf("%s --help shows %d flags, its flag set has %d", c.name, len(shown), n)
		}
		if fs.Lookup(config.ConfigFlag) == nil {
			t.Errorf("%s takes no --config", c.name)
		}
	}
}

// TestHelpAndUsageErrors: help goes to standard output with exit 0; no
// command, an unknown one and a bad flag are one line on standard error
// with exit 2.
func TestHelpAndUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		code, out, errs := run(t, "", args...)
		if code != ExitOK || errs != "" || !strings.Contains(out, "Commands:") {
			t.Errorf("%v: exit %d, %q %q", args, code, out, errs)
		}
		for _, c := range commands {
			if !strings.Contains(out, "  "+c.name+" ") {
				t.Errorf("%v does not list %s", args, c.name)
			}
		}
	}
	if code, out, errs := run(t, ""); code != ExitUsage || out != "" || !strings.Contains(errs, "Commands:") {
		t.Errorf("no command: exit %d, %q", code, errs)
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"help", "nope"}, `phonecheck help: unknown command "nope"`},
		{[]string{"list", "--nope"}, "phonecheck list: flag provided but not defined: -nope (run 'phonecheck list --help' for its flags)"},
		{[]string{"up", "extra"}, `phonecheck up: unexpected argument "extra" (up takes only flags)`},
		{[]string{"validate", "--config", "/nonexistent.yaml", "-"}, "phonecheck validate: config file: open /nonexistent.yaml"},
	} {
		code, out, errs := run(t, "", c.args...)
		if code != ExitUsage || out != "" || !strings.HasPrefix(errs, c.msg) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %d and %q", c.args, code, out, errs, ExitUsage, c.msg)
		}
	}
}

// TestValidateReadsTheConfigFile: validate takes --config like every
// command: region and format come from the file, a flag overrides them.
func TestValidateReadsTheConfigFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "phonecheck.yaml")
	os.WriteFile(file, []byte("region: CH\nvalidate:\n  format: jsonl\n"), 0o600)
	code, out, errs := run(t, "044 668 18 00\n", "validate", "--config", file, "-q", "-")
	if code != ExitOK || !strings.Contains(out, `"Number":"+41446681800"`) {
		t.Fatalf("exit %d: %s%s", code, out, errs)
	}
	if code, out, _ := run(t, "044 668 18 00\n", "validate", "--config", file, "--format", "csv", "-q", "-"); code != ExitOK || !strings.HasPrefix(out, "Number,") {
		t.Errorf("--format over the file: exit %d, %s", code, out)
	}
}

// TestOneFilePerCommand: each command is declared in the file named after
// it, so the tree shows the commands.
func TestOneFilePerCommand(t *testing.T) {
	for _, c := range commands {
		src, err := os.ReadFile(c.name + ".go")
		if err != nil {
			t.Errorf("command %s: %v", c.name, err)
			continue
		}
		if !strings.Contains(string(src), "var "+c.name+"Cmd = &command{") {
			t.Errorf("%s.go does not declare %sCmd", c.name, c.name)
		}
	}
}
