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
	"github.com/phonecheck/phonecheck/internal/store"
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
	uploadKey, err := workKey(in.SHA256, "upload.txt")
	if err != nil {
		return PrepareResult{}, err
	}
	localKey, _ := workKey(in.SHA256, "local.csv")
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
	head := make([]byte, 64<<10)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return PrepareResult{}, err
	}
	if bytes.IndexByte(head[:n], 0) >= 0 {
		return PrepareResult{}, badInput("%s is binary (it holds NUL bytes), not a text file of phone numbers", name)
	}
	input := io.MultiReader(bytes.NewReader(head[:n]), f)

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
	upload := bufio.NewWriterSize(uploadOut, 256<<10)

	hash := sha256.New()
	hb := &heartbeatEvery{ctx: ctx, d: 5 * time.Second}
	w := &prepareWriter{local: local, upload: upload, seen: newVerdictSet(), res: &res}
	sum, err := validate.Run(ctx, io.TeeReader(input, hash), w, validate.Options{
		Region:   region,
		Progress: func(rows, _ int64) { hb.beat(rows) },
	})
	if errors.Is(err, lines.ErrTooLong) {
		return PrepareResult{}, badInput("%s: %v", name, err)
	}
	if err != nil {
		return PrepareResult{}, err
	}
	if got := hex.EncodeToString(hash.Sum(nil)); got != in.SHA256 {
		return PrepareResult{}, badInput("%s changed after it was claimed (sha256 %s, expected %s): drop a new copy instead of editing it in place", name, got, in.SHA256)
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
	local  results.Writer
	upload *bufio.Writer
	seen   *verdictSet // the numbers uploaded so far, kept compactly
	res    *PrepareResult
}

func (p *prepareWriter) Write(r *phone.Result) error {
	if err := p.local.Write(r); err != nil {
		return err
	}
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
