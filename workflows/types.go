package workflows

import "time"

// TaskQueue is where phonecheck workers poll.
const TaskQueue = "phonecheck"

// WorkflowIDPrefix plus the input's sha256 is the workflow id: the same
// content is one workflow, whoever starts it and however often.
const WorkflowIDPrefix = "phonecheck-"

// StageSearchAttribute holds the current stage, so `list` can filter.
const StageSearchAttribute = "PhonecheckStage"

// WorkflowID is the id of the workflow for a file with this sha256 (hex).
func WorkflowID(sha256Hex string) string { return WorkflowIDPrefix + sha256Hex }

// Stages of a file's lifecycle, in order.
const (
	StagePreparing   = "preparing"
	StageUploading   = "uploading"
	StagePolling     = "polling"
	StageDownloading = "downloading"
	StageJoining     = "joining"
	StageExporting   = "exporting"
	StageArchiving   = "archiving"
	StageDone        = "done"
	StageFailed      = "failed"
)

// Input starts a workflow. It carries references, never numbers.
type Input struct {
	Path      string   `json:"path"`       // the claimed input file, on the host that claimed it
	Key       string   `json:"key"`        // its content in the workers' store (activities.InputKey)
	Name      string   `json:"name"`       // the file's original name, for outputs
	SHA256    string   `json:"sha256"`     // of the file's content
	Size      int64    `json:"size"`       // of the file in bytes (0 if unknown): small files run local steps
	Region    string   `json:"region"`     // default region for national numbers ("" for none)
	Formats   []string `json:"formats"`    // export formats: csv, xlsx, jsonl
	OutputDir string   `json:"output_dir"` // outputs go to <OutputDir>/<name>-<shorthash>/: a directory or a bucket URL
	DoneDir   string   `json:"done_dir"`   // where the input goes on success
	FailedDir string   `json:"failed_dir"` // and on failure, with a .reason file
	// FilesQueue is the task queue of the host that holds Path, where the
	// archive runs; "" runs it on TaskQueue (one host, or a shared mount).
	FilesQueue string `json:"files_queue,omitempty"`

	PollInterval    time.Duration `json:"poll_interval,omitempty"`     // first poll delay (default 2s)
	MaxPollInterval time.Duration `json:"max_poll_interval,omitempty"` // (default 60s)
	Deadline        time.Duration `json:"deadline,omitempty"`          // for the remote task (default 24h)
}

// Progress is what the progress query answers.
type Progress struct {
	Stage        string    `json:"stage"`
	RemoteStatus string    `json:"remote_status,omitempty"`
	TaskID       string    `json:"task_id,omitempty"`
	Lines        int       `json:"lines"`
	Uploaded     int       `json:"uploaded"`
	Folded       int       `json:"folded"`
	SetAside     int       `json:"set_aside"`
	Total        int       `json:"total"`
	Success      int       `json:"success"`
	Failure      int       `json:"failure"`
	Polls        int       `json:"polls"`
	ETA          time.Time `json:"eta,omitempty"`
	Error        string    `json:"error,omitempty"`
}

// Result is the workflow's result.
type Result struct {
	Progress
	OutputDir string            `json:"output_dir"`
	Outputs   map[string]string `json:"outputs"` // format -> path
	Summary   string            `json:"summary"` // path of summary.json
	Archived  string            `json:"archived"`
	Rows      int               `json:"rows"`
	Valid     int               `json:"valid"`
	Invalid   int               `json:"invalid"`
}
