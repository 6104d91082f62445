package activities

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/phonecheck/phonecheck/internal/store"
	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/results"
	"github.com/phonecheck/phonecheck/taskapi/resultzip"
)

type JoinInput struct {
	SHA256   string `json:"sha256"`
	LocalKey string `json:"local_key"`
	ZipKey   string `json:"zip_key"` // "" when nothing was uploaded
	TaskID   string `json:"task_id"`
	Region   string `json:"region,omitempty"`   // the default region, to read national forms in the result
	Uploaded int    `json:"uploaded,omitempty"` // distinct numbers uploaded (PrepareResult.Uploaded)
	FileKey  string `json:"file_key,omitempty"` // names the work files (workflows.FileKey); "" for sha256
}

type JoinResult struct {
	RowsKey         string         `json:"rows_key"` // joined rows, CSV in the result schema
	Rows            int            `json:"rows"`
	Valid           int            `json:"valid"`
	Invalid         int            `json:"invalid"`
	MissingVerdicts int            `json:"missing_verdicts"` // rows whose number the result does not answer
	Unanswered      int            `json:"unanswered"`       // distinct uploaded numbers the result does not answer
	Conflicting     int            `json:"conflicting"`      // distinct numbers it answers with different verdicts
	ByReason        map[string]int `json:"by_reason"`
	ByType          map[string]int `json:"by_type"`
	ByRegion        map[string]int `json:"by_region"`
	ByPhoneCheck    map[string]int `json:"by_phone_check"`
}

// Join gives every input line its row back: Line, Input and the engine's
// columns from local.csv, Number and phoneCheck from the remote verdict for
// the numbers that were uploaded; set-aside lines keep the engine's answer.
// The result's numbers are matched in whatever form the service wrote them
// (see remoteKeys). An uploaded number it does not answer is marked
// phone.Unanswered, one it answers with two verdicts phone.Conflicting,
// never given the engine's verdict instead; when more than MaxUnanswered
// of the uploaded numbers go unanswered the file fails.
func (a *Activities) Join(ctx context.Context, in JoinInput) (_ JoinResult, err error) {
	defer func() { err = a.workDiskError(err) }()
	work := workOf(in.FileKey, in.SHA256)
	rowsKey, err := workKey(work, "joined.csv")
	if err != nil {
		return JoinResult{}, err
	}
	var verdicts *remoteVerdicts
	if in.ZipKey != "" {
		zipPath, err := a.localZip(ctx, in)
		if err != nil {
			return JoinResult{}, err
		}
		scratch, err := a.scratchBase()
		if err != nil {
			return JoinResult{}, err
		}
		if verdicts, err = readVerdicts(zipPath, scratch, in.TaskID, in.Region, in.Uploaded); err != nil {
			return JoinResult{}, err
		}
	}
	unanswered, conflicting := newVerdictSet(), newVerdictSet() // distinct numbers
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
	layout, err := a.tableLayout(ctx, in.LocalKey)
	if err != nil {
		return JoinResult{}, err
	}
	if layout != nil {
		if err := joinTable(ctx, local, sw, in.LocalKey, layout, verdicts, &res, unanswered, conflicting); err != nil {
			return JoinResult{}, err
		}
		return a.joined(ctx, in, work, sw, nil, res, unanswered, conflicting)
	}
	out, err := results.NewWriter(results.CSV, sw)
	if err != nil {
		return JoinResult{}, err
	}
	// The records are joined and counted on every core, and written in
	// order.
	enc := results.EncoderOf(out)
	hb := &heartbeatEvery{ctx: ctx, d: 5 * time.Second}
	err = results.ReadParallelRecords(ctx, local, in.LocalKey, func(raw []byte, firstLine int, b *joinBatch) error {
		b.reset()
		return b.joinRecords(raw, firstLine, in.LocalKey, verdicts)
	}, func(b *joinBatch) error {
		if err := enc.WriteEncoded(b.out); err != nil {
			return err
		}
		for _, n := range b.unanswered {
			unanswered.put(n, "")
		}
		for _, n := range b.conflicting {
			conflicting.put(n, "")
		}
		res.merge(&b.res)
		hb.beat(res.Rows)
		return nil
	})
	if err != nil {
		return JoinResult{}, err
	}
	return a.joined(ctx, in, work, sw, out, res, unanswered, conflicting)
}

// joined checks how much of the upload the result answered and commits the
// joined rows (out, when not nil, is closed first).
func (a *Activities) joined(ctx context.Context, in JoinInput, work string, sw *store.Writer, out results.Writer, res JoinResult, unanswered, conflicting *verdictSet) (JoinResult, error) {
	res.Unanswered, res.Conflicting = unanswered.len(), conflicting.len()
	if res.Unanswered+res.Conflicting > 0 {
		// Counts only: the numbers themselves never enter a log.
		activity.GetLogger(ctx).Warn("the result does not answer every uploaded number", "task_id", in.TaskID,
			"uploaded", in.Uploaded, "unanswered", res.Unanswered, "conflicting", res.Conflicting, "rows_marked", res.MissingVerdicts)
	}
	if in.Uploaded > 0 && float64(res.Unanswered) > a.MaxUnanswered*float64(in.Uploaded) {
		return JoinResult{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf(
			"the result of task %s answers %d of %d uploaded numbers (%d unanswered, more than the %g%% allowed): check the task with the service, or allow more with --api-max-unanswered",
			in.TaskID, in.Uploaded-res.Unanswered, in.Uploaded, res.Unanswered, a.MaxUnanswered*100), ErrBadResult, nil)
	}
	if out != nil {
		if err := out.Close(); err != nil {
			return JoinResult{}, err
		}
	}
	if err := sw.Commit(); err != nil {
		return JoinResult{}, err
	}
	if in.ZipKey != "" { // the zip is in the store; this worker's copy is done with
		a.dropScratch(work)
	}
	return res, nil
}

// joinBatch is what Join's workers make of a batch of rows: the joined
// rows encoded, their counts, and the numbers the result does not answer
// or answers twice.
type joinBatch struct {
	out                     []byte
	res                     JoinResult
	unanswered, conflicting []string
	names                   interner // joinRecords' values
}

// join gives r the remote verdict on its number, when it was uploaded
// (verdicts nil: nothing was).
func (b *joinBatch) join(r *phone.Result, verdicts *remoteVerdicts) {
	if r.CountryCode == "" || verdicts == nil {
		return
	}
	switch v, ok, conflict := verdicts.get(r.Number); {
	case !ok:
		r.PhoneCheck = phone.Unanswered
		b.res.MissingVerdicts++
		b.unanswered = append(b.unanswered, r.Number)
	case conflict:
		r.PhoneCheck = phone.Conflicting
		b.conflicting = append(b.conflicting, r.Number)
	default:
		r.PhoneCheck = v
	}
}

func (b *joinBatch) reset() {
	b.out, b.unanswered, b.conflicting = b.out[:0], b.unanswered[:0], b.conflicting[:0]
	if b.res.ByReason == nil {
		b.res.ByReason, b.res.ByType, b.res.ByRegion, b.res.ByPhoneCheck = map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	}
	b.res.Rows, b.res.Valid, b.res.Invalid, b.res.MissingVerdicts = 0, 0, 0, 0
	clear(b.res.ByReason)
	clear(b.res.ByType)
	clear(b.res.ByRegion)
	clear(b.res.ByPhoneCheck)
}

// count adds a joined row to the counts.
func (res *JoinResult) count(r *phone.Result) {
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
}

// merge adds a batch's counts.
func (res *JoinResult) merge(b *JoinResult) {
	res.Rows += b.Rows
	res.Valid += b.Valid
	res.Invalid += b.Invalid
	res.MissingVerdicts += b.MissingVerdicts
	for _, m := range [...][2]map[string]int{{res.ByReason, b.ByReason}, {res.ByType, b.ByType}, {res.ByRegion, b.ByRegion}, {res.ByPhoneCheck, b.ByPhoneCheck}} {
		for k, n := range m[1] {
			m[0][k] += n
		}
	}
}

// localZip is the result zip as a local file (a zip needs random access):
// the store's own file in a directory store (Download made it a second
// name of its download), the one Download left in this worker's scratch
// directory, or a copy fetched from the store when another worker
// downloaded it.
func (a *Activities) localZip(ctx context.Context, in JoinInput) (string, error) {
	if path, ok := a.Store.LocalFile(in.ZipKey); ok {
		return path, nil
	}
	path, err := a.scratchZip(workOf(in.FileKey, in.SHA256))
	if err != nil {
		return "", err
	}
	want, err := a.Store.Size(ctx, in.ZipKey)
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(path); err == nil && st.Size() == want {
		return path, nil
	}
	return path, a.Store.Fetch(ctx, in.ZipKey, path)
}

// readVerdicts maps E.164 number to the remote phoneCheck verdict. The
// rows are read (and their numbers' keys worked out) on one goroutine and
// put in the map on another, in order: the two take about as long.
func readVerdicts(zipPath, scratch, taskID, region string, uploaded int) (*remoteVerdicts, error) {
	t, err := resultzip.OpenZip(zipPath, resultzip.ZipOptions{TaskID: taskID, TempDir: scratch})
	if errors.Is(err, resultzip.ErrScratch) {
		return nil, err // this worker's disk, not the result: a full one is said as such
	}
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("result of task %s: %v", taskID, err), ErrBadResult, nil)
	}
	defer t.Close()
	batches := make(chan []verdictKeys, 4)
	var readErr error // set before batches is closed
	go func() {
		defer close(batches)
		batch := make([]verdictKeys, 0, verdictBatch)
		for row, err := range t.All() {
			if err != nil {
				readErr = err
				return
			}
			k := verdictKeys{verdict: row.PhoneCheck}
			k.exact, k.derived = remoteKeys(row.Number, region)
			if batch = append(batch, k); len(batch) == verdictBatch {
				batches <- batch
				batch = make([]verdictKeys, 0, verdictBatch)
			}
		}
		batches <- batch
	}()
	verdicts := newRemoteVerdicts(uploaded)
	for batch := range batches {
		for i := range batch {
			verdicts.putKeys(batch[i].exact, batch[i].derived, batch[i].verdict)
		}
	}
	if readErr != nil {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("result of task %s: %v", taskID, readErr), ErrBadResult, nil)
	}
	return verdicts, nil
}

// verdictBatch is how many rows readVerdicts hands over at once.
const verdictBatch = 4096

// verdictKeys is a result row as readVerdicts hands it over: its verdict
// and the keys of its number (see remoteKeys).
type verdictKeys struct {
	exact, verdict string
	derived        []string
}
