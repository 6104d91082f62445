package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"

	"go.temporal.io/sdk/temporal"

	"github.com/phonecheck/phonecheck/internal/store"
	"github.com/phonecheck/phonecheck/taskapi"
)

type DownloadInput struct {
	SHA256  string `json:"sha256"`
	TaskID  string `json:"task_id"`
	FileKey string `json:"file_key,omitempty"` // names the work files (workflows.FileKey); "" for sha256
	// Report: a refused or missing result link is returned (Refused) for
	// the workflow to poll for a new one, counted; the download itself
	// never makes a billed call. Runs started before leave it unset.
	Report bool `json:"report,omitempty"`
}

type DownloadResult struct {
	ZipKey string `json:"zip_key"`
	Bytes  int64  `json:"bytes"`
	// Refused (with Report) says why there is no zip: the link was
	// refused or is not kept; a new one is needed.
	Refused string `json:"refused,omitempty"`
}

// Download fetches the result zip, size-limited, into this worker's scratch
// directory and from there into the store (the same file under a second
// name where the store is a directory beside it).
func (a *Activities) Download(ctx context.Context, in DownloadInput) (_ DownloadResult, err error) {
	defer func() { err = a.workDiskError(err) }()
	work := workOf(in.FileKey, in.SHA256)
	if in.Report {
		return a.download(ctx, in, work)
	}
	linkKey, err := workKey(work, "result_url")
	if err != nil {
		return DownloadResult{}, err
	}
	zipKey, _ := workKey(work, "result.zip")
	zipPath, err := a.scratchZip(work)
	if err != nil {
		return DownloadResult{}, err
	}
	link, err := a.Store.ReadAll(ctx, linkKey)
	if errors.Is(err, store.ErrNotFound) {
		// The poll that saw the task ready did not keep the link: ask once
		// more (billed).
		task, err := a.API.GetTask(ctx, in.TaskID)
		if err != nil {
			return DownloadResult{}, apiError(err)
		}
		link = []byte(task.ResultURL)
	} else if err != nil {
		return DownloadResult{}, err
	}
	limit := a.MaxResultBytes
	if limit <= 0 {
		limit = 2 << 30
	}
	n, err := a.API.DownloadResult(ctx, string(link), zipPath, limit)
	if errors.Is(err, taskapi.ErrNotFound) || errors.Is(err, taskapi.ErrUnauthorized) {
		// A signed link expires: forget it, and the retry asks for a new one.
		if derr := a.Store.Delete(ctx, linkKey); derr != nil {
			return DownloadResult{}, derr
		}
		return DownloadResult{}, fmt.Errorf("result link refused, asking for a new one: %w", err)
	}
	if err != nil {
		return DownloadResult{}, apiError(err)
	}
	if _, err := a.Store.Adopt(ctx, zipKey, zipPath); err != nil {
		return DownloadResult{}, err
	}
	return DownloadResult{ZipKey: zipKey, Bytes: n}, nil
}

// download is Download with Report: the link is the one Poll kept for the
// task, the transfer heartbeats with its bytes, and a refused link or a
// result over the limit is an answer, not a retry.
func (a *Activities) download(ctx context.Context, in DownloadInput, work string) (DownloadResult, error) {
	linkKey, err := workKey(work, "result_link.json")
	if err != nil {
		return DownloadResult{}, err
	}
	zipKey, _ := workKey(work, "result.zip")
	zipPath, err := a.scratchZip(work)
	if err != nil {
		return DownloadResult{}, err
	}
	var link resultLink
	b, err := a.Store.ReadAll(ctx, linkKey)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return DownloadResult{}, err
	}
	if err != nil || json.Unmarshal(b, &link) != nil || link.TaskID != in.TaskID || link.URL == "" {
		return DownloadResult{Refused: "no result link of task " + in.TaskID + " is kept"}, nil
	}
	limit := a.MaxResultBytes
	if limit <= 0 {
		limit = 2 << 30
	}
	var got atomic.Int64
	var n int64
	err = keepAlive(ctx, func() any { return got.Load() }, func() error {
		var err error
		n, err = a.API.DownloadResult(taskapi.WithProgress(ctx, got.Store), link.URL, zipPath, limit)
		return err
	})
	switch {
	case errors.Is(err, taskapi.ErrNotFound) || errors.Is(err, taskapi.ErrUnauthorized):
		// A signed link expires: forget it; the workflow asks for a new one.
		if derr := a.Store.Delete(ctx, linkKey); derr != nil {
			return DownloadResult{}, derr
		}
		return DownloadResult{Refused: err.Error()}, nil
	case errors.Is(err, taskapi.ErrTooLarge):
		return DownloadResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf(
			"the result of task %s is larger than the limit of %d bytes: %v", in.TaskID, limit, err), ErrBadResult, nil)
	case err != nil:
		return DownloadResult{}, apiError(err)
	}
	if _, err := a.Store.Adopt(ctx, zipKey, zipPath); err != nil {
		return DownloadResult{}, err
	}
	return DownloadResult{ZipKey: zipKey, Bytes: n}, nil
}
