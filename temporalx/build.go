package temporalx

import (
	"runtime/debug"
	"sync"

	"go.temporal.io/sdk/worker"
)

// BuildID names this build where a history records the worker of each
// workflow task: the module version and the commit. It is also the
// process's binary checksum for every SDK worker in it, the embedded
// server's own included: without one the SDK takes an MD5 of the whole
// executable, reading all 400 MB of it, at the first worker's start.
var BuildID = sync.OnceValue(func() string {
	id := "phonecheck"
	if bi, ok := debug.ReadBuildInfo(); ok {
		id += "@" + bi.Main.Version
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && len(s.Value) >= 12:
				id += "-" + s.Value[:12]
			case s.Key == "vcs.modified" && s.Value == "true":
				id += "-dirty"
			}
		}
	}
	worker.SetBinaryChecksum(id)
	return id
})
