// Command gen writes the digit automata of nyaruka/phonenumbers' metadata
// (phone/internal/automata) to the file the phone package embeds. It runs
// from phone/ through go generate.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/nyaruka/phonenumbers"
	"github.com/phonecheck/phonecheck/phone/internal/automata"
)

func main() {
	out := flag.String("o", "automata.bin", "output file")
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
	data := t.Encode()
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "%s: %d entries, %d states, %d bytes, %d automata left to regexps\n", *out, len(t.Entries), len(t.Label), len(data), len(t.Skipped))
	if *verbose {
		for _, s := range t.Skipped {
			fmt.Fprintln(os.Stderr, "  ", s)
		}
	}
}
