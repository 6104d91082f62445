package activities

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/phonecheck/phonecheck/internal/lines"
	"github.com/phonecheck/phonecheck/internal/validate"
	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/results"
)

// Prepare reads the input once: every line gets the local engine's row
// (local.csv), and the distinct E.164 numbers of the lines that parse go to
// upload.txt in first-seen order. Lines that do not parse are set aside
// (invalid without asking anyone) and repeats are folded, so only what
// needs checking is uploaded and billed, always as E.164.
func (a *Activities) Prepare(ctx context.Context, in PrepareInput) (PrepareResult, error) {
	dir, err := a.workDir(in.SHA256)
	if err != nil {
		return PrepareResult{}, err
	}
	region, err := phone.NormalizeRegion(in.Region)
	if err != nil {
		return PrepareResult{}, badInput("%v", err)
	}
	f, err := os.Open(in.Path)
	if errors.Is(err, os.ErrNotExist) {
		return PrepareResult{}, badInput("the input %s is gone: was it moved away while it was being processed?", in.Path)
	}
	if err != nil {
		return PrepareResult{}, err
	}
	defer f.Close()
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, head)
	if bytes.IndexByte(head[:n], 0) >= 0 {
		return PrepareResult{}, badInput("%s is binary (it holds NUL bytes), not a text file of phone numbers", filepath.Base(in.Path))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return PrepareResult{}, err
	}

	res := PrepareResult{WorkDir: dir, UploadPath: filepath.Join(dir, "upload.txt"), LocalPath: filepath.Join(dir, "local.csv")}
	local, err := results.Create(res.LocalPath, results.CSV)
	if err != nil {
		return PrepareResult{}, err
	}
	defer local.Abort()
	upload, err := newAtomicFile(res.UploadPath)
	if err != nil {
		return PrepareResult{}, err
	}
	defer upload.abort()

	hash := sha256.New()
	hb := &heartbeatEvery{ctx: ctx, d: 5 * time.Second}
	w := &prepareWriter{local: local, upload: upload.w, seen: map[string]struct{}{}, res: &res}
	sum, err := validate.Run(ctx, io.TeeReader(f, hash), w, validate.Options{
		Region:   region,
		Progress: func(rows, _ int64) { hb.beat(rows) },
	})
	if errors.Is(err, lines.ErrTooLong) {
		return PrepareResult{}, badInput("%s: %v", filepath.Base(in.Path), err)
	}
	if err != nil {
		return PrepareResult{}, err
	}
	if got := hex.EncodeToString(hash.Sum(nil)); got != in.SHA256 {
		return PrepareResult{}, badInput("%s changed after it was claimed (sha256 %s, expected %s): drop a new copy instead of editing it in place", filepath.Base(in.Path), got, in.SHA256)
	}
	if sum.Rows == 0 {
		return PrepareResult{}, badInput("%s holds no phone numbers (%d blank lines): nothing to validate", filepath.Base(in.Path), sum.Lines)
	}
	res.Lines, res.Rows = sum.Lines, int(sum.Rows)
	if err := local.Commit(); err != nil {
		return PrepareResult{}, err
	}
	if err := upload.commit(); err != nil {
		return PrepareResult{}, err
	}
	return res, nil
}

type prepareWriter struct {
	local  *results.File
	upload *bufio.Writer
	seen   map[string]struct{}
	res    *PrepareResult
}

func (p *prepareWriter) Write(r *phone.Result) error {
	if err := p.local.Write(r); err != nil {
		return err
	}
	switch _, dup := p.seen[r.Number]; {
	case r.CountryCode == "":
		p.res.SetAside++
	case dup:
		p.res.Folded++
	default:
		p.seen[r.Number] = struct{}{}
		p.res.Uploaded++
		p.upload.WriteString(r.Number)
		return p.upload.WriteByte('\n')
	}
	return nil
}

// atomicFile is a buffered temp file renamed into place on commit.
type atomicFile struct {
	path string
	f    *os.File
	w    *bufio.Writer
	done bool
}

func newAtomicFile(path string) (*atomicFile, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, err
	}
	return &atomicFile{path: path, f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

func (a *atomicFile) commit() error {
	if err := a.w.Flush(); err != nil {
		return err
	}
	if err := a.f.Sync(); err != nil {
		return err
	}
	if err := a.f.Close(); err != nil {
		return err
	}
	a.done = true
	return os.Rename(a.f.Name(), a.path)
}

func (a *atomicFile) abort() {
	if !a.done {
		a.f.Close()
		os.Remove(a.f.Name())
	}
}
