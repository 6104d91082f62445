package activities

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/phonecheck/phonecheck/internal/bufpool"
	"github.com/phonecheck/phonecheck/internal/input"
	"github.com/phonecheck/phonecheck/internal/spool"
	"github.com/phonecheck/phonecheck/internal/store"
	"github.com/phonecheck/phonecheck/internal/validate"
	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/results"
)

type PrepareInput struct {
	Key     string `json:"key,omitempty"` // the input in the store (InputKey); "" reads Path
	Path    string `json:"path"`
	SHA256  string `json:"sha256"`
	Region  string `json:"region"`
	FileKey string `json:"file_key,omitempty"` // names the work files (workflows.FileKey); "" for sha256
	// Columns, RegionColumn and Sheet choose what is read of a table
	// input (workflows.Options).
	Columns      []string `json:"columns,omitempty"`
	RegionColumn string   `json:"region_column,omitempty"`
	Sheet        string   `json:"sheet,omitempty"`
}

type PrepareResult struct {
	UploadKey string `json:"upload_key"` // distinct E.164 numbers, one a line
	// UploadSHA256 is the upload file's sha256: what is billed, and so what
	// the task ledger and the idempotency key are named by.
	UploadSHA256 string `json:"upload_sha256"`
	LocalKey     string `json:"local_key"` // the engine's rows for every line (CSV)
	Lines        int    `json:"lines"`     // input lines, blank ones included
	Rows         int    `json:"rows"`      // non-blank lines
	Uploaded     int    `json:"uploaded"`  // distinct numbers to check remotely
	Folded       int    `json:"folded"`    // repeats of an uploaded number
	SetAside     int    `json:"set_aside"` // lines that do not parse: invalid without asking
}

// Prepare reads the input once: every line gets the local engine's row
// (local.csv), and the distinct E.164 numbers of the lines that parse go to
// upload.txt in first-seen order. Lines that do not parse are set aside
// (invalid without asking anyone) and repeats are folded, so only what
// needs checking is uploaded and billed, always as E.164.
func (a *Activities) Prepare(ctx context.Context, in PrepareInput) (_ PrepareResult, err error) {
	defer func() { err = a.workDiskError(err) }()
	work := workOf(in.FileKey, in.SHA256)
	uploadKey, err := workKey(work, "upload.txt")
	if err != nil {
		return PrepareResult{}, err
	}
	localKey, _ := workKey(work, "local.csv")
	region, err := phone.NormalizeRegion(in.Region)
	if err != nil {
		return PrepareResult{}, badInput("%v", err)
	}
	name := filepath.Base(in.Path)
	f, err := a.openInput(ctx, in)
	if err != nil {
		return PrepareResult{}, err
	}
	defer f.Close()
	// The input is read as validate reads it (input.Open): one number a
	// line, or a CSV, TSV or XLSX table, whose chosen columns are checked.
	hash := sha256.New()
	src := &readErrors{r: f}
	tee := io.TeeReader(src, hash)
	spool, err := a.scratchBase() // spooled files have names of their own
	if err != nil {
		return PrepareResult{}, err
	}
	opened, err := a.openTable(tee, spool, input.Options{Columns: in.Columns, RegionColumn: in.RegionColumn, Sheet: in.Sheet, Region: region})
	if err != nil {
		var pathErr *fs.PathError
		if src.err != nil || errors.As(err, &pathErr) {
			return PrepareResult{}, err // reading the store or the spool's disk, not the input: retried
		}
		return PrepareResult{}, badInput("%s: %v", name, err)
	}
	defer opened.Close()
	// checked drains what the reader left (a text table's reader stops at
	// its last record) and compares the content with what was claimed.
	checked := func() error {
		if _, err := io.Copy(io.Discard, tee); err != nil {
			return err
		}
		if got := hex.EncodeToString(hash.Sum(nil)); got != in.SHA256 {
			return badInput("%s changed after it was claimed (sha256 %s, expected %s): drop a new copy instead of editing it in place", name, got, in.SHA256)
		}
		return nil
	}
	if opened.Table != nil {
		return a.prepareTable(ctx, opened.Table, work, uploadKey, localKey, region, checked)
	}

	res := PrepareResult{UploadKey: uploadKey, LocalKey: localKey}
	localOut, err := a.Store.Create(ctx, localKey)
	if err != nil {
		return PrepareResult{}, err
	}
	defer localOut.Abort()
	local, err := results.NewWriter(results.CSV, localOut)
	if err != nil {
		return PrepareResult{}, err
	}
	uploadOut, err := a.Store.Create(ctx, uploadKey)
	if err != nil {
		return PrepareResult{}, err
	}
	defer uploadOut.Abort()
	uploadHash := sha256.New()
	upload := bufpool.Writer(io.MultiWriter(uploadOut, uploadHash))
	defer bufpool.PutWriter(upload)

	hb := &heartbeatEvery{ctx: ctx, d: 5 * time.Second}
	// The workers encode local.csv; w folds the numbers to upload.
	w := &prepareWriter{upload: upload, seen: newVerdictSet(), res: &res}
	sum, err := validate.Run(ctx, opened.Lines, w, validate.Options{
		Encoder:  results.EncoderOf(local),
		Region:   region,
		Progress: func(rows, _ int64) { hb.beat(rows) },
	})
	if err != nil {
		return PrepareResult{}, err
	}
	if err := checked(); err != nil {
		return PrepareResult{}, err
	}
	if sum.Rows == 0 {
		return PrepareResult{}, badInput("%s holds no phone numbers (%d blank lines): nothing to validate", name, sum.Lines)
	}
	res.Lines, res.Rows = sum.Lines, int(sum.Rows)
	if err := local.Close(); err != nil {
		return PrepareResult{}, err
	}
	if err := localOut.Commit(); err != nil {
		return PrepareResult{}, err
	}
	if err := upload.Flush(); err != nil {
		return PrepareResult{}, err
	}
	if err := uploadOut.Commit(); err != nil {
		return PrepareResult{}, err
	}
	res.UploadSHA256 = hex.EncodeToString(uploadHash.Sum(nil))
	return res, nil
}

// openInput opens the input: from the store, where starters put it, or at
// its path (workflows started before inputs went to the store).
func (a *Activities) openInput(ctx context.Context, in PrepareInput) (io.ReadCloser, error) {
	if in.Key != "" {
		r, err := a.Store.Open(ctx, in.Key)
		if errors.Is(err, store.ErrNotFound) {
			return nil, badInput("the input %s is not in the store %s: was it removed while it was being processed?", filepath.Base(in.Path), a.Store)
		}
		return r, err
	}
	f, err := os.Open(in.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, badInput("the input %s is gone: was it moved away while it was being processed?", in.Path)
	}
	return f, err
}

type prepareWriter struct {
	upload *bufio.Writer
	seen   *verdictSet // the numbers uploaded so far, kept compactly
	res    *PrepareResult
}

func (p *prepareWriter) Write(r *phone.Result) error {
	switch _, dup := p.seen.get(r.Number); {
	case r.CountryCode == "":
		p.res.SetAside++
	case dup:
		p.res.Folded++
	default:
		p.seen.put(r.Number, "")
		p.res.Uploaded++
		p.upload.WriteString(r.Number)
		return p.upload.WriteByte('\n')
	}
	return nil
}

// readErrors remembers a reader's first error other than io.EOF, to tell
// a failed read from an input that cannot be read as a table.
type readErrors struct {
	r   io.Reader
	err error
}

func (e *readErrors) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// oleMagic starts an OLE compound file: a legacy .xls, or a workbook saved
// with a password.
const oleMagic = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"

// openTable is input.Open on the input stream; an OLE compound file is
// copied to dir first, so that input can tell a password-protected workbook
// from a legacy one by its streams, as validate does for a file.
func (a *Activities) openTable(r io.Reader, dir string, opt input.Options) (*input.Input, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if head, _ := br.Peek(len(oleMagic)); string(head) != oleMagic {
		return input.Open(br, opt, dir)
	}
	f, err := spool.Create(dir, ".phonecheck-input-*")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := io.Copy(f, br); err != nil {
		return nil, err
	}
	return input.Open(f, opt, dir) // (an OLE file is never opened: only named)
}
