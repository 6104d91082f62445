package activities

import "time"

// Payloads of the activities: store keys, paths, hashes, ids and counts,
// never numbers. Keys name objects in Activities.Store.

type PrepareInput struct {
	Key    string `json:"key,omitempty"` // the input in the store (InputKey); "" reads Path
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Region string `json:"region"`
}

type PrepareResult struct {
	UploadKey string `json:"upload_key"` // distinct E.164 numbers, one a line
	LocalKey  string `json:"local_key"`  // the engine's rows for every line (CSV)
	Lines     int    `json:"lines"`      // input lines, blank ones included
	Rows      int    `json:"rows"`       // non-blank lines
	Uploaded  int    `json:"uploaded"`   // distinct numbers to check remotely
	Folded    int    `json:"folded"`     // repeats of an uploaded number
	SetAside  int    `json:"set_aside"`  // lines that do not parse: invalid without asking
}

type UploadInput struct {
	SHA256    string `json:"sha256"`
	UploadKey string `json:"upload_key"`
	Name      string `json:"name"`
}

type UploadResult struct {
	TaskID  string `json:"task_id"`
	Total   int    `json:"total"`
	Resumed bool   `json:"resumed"` // found in the ledger or heartbeat: no new POST
}

type PollInput struct {
	SHA256 string `json:"sha256"`
	TaskID string `json:"task_id"`
}

// TaskStatus is one gettasks answer, without the result link (a bearer
// token for the results, kept in the work directory instead).
type TaskStatus struct {
	Status  string `json:"status"`
	Total   int    `json:"total"`
	Success int    `json:"success"`
	Failure int    `json:"failure"`
}

type DownloadInput struct {
	SHA256 string `json:"sha256"`
	TaskID string `json:"task_id"`
}

type DownloadResult struct {
	ZipKey string `json:"zip_key"`
	Bytes  int64  `json:"bytes"`
}

type JoinInput struct {
	SHA256   string `json:"sha256"`
	LocalKey string `json:"local_key"`
	ZipKey   string `json:"zip_key"` // "" when nothing was uploaded
	TaskID   string `json:"task_id"`
}

type JoinResult struct {
	RowsKey         string         `json:"rows_key"` // joined rows, CSV in the result schema
	Rows            int            `json:"rows"`
	Valid           int            `json:"valid"`
	Invalid         int            `json:"invalid"`
	MissingVerdicts int            `json:"missing_verdicts"` // uploaded numbers the remote did not return
	ByReason        map[string]int `json:"by_reason"`
	ByType          map[string]int `json:"by_type"`
	ByRegion        map[string]int `json:"by_region"`
	ByPhoneCheck    map[string]int `json:"by_phone_check"`
}

type ExportInput struct {
	RowsKey string `json:"rows_key"`
	Format  string `json:"format"`
	Output  string `json:"output"` // the output store: a directory or a URL
	Dir     string `json:"dir"`    // the file's own directory in it
}

type ExportResult struct {
	Path  string `json:"path"` // a local path, or a URL for a remote store
	Bytes int64  `json:"bytes"`
}

// Summary is summary.json in a file's output directory.
type Summary struct {
	File            string             `json:"file"`
	SHA256          string             `json:"sha256"`
	TaskID          string             `json:"task_id,omitempty"`
	Region          string             `json:"region,omitempty"`
	Lines           int                `json:"lines"`
	Rows            int                `json:"rows"`
	Uploaded        int                `json:"uploaded"`
	Folded          int                `json:"folded"`
	SetAside        int                `json:"set_aside"`
	Polls           int                `json:"polls"`
	Valid           int                `json:"valid"`
	Invalid         int                `json:"invalid"`
	MissingVerdicts int                `json:"missing_verdicts"`
	ByPhoneCheck    map[string]int     `json:"by_phone_check"`
	ByReason        map[string]int     `json:"by_reason"`
	ByType          map[string]int     `json:"by_type"`
	ByRegion        map[string]int     `json:"by_region"`
	Outputs         map[string]string  `json:"outputs"`
	StartedAt       time.Time          `json:"started_at"`
	FinishedAt      time.Time          `json:"finished_at"`
	StageSeconds    map[string]float64 `json:"stage_seconds"`
}

type SummaryInput struct {
	Output  string  `json:"output"` // as in ExportInput
	Dir     string  `json:"dir"`
	Summary Summary `json:"summary"`
}

type ArchiveInput struct {
	Path   string `json:"path"` // the claimed file on the host that claimed it
	SHA256 string `json:"sha256"`
	Dir    string `json:"dir"`    // done/ or failed/
	Reason string `json:"reason"` // for failed/: what failed and what to do
	// Clean removes the file's input and work files from the store (after
	// success; a failed file keeps them, and with them the record of its
	// remote task, so dropping it again does not upload it again).
	Clean bool `json:"clean,omitempty"`
}
