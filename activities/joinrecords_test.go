package activities

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/phonecheck/phonecheck/internal/corpus"
	"github.com/phonecheck/phonecheck/phone"
	"github.com/phonecheck/phonecheck/results"
)

// joinEdgeLines are inputs whose rows hold what CSV must quote or keep.
var joinEdgeLines = []string{
	`"+41 44 668 18 00"`, `+41 44, 668 18 00`, ` +41791234567`, "\t+41 79 123 45 67 ", `\.`,
	"+41 79 123\r45 67", "\xff\xfe+41 79 123 45 67", `"quoted, with comma"`, `a""b`, `n/a`, ``,
	`tel:+41-58-123-45-67`, `044 668 18 00`, `+1 650 253 0000 ext. 12`, strings.Repeat("9", 300),
	`+999 123 4567`, `0041 44 668 18 00`, `"`, `,`, `,,`, `+41 44 668 18 00 "x"`,
}

// TestJoinRecordsIsTheRowJoin: the join on local.csv's bytes writes the
// same joined rows, counts and missing numbers as parsing every row,
// joining it and encoding it again.
func TestJoinRecordsIsTheRowJoin(t *testing.T) {
	g := corpus.New(7)
	var local bytes.Buffer
	w, _ := results.NewWriter(results.CSV, &local)
	verdicts := newRemoteVerdicts(0)
	n := 0
	for i := range 30_000 {
		line := g.Line()
		if i%97 == 0 {
			line = joinEdgeLines[(i/97)%len(joinEdgeLines)]
		}
		r := phone.Check(phone.CleanLine(line), i+1, corpus.Region)
		if r.CountryCode != "" {
			n++
			switch {
			case n%50 == 0: // unanswered
			case n%71 == 0: // answered twice, differently
				verdicts.put(r.Number, phone.Valid, corpus.Region)
				verdicts.put(r.Number, phone.Invalid, corpus.Region)
			case n%13 == 0: // answered as written without +
				verdicts.put(strings.TrimPrefix(r.Number, "+"), phone.Invalid, corpus.Region)
			default:
				verdicts.put(r.Number, map[bool]string{true: phone.Valid, false: phone.Invalid}[n%3 != 0], corpus.Region)
			}
		}
		if err := w.Write(&r); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	for _, v := range []*remoteVerdicts{verdicts, nil} {
		want, wantRes, wantMissing := joinBoth(t, local.Bytes(), v, false)
		got, gotRes, gotMissing := joinBoth(t, local.Bytes(), v, true)
		if !bytes.Equal(got, want) {
			t.Fatalf("verdicts %v: joined rows differ (%d vs %d bytes) from the row join's%s", v != nil, len(got), len(want), firstDiff(got, want))
		}
		if !reflect.DeepEqual(gotRes, wantRes) || !reflect.DeepEqual(gotMissing, wantMissing) {
			t.Errorf("verdicts %v: counts %+v missing %v, want %+v %v", v != nil, gotRes, gotMissing, wantRes, wantMissing)
		}
		if v != nil && (wantRes.MissingVerdicts == 0 || len(wantMissing[1]) == 0) {
			t.Errorf("the test's verdicts leave no number unanswered or conflicting: %+v", wantRes)
		}
	}
	// A record cut short is an error, not a row.
	cut := append(bytes.Clone(local.Bytes()[:bytes.IndexByte(local.Bytes(), '\n')+1]), "+41791234567,valid,x\n"...)
	if _, _, err := joinRun(cut, verdicts, true); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("a record of 3 fields: %v, want an error naming line 2", err)
	}
}

func joinBoth(t *testing.T, local []byte, v *remoteVerdicts, records bool) ([]byte, JoinResult, [2][]string) {
	t.Helper()
	out, res, err := joinRun(local, v, records)
	if err != nil {
		t.Fatal(err)
	}
	return out, res.JoinResult, res.missing
}

type joinOutcome struct {
	JoinResult
	missing [2][]string // unanswered, conflicting, in order
}

// joinRun is Join's plain path over local, on the records or (as before
// them) on parsed rows.
func joinRun(local []byte, v *remoteVerdicts, records bool) ([]byte, joinOutcome, error) {
	var out bytes.Buffer
	w, _ := results.NewWriter(results.CSV, &out)
	enc := results.EncoderOf(w)
	res := joinOutcome{JoinResult: JoinResult{ByReason: map[string]int{}, ByType: map[string]int{}, ByRegion: map[string]int{}, ByPhoneCheck: map[string]int{}}}
	emit := func(b *joinBatch) error {
		res.missing[0] = append(res.missing[0], b.unanswered...)
		res.missing[1] = append(res.missing[1], b.conflicting...)
		res.merge(&b.res)
		return enc.WriteEncoded(b.out)
	}
	var err error
	if records {
		err = results.ReadParallelRecords(context.Background(), bytes.NewReader(local), "local.csv", func(raw []byte, first int, b *joinBatch) error {
			b.reset()
			return b.joinRecords(raw, first, "local.csv", v)
		}, emit)
	} else {
		err = results.ReadParallel(context.Background(), bytes.NewReader(local), "local.csv", func(rows []phone.Result, b *joinBatch) error {
			b.reset()
			for i := range rows {
				b.join(&rows[i], v)
				b.res.count(&rows[i])
				b.out = enc.AppendRow(b.out, &rows[i])
			}
			return nil
		}, func(_ []phone.Result, b *joinBatch) error { return emit(b) })
	}
	w.Close()
	return out.Bytes(), res, err
}

func firstDiff(a, b []byte) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			lo := max(0, i-60)
			return fmt.Sprintf(" at byte %d: %q vs %q", i, a[lo:min(len(a), i+60)], b[lo:min(len(b), i+60)])
		}
	}
	return ""
}
