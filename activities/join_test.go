package activities

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/testsuite"

	"github.com/phonecheck/phonecheck/internal/testkit/soffice"
	"github.com/phonecheck/phonecheck/phone"
)

// joinWith prepares content for region CH, puts a result zip holding csv
// into the store and joins them; rows are by Input.
func joinWith(t *testing.T, content, csv string, maxUnanswered float64) (JoinResult, map[string]string, error) {
	t.Helper()
	return joinWithEntry(t, content, "task-1.csv", []byte(csv), maxUnanswered)
}

// joinWithEntry is joinWith for a result zip holding one entry of any kind.
func joinWithEntry(t *testing.T, content, name string, entry []byte, maxUnanswered float64) (JoinResult, map[string]string, error) {
	t.Helper()
	a := newActivities(t, nil)
	a.MaxUnanswered = maxUnanswered
	e := env()
	e.RegisterActivity(a)
	v, err := e.ExecuteActivity(a.Join, preparedWithResult(t, a, e, content, name, entry))
	if err != nil {
		return JoinResult{}, nil, err
	}
	var res JoinResult
	v.Get(&res)
	f, err := a.Store.Open(context.Background(), res.RowsKey)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := map[string]string{}
	if err := readRows(f, "joined", func(r *phone.Result) error { rows[r.Input] = r.PhoneCheck; return nil }); err != nil {
		t.Fatal(err)
	}
	return res, rows, nil
}

// preparedWithResult prepares content for region CH and puts a result zip
// of task-1 holding one entry into the store: the Join input for the two.
func preparedWithResult(t *testing.T, a *Activities, e *testsuite.TestActivityEnvironment, content, name string, entry []byte) JoinInput {
	t.Helper()
	path, sum := writeInput(t, content)
	v, err := e.ExecuteActivity(a.Prepare, PrepareInput{Path: path, SHA256: sum, Region: "CH"})
	if err != nil {
		t.Fatal(err)
	}
	var prep PrepareResult
	v.Get(&prep)
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create(name)
	w.Write(entry)
	zw.Close()
	zipKey := "work/" + sum + "/result.zip"
	if err := a.Store.WriteAll(context.Background(), zipKey, zb.Bytes()); err != nil {
		t.Fatal(err)
	}
	return JoinInput{SHA256: sum, LocalKey: prep.LocalKey, ZipKey: zipKey, TaskID: "task-1", Region: "CH", Uploaded: prep.Uploaded}
}

// TestJoinReadsTheServicesNumberForms: a service that writes Number without
// +, with spaces or dashes, with 00, or in national form still answers the
// uploaded E.164 numbers; its verdicts are taken, never the engine's.
func TestJoinReadsTheServicesNumberForms(t *testing.T) {
	content := "+41 44 668 18 00\n079 123 45 67\n+41 31 322 21 11\n+41 21 345 67 89\n+41 58 460 11 11\n"
	// The remote says invalid for all: a match shows as invalid, where the
	// engine would say valid.
	csv := "Number,phoneCheck\n" +
		"41446681800,invalid\n" + // no +
		"+41 79 123-45-67,invalid\n" + // spaces and dashes
		"0041313222111,invalid\n" + // 00
		"021 345 67 89,invalid\n" + // national, read in CH
		"(+41) 58.460.11.11,invalid\n" // brackets and dots
	res, rows, err := joinWith(t, content, csv, 0)
	if err != nil {
		t.Fatal(err)
	}
	for in, v := range rows {
		if v != phone.Invalid {
			t.Errorf("%q: phoneCheck %q, want the service's invalid", in, v)
		}
	}
	if res.Unanswered != 0 || res.MissingVerdicts != 0 || res.Valid != 0 {
		t.Errorf("unanswered %d, missing %d, valid %d", res.Unanswered, res.MissingVerdicts, res.Valid)
	}
}

// A service whose answer went through a spreadsheet program: the same
// forms as above, imported and saved as XLSX by LibreOffice, which makes
// the bare and 00 numbers numeric cells. Every verdict is still the
// service's.
func TestJoinReadsAResultWorkbookSavedByLibreOffice(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "task-1.csv")
	csv := "Number,phoneCheck\n41446681800,invalid\n+41 79 123-45-67,invalid\n0041313222111,invalid\n021 345 67 89,invalid\n(+41) 58.460.11.11,invalid\n"
	if err := os.WriteFile(src, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	book, err := os.ReadFile(soffice.Convert(t, src, soffice.CSVInUTF8, soffice.XLSX, dir))
	if err != nil {
		t.Fatal(err)
	}
	content := "+41 44 668 18 00\n079 123 45 67\n+41 31 322 21 11\n+41 21 345 67 89\n+41 58 460 11 11\n"
	res, rows, err := joinWithEntry(t, content, "task-1.xlsx", book, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 {
		t.Errorf("%d rows joined, want 5", len(rows))
	}
	for in, v := range rows {
		if v != phone.Invalid {
			t.Errorf("%q: phoneCheck %q, want the service's invalid", in, v)
		}
	}
	if res.Unanswered != 0 || res.MissingVerdicts != 0 || res.Valid != 0 {
		t.Errorf("unanswered %d, missing %d, valid %d", res.Unanswered, res.MissingVerdicts, res.Valid)
	}
}

// TestJoinMarksWhatTheResultLeavesOut: numbers the zip does not answer are
// marked unanswered (counted once however often they repeat), numbers it
// answers twice with different verdicts conflicting; above the allowed
// share the file fails with how many were answered.
func TestJoinMarksWhatTheResultLeavesOut(t *testing.T) {
	content := "+41446681800\n+41791234567\n+41791234567\n+41313222111\n+41213456789\nnot a number\n"
	csv := "Number,phoneCheck\n+41446681800,valid\n+41313222111,valid\n+41313222111,invalid\n+41213456789,valid\n"
	res, rows, err := joinWith(t, content, csv, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"+41446681800": phone.Valid, "+41791234567": phone.Unanswered, "+41313222111": phone.Conflicting,
		"+41213456789": phone.Valid, "not a number": phone.Invalid}
	for in, w := range want {
		if rows[in] != w {
			t.Errorf("%q: phoneCheck %q, want %q", in, rows[in], w)
		}
	}
	if res.Unanswered != 1 || res.MissingVerdicts != 2 || res.Conflicting != 1 {
		t.Errorf("unanswered %d (want 1), rows marked %d (want 2), conflicting %d (want 1)", res.Unanswered, res.MissingVerdicts, res.Conflicting)
	}
	if res.Valid != 2 || res.Invalid != 4 {
		t.Errorf("valid %d, invalid %d", res.Valid, res.Invalid)
	}
	_, _, err = joinWith(t, content, csv, 0)
	if err == nil || !strings.Contains(err.Error(), "answers 3 of 4 uploaded numbers") {
		t.Errorf("over the allowed share: %v", err)
	}
}
