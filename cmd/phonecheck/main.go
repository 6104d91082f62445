// Command phonecheck validates phone number files and runs the durable
// validation pipeline. See README.md.
package main

import (
	"os"

	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.Stdio()))
}
