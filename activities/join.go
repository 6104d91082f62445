package activities

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/results"
)

// Join gives every input line its row back: Line, Input and the engine's
// columns from local.csv, Number and phoneCheck from the remote verdict for
// the numbers that were uploaded; set-aside lines keep the engine's answer.
func (a *Activities) Join(ctx context.Context, in JoinInput) (JoinResult, error) {
	dir, err := a.workDir(in.SHA256)
	if err != nil {
		return JoinResult{}, err
	}
	var verdicts *verdictSet
	if in.ZipPath != "" {
		if verdicts, err = readVerdicts(in.ZipPath, in.TaskID); err != nil {
			return JoinResult{}, err
		}
	}
	res := JoinResult{RowsPath: filepath.Join(dir, "joined.csv"),
		ByReason: map[string]int{}, ByType: map[string]int{}, ByRegion: map[string]int{}, ByPhoneCheck: map[string]int{}}
	out, err := results.Create(res.RowsPath, results.CSV)
	if err != nil {
		return JoinResult{}, err
	}
	defer out.Abort()
	hb := &heartbeatEvery{ctx: ctx, d: 5 * time.Second}
	err = readRows(in.LocalPath, func(r *phone.Result) error {
		if r.CountryCode != "" && in.ZipPath != "" {
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
	return res, out.Commit()
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

// verdictSet maps numbers to verdicts compactly: a million numbers held as
// strings in a map[string]string take about 100 MB, as integer keys with a
// verdict index about a third of that.
type verdictSet struct {
	names   []string         // the distinct verdicts
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

// readRows streams a CSV in the result schema (as written by results).
func readRows(path string, fn func(*phone.Result) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = len(phone.Header)
	head, err := cr.Read()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if strings.Join(head, ",") != strings.Join(phone.Header, ",") {
		return fmt.Errorf("%s: not a result file (header %q)", path, head)
	}
	var r phone.Result
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		line, _ := strconv.Atoi(rec[3])
		r = phone.Result{Number: rec[0], PhoneCheck: rec[1], Input: rec[2], Line: line, Reason: rec[4], Type: rec[5],
			CountryCode: rec[6], Region: rec[7], International: rec[8], National: rec[9], Carrier: rec[10], Location: rec[11], TimeZones: rec[12]}
		if err := fn(&r); err != nil {
			return err
		}
	}
}

// Export writes one output format of the joined rows into the file's output
// directory, atomically.
func (a *Activities) Export(ctx context.Context, in ExportInput) (ExportResult, error) {
	format, err := results.ParseFormat(in.Format)
	if err != nil {
		return ExportResult{}, badInput("%v", err)
	}
	if err := os.MkdirAll(in.OutputDir, 0o755); err != nil {
		return ExportResult{}, err
	}
	path := filepath.Join(in.OutputDir, "results."+string(format))
	if format == results.CSV { // the joined rows are that CSV already, byte for byte
		if err := copyFileAtomic(in.RowsPath, path, 0o644); err != nil {
			return ExportResult{}, err
		}
		return exported(path)
	}
	out, err := results.Create(path, format)
	if err != nil {
		return ExportResult{}, err
	}
	defer out.Abort()
	hb := &heartbeatEvery{ctx: ctx, d: 5 * time.Second}
	n := 0
	if err := readRows(in.RowsPath, func(r *phone.Result) error {
		n++
		hb.beat(n)
		return out.Write(r)
	}); err != nil {
		return ExportResult{}, err
	}
	if err := out.Commit(); err != nil {
		return ExportResult{}, err
	}
	return exported(path)
}

func exported(path string) (ExportResult, error) {
	st, err := os.Stat(path)
	if err != nil {
		return ExportResult{}, err
	}
	return ExportResult{Path: path, Bytes: st.Size()}, nil
}

// WriteSummary writes summary.json into the output directory.
func (a *Activities) WriteSummary(ctx context.Context, in SummaryInput) (string, error) {
	if err := os.MkdirAll(in.OutputDir, 0o755); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(in.Summary, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(in.OutputDir, "summary.json")
	return path, writeFileAtomic(path, append(b, '\n'), 0o644)
}

// Archive moves the input to done/ or failed/ (with a .reason file), and
// removes the file's work directory after success.
func (a *Activities) Archive(ctx context.Context, in ArchiveInput) (string, error) {
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
	if in.WorkDir != "" {
		os.RemoveAll(in.WorkDir)
	}
	return dst, nil
}
