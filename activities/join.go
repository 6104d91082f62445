package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/results"
)

// Join gives every input line its row back: Line, Input and the engine's
// columns from local.csv, Number and phoneCheck from the remote verdict for
// the numbers that were uploaded; set-aside lines keep the engine's answer.
func (a *Activities) Join(ctx context.Context, in JoinInput) (JoinResult, error) {
	rowsKey, err := workKey(in.SHA256, "joined.csv")
	if err != nil {
		return JoinResult{}, err
	}
	var verdicts *verdictSet
	if in.ZipKey != "" {
		zipPath, err := a.localZip(ctx, in)
		if err != nil {
			return JoinResult{}, err
		}
		if verdicts, err = readVerdicts(zipPath, in.TaskID); err != nil {
			return JoinResult{}, err
		}
	}
	res := JoinResult{RowsKey: rowsKey,
		ByReason: map[string]int{}, ByType: map[string]int{}, ByRegion: map[string]int{}, ByPhoneCheck: map[string]int{}}
	local, err := a.Store.Open(ctx, in.LocalKey)
	if err != nil {
		return JoinResult{}, err
	}
	defer local.Close()
	sw, err := a.Store.Create(ctx, rowsKey)
	if err != nil {
		return JoinResult{}, err
	}
	defer sw.Abort()
	out, err := results.NewWriter(results.CSV, sw)
	if err != nil {
		return JoinResult{}, err
	}
	hb := &heartbeatEvery{ctx: ctx, d: 5 * time.Second}
	err = readRows(local, in.LocalKey, func(r *phone.Result) error {
		if r.CountryCode != "" && in.ZipKey != "" {
			if v, ok := verdicts.get(r.Number); ok {
				r.PhoneCheck = v
			} else {
				res.MissingVerdicts++
			}
		}
		res.Rows++
		if r.PhoneCheck == phone.Valid {
			res.Valid++
		} else {
			res.Invalid++
		}
		res.ByPhoneCheck[r.PhoneCheck]++
		res.ByReason[r.Reason]++
		if r.Type != "" {
			res.ByType[r.Type]++
		}
		if r.Region != "" {
			res.ByRegion[r.Region]++
		}
		hb.beat(res.Rows)
		return out.Write(r)
	})
	if err != nil {
		return JoinResult{}, err
	}
	if err := out.Close(); err != nil {
		return JoinResult{}, err
	}
	if err := sw.Commit(); err != nil {
		return JoinResult{}, err
	}
	if in.ZipKey != "" { // the zip is in the store; this worker's copy is done with
		if dir, err := a.scratchDir(in.SHA256); err == nil {
			os.RemoveAll(dir)
		}
	}
	return res, nil
}

// localZip is the result zip as a local file (a zip needs random access):
// the one Download left in this worker's scratch directory, or a copy
// fetched from the store when another worker downloaded it.
func (a *Activities) localZip(ctx context.Context, in JoinInput) (string, error) {
	dir, err := a.scratchDir(in.SHA256)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "result.zip")
	want, err := a.Store.Size(ctx, in.ZipKey)
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(path); err == nil && st.Size() == want {
		return path, nil
	}
	return path, a.Store.Fetch(ctx, in.ZipKey, path)
}

// readVerdicts maps E.164 number to the remote phoneCheck verdict.
func readVerdicts(zipPath, taskID string) (*verdictSet, error) {
	t, err := results.OpenZip(zipPath, results.ZipOptions{TaskID: taskID})
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("result of task %s: %v", taskID, err), ErrBadResult, nil)
	}
	defer t.Close()
	verdicts := newVerdictSet()
	for row, err := range t.All() {
		if err != nil {
			return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("result of task %s: %v", taskID, err), ErrBadResult, nil)
		}
		verdicts.put(row.Number, row.PhoneCheck)
	}
	return verdicts, nil
}

// verdictSet maps numbers to verdicts (or, in Prepare, to nothing: a set)
// compactly: a million numbers held as strings in a map[string]string take
// about 100 MB, as integer keys with a verdict index about a third of that.
type verdictSet struct {
	names   []string          // the distinct verdicts
	index   map[string]uint32 // verdict -> position in names
	numbers map[uint64]uint32 // "+digits" as 1digits (the 1 keeps leading zeros)
	other   map[string]uint32 // whatever else the service answered with
}

func newVerdictSet() *verdictSet {
	return &verdictSet{index: map[string]uint32{}, numbers: map[uint64]uint32{}, other: map[string]uint32{}}
}

// numberKey packs "+" and up to 18 digits into an integer.
func numberKey(number string) (uint64, bool) {
	if len(number) < 2 || len(number) > 19 || number[0] != '+' {
		return 0, false
	}
	k := uint64(1)
	for i := 1; i < len(number); i++ {
		c := number[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		k = k*10 + uint64(c-'0')
	}
	return k, true
}

func (v *verdictSet) put(number, verdict string) {
	i, ok := v.index[verdict]
	if !ok {
		i = uint32(len(v.names))
		v.index[verdict] = i
		v.names = append(v.names, verdict)
	}
	if k, ok := numberKey(number); ok {
		v.numbers[k] = i
	} else {
		v.other[number] = i
	}
}

func (v *verdictSet) get(number string) (string, bool) {
	if v == nil {
		return "", false
	}
	var i uint32
	var ok bool
	if k, isNum := numberKey(number); isNum {
		i, ok = v.numbers[k]
	} else {
		i, ok = v.other[number]
	}
	if !ok {
		return "", false
	}
	return v.names[i], true
}

// readRows streams a CSV in the result schema (as written by results);
// name is for messages.
func readRows(f io.Reader, name string, fn func(*phone.Result) error) error {
	rr, err := results.NewRowReader(f, name)
	if err != nil {
		return err
	}
	var r phone.Result
	for {
		err := rr.Read(&r)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
}

// Export writes one output format of the joined rows into the file's
// directory in the output store, atomically.
func (a *Activities) Export(ctx context.Context, in ExportInput) (ExportResult, error) {
	format, err := results.ParseFormat(in.Format)
	if err != nil {
		return ExportResult{}, badInput("%v", err)
	}
	dst, err := a.output(ctx, in.Output)
	if err != nil {
		return ExportResult{}, err
	}
	key := in.Dir + "/results." + string(format)
	dst.RemoveTemps(key) // a killed attempt's partial file
	rows, err := a.Store.Open(ctx, in.RowsKey)
	if err != nil {
		return ExportResult{}, err
	}
	defer rows.Close()
	sw, err := dst.Create(ctx, key)
	if err != nil {
		return ExportResult{}, err
	}
	defer sw.Abort()
	var n int64
	if format == results.CSV { // the joined rows are that CSV already, byte for byte
		if n, err = io.Copy(sw, rows); err != nil {
			return ExportResult{}, err
		}
	} else {
		out, err := results.NewWriter(format, sw)
		if err != nil {
			return ExportResult{}, err
		}
		hb := &heartbeatEvery{ctx: ctx, d: 5 * time.Second}
		rowsDone := 0
		if err := readRows(rows, in.RowsKey, func(r *phone.Result) error {
			rowsDone++
			hb.beat(rowsDone)
			return out.Write(r)
		}); err != nil {
			return ExportResult{}, err
		}
		if err := out.Close(); err != nil {
			return ExportResult{}, err
		}
	}
	if err := sw.Commit(); err != nil {
		return ExportResult{}, err
	}
	if n == 0 {
		if n, err = dst.Size(ctx, key); err != nil {
			return ExportResult{}, err
		}
	}
	return ExportResult{Path: dst.Location(key), Bytes: n}, nil
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

// Archive moves the input to done/ or failed/ (with a .reason file), and
// removes the file's work directory after success.
func (a *Activities) Archive(ctx context.Context, in ArchiveInput) (string, error) {
	dst, err := archiveFile(in)
	if err == nil && in.Clean {
		a.clean(ctx, in.SHA256)
	}
	return dst, err
}

func archiveFile(in ArchiveInput) (string, error) {
	if err := os.MkdirAll(in.Dir, 0o755); err != nil {
		return "", err
	}
	dst := filepath.Join(in.Dir, filepath.Base(in.Path))
	if _, err := os.Stat(in.Path); errors.Is(err, os.ErrNotExist) {
		if _, err := os.Stat(dst); err == nil {
			return dst, nil // an earlier attempt moved it
		}
		return "", nil // nothing to archive (the input is gone)
	}
	if _, err := os.Stat(dst); err == nil {
		// Another file of this name is archived already: keep both.
		ext := filepath.Ext(dst)
		dst = strings.TrimSuffix(dst, ext) + "-" + in.SHA256[:min(12, len(in.SHA256))] + ext
	}
	if in.Reason != "" {
		if err := writeFileAtomic(dst+".reason", []byte(in.Reason+"\n"), 0o644); err != nil {
			return "", err
		}
	}
	if err := os.Rename(in.Path, dst); err != nil {
		return "", err
	}
	return dst, nil
}

// clean removes a finished file's input and work files from the store and
// this worker's scratch directory. What it cannot remove is only space.
func (a *Activities) clean(ctx context.Context, sha string) {
	work, err := workKey(sha, "")
	if err != nil {
		return
	}
	log := activity.GetLogger(ctx)
	if err := a.Store.DeletePrefix(ctx, work); err != nil {
		log.Warn("removing work files", "error", err)
	}
	if err := a.Store.Delete(ctx, InputKey(sha)); err != nil {
		log.Warn("removing the input from the store", "error", err)
	}
	if dir, err := a.scratchDir(sha); err == nil {
		os.RemoveAll(dir)
	}
}
