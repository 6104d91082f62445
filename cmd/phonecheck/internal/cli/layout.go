package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/config"
)

// The layout of earlier versions in the working directory: state in
// .phonecheck/, the inbox and results beside it. A directory that holds
// such state (and not the current layout) keeps it, so an upgrade finds
// its unfinished files, its task records and its offline server's key.
const (
	legacyDataDir = ".phonecheck"
	legacyInbox   = "inbox"
	legacyOut     = "results"
)

// keepLegacyLayout switches the defaults of data_dir, inbox and out (those
// the command binds and nobody set) to the old layout when the working
// directory has old state and no new one, and says so once.
func keepLegacyLayout(cfg *config.Resolved, stdio IO, keys ...string) {
	if _, err := os.Stat(filepath.Join(legacyDataDir, "temporal.db")); err != nil {
		if _, err := os.Stat(filepath.Join(legacyDataDir, "store")); err != nil {
			return
		}
	}
	def, _ := config.Lookup("data_dir")
	if _, err := os.Stat(def.Default); err == nil {
		return // the current layout is there too: it wins
	}
	old := map[string]string{"data_dir": legacyDataDir, "inbox": legacyInbox, "out": legacyOut}
	changed := false
	for _, k := range keys {
		if v, ok := old[k]; ok && cfg.Redefault(k, v) {
			changed = true
		}
	}
	if changed {
		fmt.Fprintf(stdio.Err, "phonecheck: using the earlier layout here (state in %s, ./%s, ./%s); move them under ./phonecheck/ (state, inbox, results) to use the new one\n",
			legacyDataDir, legacyInbox, legacyOut)
	}
}
