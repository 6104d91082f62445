// Command gencommands writes the command reference (doc/commands.md) and
// the README's command table from the CLI's command table; run it with
// 'go generate ./cmd/phonecheck/...'.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/cli"
)

func main() {
	doc := flag.String("doc", "doc/commands.md", "the reference page to write")
	readme := flag.String("readme", "README.md", "the README whose command table to rewrite")
	flag.Parse()
	if err := run(*doc, *readme); err != nil {
		fmt.Fprintln(os.Stderr, "gencommands:", err)
		os.Exit(1)
	}
}

func run(doc, readme string) error {
	var b bytes.Buffer
	if err := cli.Reference(&b); err != nil {
		return err
	}
	if err := writeIfChanged(doc, b.Bytes()); err != nil {
		return err
	}
	text, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	updated, ok := cli.ReadmeWithTable(string(text))
	if !ok {
		return fmt.Errorf("%s has no command table markers (%s … %s)", readme, cli.ReadmeBegin, cli.ReadmeEnd)
	}
	return writeIfChanged(readme, []byte(updated))
}

// writeIfChanged leaves an up-to-date file alone (its time too).
func writeIfChanged(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	return os.WriteFile(path, data, 0o644)
}
