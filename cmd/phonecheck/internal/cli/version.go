package cli

import (
	"fmt"
	"runtime/debug"
)

var versionCmd = &command{
	name:    "version",
	summary: "print the version",
	about:   "Prints the version. A build from a git checkout includes the commit.",
	run:     runVersion,
}

// Version is set at build time with -ldflags
// "-X github.com/phonecheck/phonecheck/cmd/phonecheck/internal/cli.Version=v1.2.3".
var Version = ""

func runVersion(x *call) int {
	v := Version
	if v == "" {
		v = "devel"
		if bi, ok := debug.ReadBuildInfo(); ok {
			if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
				v = bi.Main.Version
			}
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 12 {
					v += " " + s.Value[:12]
				}
			}
		}
	}
	fmt.Fprintln(x.stdio.Out, "phonecheck", v)
	return ExitOK
}
