// Command gen writes what the phone package embeds from nyaruka/phonenumbers:
// the digit automata of its metadata (phone/internal/automata), and its
// carrier, geocoding and time zone data for English, which nyaruka keeps
// unexported, as flat prefix tables (phone/internal/prefixtable). It runs
// from phone/ through go generate; the phone tests fail when the files are
// stale.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/nyaruka/phonenumbers"
	"github.com/phonecheck/phonecheck/phone/internal/automata"
	"github.com/phonecheck/phonecheck/phone/internal/prefixtable"
)

func main() {
	out := flag.String("o", "automata.bin", "automata file")
	data := flag.String("data", "prefixdata", "directory for the prefix tables")
	verbose := flag.Bool("v", false, "list the automata left to the regexps")
	flag.Parse()
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		log.Fatal(err)
	}
	t, err := automata.Build(coll)
	if err != nil {
		log.Fatal(err)
	}
	encoded := t.Encode()
	if err := os.WriteFile(*out, encoded, 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "%s: %d entries, %d states, %d bytes, %d automata left to regexps\n", *out, len(t.Entries), len(t.Label), len(encoded), len(t.Skipped))
	if *verbose {
		for _, s := range t.Skipped {
			fmt.Fprintln(os.Stderr, "  ", s)
		}
	}

	dir, err := moduleDir()
	if err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(*data, 0o755); err != nil {
		log.Fatal(err)
	}
	for _, src := range prefixtable.Sources {
		b, err := src.Build(dir)
		if err != nil {
			log.Fatal(err)
		}
		path := filepath.Join(*data, src.Name)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
			continue
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(os.Stderr, "%s: %d bytes\n", path, len(b))
	}
}

// moduleDir is where the go command keeps the nyaruka/phonenumbers this
// module builds with.
func moduleDir() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/nyaruka/phonenumbers").Output()
	if err != nil {
		return "", fmt.Errorf("go list -m github.com/nyaruka/phonenumbers: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}
