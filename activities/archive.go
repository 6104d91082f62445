package activities

import (
	"context"

	"go.temporal.io/sdk/activity"

	"github.com/phonecheck/phonecheck/internal/durable"
)

type ArchiveInput struct {
	Path   string `json:"path"` // the claimed file on the host that claimed it
	SHA256 string `json:"sha256"`
	Dir    string `json:"dir"`    // done/ or failed/
	Reason string `json:"reason"` // for failed/: what failed and what to do
	// Clean removes the file's input and work files from the store (after
	// success; a failed file keeps them, and with them the record of its
	// remote task, so dropping it again does not upload it again).
	Clean bool `json:"clean,omitempty"`
	// FileKey and InputKey name the work files and the input in the store
	// ("": by SHA256, as runs started before file keys named them).
	FileKey  string `json:"file_key,omitempty"`
	InputKey string `json:"input_key,omitempty"`
}

// Archive moves the input to done/ or failed/ (with a .reason file), and
// removes the file's work directory after success.
func (a *Activities) Archive(ctx context.Context, in ArchiveInput) (string, error) {
	dst, err := archiveFile(in)
	if err == nil && in.Clean {
		a.clean(ctx, in)
	}
	return dst, err
}

func archiveFile(in ArchiveInput) (string, error) {
	var note *durable.Note
	if in.Reason != "" {
		note = &durable.Note{Suffix: ".reason", Text: in.Reason + "\n"}
	}
	dst, err := durable.MoveInto(in.Path, in.Dir, in.SHA256[:min(12, len(in.SHA256))], note)
	return dst, diskError(err, "the folder "+in.Dir,
		"the input stays at "+in.Path+"; make room there (or make it writable), then move the input back into its inbox: "+
			"what was done is recorded, so that is not charged again")
}

// clean removes a finished file's input and work files from the store and
// this worker's scratch directory. What it cannot remove is only space.
func (a *Activities) clean(ctx context.Context, in ArchiveInput) {
	name := workOf(in.FileKey, in.SHA256)
	work, err := workKey(name, "")
	if err != nil {
		return
	}
	log := activity.GetLogger(ctx)
	if err := a.Store.DeletePrefix(ctx, work); err != nil {
		log.Warn("removing work files", "error", err)
	}
	input := in.InputKey
	if input == "" {
		input = InputKey(in.SHA256)
	}
	if err := a.Store.Delete(ctx, input); err != nil {
		log.Warn("removing the input from the store", "error", err)
	}
	a.dropScratch(name)
}
