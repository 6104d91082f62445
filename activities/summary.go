package activities

import (
	"context"
	"encoding/json"
	"time"
)

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
	MissingVerdicts int                `json:"missing_verdicts"` // rows marked unanswered
	Unanswered      int                `json:"unanswered"`       // distinct uploaded numbers the result leaves out
	Conflicting     int                `json:"conflicting"`      // distinct numbers it answers with two verdicts
	ByPhoneCheck    map[string]int     `json:"by_phone_check"`
	ByReason        map[string]int     `json:"by_reason"`
	ByType          map[string]int     `json:"by_type"`
	ByRegion        map[string]int     `json:"by_region"`
	Outputs         map[string]string  `json:"outputs"`
	Report          string             `json:"report,omitempty"` // report.html
	StartedAt       time.Time          `json:"started_at"`
	FinishedAt      time.Time          `json:"finished_at"`
	StageSeconds    map[string]float64 `json:"stage_seconds"`
}

type SummaryInput struct {
	Output  string  `json:"output"` // as in ExportInput
	Dir     string  `json:"dir"`
	Summary Summary `json:"summary"`
}

// WriteSummary writes summary.json into the file's output directory.
func (a *Activities) WriteSummary(ctx context.Context, in SummaryInput) (string, error) {
	dst, err := a.output(ctx, in.Output)
	if err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(in.Summary, "", "  ")
	if err != nil {
		return "", err
	}
	key := in.Dir + "/summary.json"
	dst.RemoveTemps(key)
	return dst.Location(key), dst.WriteAll(ctx, key, append(b, '\n'))
}
