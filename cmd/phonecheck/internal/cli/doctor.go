package cli

import (
	"context"
	"fmt"
	"slices"

	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/config"
	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/doctor"
)

var doctorCmd = &command{
	name:    "doctor",
	summary: "check Temporal, the task API and the folders; say what to fix",
	about: "Checks what the other commands need, with the same settings: Temporal, the task API,\n" +
		"the data directory, the inbox, the output location and the store. It prints ✓ or ✗ with\n" +
		"what to do for each, and exits 1 if anything fails.",
	docs: "observability.md",
	keys: slices.Concat([]string{"api.url", "api.key", "data_dir", "inbox", "out", "store"}, config.TemporalKeys),
	run:  runDoctor,
}

// runDoctor checks Temporal, the task API and the folders with the
// settings the other commands would use, and exits 1 if anything fails.
func runDoctor(x *call) int {
	stdio, cfg := x.stdio, x.cfg
	results := doctor.Run(context.Background(), doctor.Options{
		Temporal: temporalOptions(cfg),
		APIURL:   cfg.String("api.url"), APIKey: cfg.String("api.key"),
		DataDir: cfg.String("data_dir"), Inbox: cfg.String("inbox"), Out: cfg.String("out"),
		Store: cfg.String("store"),
	})
	if failed := doctor.Print(stdio.Out, results); failed > 0 {
		fmt.Fprintf(stdio.Err, "phonecheck doctor: %d of %d checks failed\n", failed, len(results))
		return ExitError
	}
	return ExitOK
}
