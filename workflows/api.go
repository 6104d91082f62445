package workflows

import "time"

// TaskQueue is where phonecheck workers poll.
const TaskQueue = "phonecheck"

// WorkflowIDPrefix plus a file's key (FileKey: its content's sha256 and
// its options) is the workflow id: the same content with the same options is
// one workflow, whoever starts it and however often.
const WorkflowIDPrefix = "phonecheck-"

// QueryProgress is the query a file's workflow answers with its Progress.
const QueryProgress = "progress"

// StageSearchAttribute holds the current stage, so `list` can filter.
const StageSearchAttribute = "PhonecheckStage"

// WorkflowID is the id of the workflow for content with this sha256 (hex)
// and these options.
func WorkflowID(sha256Hex string, o Options) string { return WorkflowIDPrefix + FileKey(sha256Hex, o) }

// LegacyWorkflowID is the id a file's workflow had before its options were
// part of it: the content's sha256 alone. Runs started so keep it.
func LegacyWorkflowID(sha256Hex string) string { return WorkflowIDPrefix + sha256Hex }

// Memo fields: the file's name from the start, its counts once done.
const (
	MemoFile    = "file"
	MemoRows    = "rows"
	MemoValid   = "valid"
	MemoInvalid = "invalid"
)

// Stages of a file's lifecycle, in order.
const (
	StagePreparing   = "preparing"
	StageUploading   = "uploading"
	StagePolling     = "polling"
	StageDownloading = "downloading"
	StageJoining     = "joining"
	StageExporting   = "exporting"
	StageArchiving   = "archiving"
	// StageAwaitingWatcher: the archive step waits for the watcher that
	// holds the input (its files queue) to pick it up.
	StageAwaitingWatcher = "awaiting-watcher"
	StageDone            = "done"
	StageFailed          = "failed"
)

// Options are a file's settings that change its rows: the same content
// with other options is another file to the pipeline (another workflow,
// upload and result), the same content with the same options one. Settings
// that only choose where and in which formats results go are not options.
// A field added here enters FileKey only when set, so the keys of files
// without it stay what they were.
type Options struct {
	Region string `json:"region"` // default region for national numbers ("" for none)
	// Split writes valid.<format> and invalid.<format> beside each full
	// results file. It changes no row, but a file asked for again with it
	// must get those files, which a recalled run without it has not.
	Split bool `json:"split,omitempty"`
	// Columns, RegionColumn and Sheet choose what is read of a CSV, TSV or
	// XLSX input (see input.Options): the phone column(s) by name or
	// number, the column of each row's region, the workbook's sheet.
	Columns      []string `json:"columns,omitempty"`
	RegionColumn string   `json:"region_column,omitempty"`
	Sheet        string   `json:"sheet,omitempty"`
}

// Input starts a workflow. It carries references, never numbers.
type Input struct {
	Path    string `json:"path"`   // the claimed input file, on the host that claimed it
	Key     string `json:"key"`    // its content in the workers' store (activities.InputKey)
	Name    string `json:"name"`   // the file's original name, for outputs
	SHA256  string `json:"sha256"` // of the file's content
	Size    int64  `json:"size"`   // of the file in bytes (0 if unknown): small files run local steps
	Options        // what changes the rows: part of the file's identity
	// FileKey names the file's input and work files in the store (FileKey
	// of SHA256 and Options); "" in runs started before options were part
	// of a file's identity, whose files are named by SHA256 alone.
	FileKey string `json:"file_key,omitempty"`
	// Generation, when set, makes this run start afresh (submit --force):
	// it takes no task recorded before for the same numbers, and its
	// upload has an Idempotency-Key of its own.
	Generation string   `json:"generation,omitempty"`
	Formats    []string `json:"formats"`    // export formats: csv, xlsx, jsonl
	OutputDir  string   `json:"output_dir"` // outputs go to <OutputDir>/<name>-<shorthash>/: a directory or a bucket URL
	DoneDir    string   `json:"done_dir"`   // where the input goes on success
	FailedDir  string   `json:"failed_dir"` // and on failure, with a .reason file
	// Notify is a URL the done or failed file's notice is POSTed to
	// (signed with the workers' secret, never carried here); "" for none.
	Notify string `json:"notify,omitempty"`
	// FilesQueue is the task queue of the host that holds Path, where the
	// archive runs; "" runs it on TaskQueue (one host, or a shared mount).
	FilesQueue string `json:"files_queue,omitempty"`
	// ArchiveWait bounds how long the archive waits on FilesQueue for its
	// watcher (default 1h): past it the file fails, naming the watcher,
	// with its results kept and recorded.
	ArchiveWait time.Duration `json:"archive_wait,omitempty"`

	// Changes is the workflow code's change level the run was started
	// for (CurrentChanges, set by Start): a run started at level 1 or more
	// has every change of changeOneMarker without recording its marker,
	// whose upsert of TemporalChangeVersion is a visibility write of its
	// own. 0 in runs started before it: they decide by their markers.
	Changes int `json:"changes,omitempty"`

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
	// Waiting says what the run waits for when that is not its own work:
	// the watcher that is to archive the input.
	Waiting string `json:"waiting,omitempty"`
}

// Result is the workflow's result.
type Result struct {
	Progress
	OutputDir string            `json:"output_dir"`
	Outputs   map[string]string `json:"outputs"`          // format -> path
	Summary   string            `json:"summary"`          // path of summary.json
	Report    string            `json:"report,omitempty"` // path of report.html
	Archived  string            `json:"archived"`
	Rows      int               `json:"rows"`
	Valid     int               `json:"valid"`
	Invalid   int               `json:"invalid"`
}
