package workflows_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/phonecheck/phonecheck/internal/input"
	"github.com/phonecheck/phonecheck/internal/testkit"
	"github.com/phonecheck/phonecheck/internal/validate"
	"github.com/phonecheck/phonecheck/results"
	"github.com/phonecheck/phonecheck/workflows"
)

// contactsCSV is a CRM export: a header, the phone in the third column, a
// country column, a repeat, an empty phone, a number that does not parse
// and a ragged row.
const contactsCSV = "name,email,phone,country\n" +
	"Ada,ada@example.com,044 668 18 00,CH\n" +
	"Bob,bob@example.com,+1 650 253 0000,US\n" +
	"\"Smith, Carol\",carol@example.com,+41446681800,\n" +
	"Dan,dan@example.com,,CH\n" +
	"Eve,eve@example.com,not a number,DE\n" +
	"Fay,fay@example.com,(650) 253-0000,United States,extra\n" +
	"Gus,gus@example.com,030 1234567\n"

// tableFile writes content into the stack's inbox and returns its input.
func (s liveStack) tableFile(t *testing.T, name string, content []byte, o workflows.Options, formats ...string) workflows.Input {
	path := filepath.Join(s.Dir, "inbox", name)
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	return workflows.Input{Path: path, Name: name, SHA256: hex.EncodeToString(sum[:]), Size: int64(len(content)), Options: o,
		Formats: formats, OutputDir: filepath.Join(s.Dir, "out"),
		DoneDir: filepath.Join(s.Dir, "done"), FailedDir: filepath.Join(s.Dir, "failed"), PollInterval: 200 * time.Millisecond}
}

// validateTable is `phonecheck validate` on a table with these options,
// written in format f.
func validateTable(t *testing.T, content []byte, o workflows.Options, f results.Format) []byte {
	t.Helper()
	in, err := input.Open(bytes.NewReader(content), input.Options{Columns: o.Columns, RegionColumn: o.RegionColumn, Sheet: o.Sheet, Region: o.Region}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if in.Table == nil {
		t.Fatal("not read as a table")
	}
	var out bytes.Buffer
	tw, err := results.NewTableWriter(f, &out, validate.Layout(in.Table))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := validate.RunTable(context.Background(), in.Table, tw, validate.TableOptions{Options: validate.Options{Region: o.Region}}); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// xlsxOf is a workbook of a CSV's rows, as a spreadsheet program saves
// it: text cells, and the phones of the rows numbered in numeric cells
// (which have lost their leading 0 or +).
func xlsxOf(t *testing.T, csv string, numeric ...int) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, line := range strings.Split(strings.TrimSuffix(csv, "\n"), "\n") {
		for j, v := range strings.Split(line, ",") {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if j == 2 && slices.Contains(numeric, i) {
				n, err := strconv.ParseInt(strings.TrimLeft(strings.ReplaceAll(v, " ", ""), "+0"), 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				f.SetCellInt(f.GetSheetName(0), cell, n)
				continue
			}
			f.SetCellStr(f.GetSheetName(0), cell, v)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// xlsxSheet is a workbook's first sheet as lines of tab-separated cells.
func xlsxSheet(t *testing.T, b []byte) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, r := range rows {
		out.WriteString(strings.Join(r, "\t") + "\n")
	}
	return out.Bytes()
}

// A CSV, a semicolon CSV with a BOM (Excel's) and a TSV go through the
// pipeline and come out as validate writes them: every original column,
// then the validation columns, in CSV and XLSX; one upload of the distinct
// E.164 numbers of the phone column.
func TestTableThroughThePipelineEqualsValidate(t *testing.T) {
	s := newStack(t, 0)
	excel := "\ufeff" + strings.ReplaceAll(strings.ReplaceAll(contactsCSV, ",", ";"), `"Smith; Carol"`, `"Smith, Carol"`)
	for _, c := range []struct {
		name    string
		content string
		opts    workflows.Options
		size    int64 // 0: the file's own; larger: every step an activity
	}{
		{"contacts.csv", contactsCSV, workflows.Options{Region: "CH", RegionColumn: "country"}, 0},
		{"excel.csv", excel, workflows.Options{Region: "CH", Columns: []string{"3"}}, workflows.LocalStepMaxBytes + 1},
		{"contacts.tsv", strings.ReplaceAll(contactsCSV, ",", "\t"), workflows.Options{Region: "US"}, 0},
		{"contacts.xlsx", string(xlsxOf(t, strings.ReplaceAll(contactsCSV, `"Smith, Carol"`, "Carol"), 1, 2, 3)), workflows.Options{Region: "CH", RegionColumn: "country"}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := s.tableFile(t, c.name, []byte(c.content), c.opts, "csv", "xlsx", "jsonl")
			if c.size > 0 {
				in.Size = c.size
			}
			before := s.Charges("tasks")
			run, _, err := workflows.Submit(context.Background(), s.Client, s.Store, in)
			if err != nil {
				t.Fatal(err)
			}
			res := s.Wait(run.GetID())
			for format, path := range res.Outputs {
				got, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				want := validateTable(t, []byte(c.content), c.opts, results.Format(format))
				if format == "xlsx" {
					got, want = xlsxSheet(t, got), xlsxSheet(t, want)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from validate:\n%s\nwant\n%s", format, got, want)
				}
			}
			// One charge at most: the workbook's numbers are the CSV's, whose
			// task it takes.
			if n := s.Charges("tasks") - before; n > 1 {
				t.Errorf("%d upload charges, want 1 at most", n)
			}
			// +41446681800 twice and +16502530000 twice: folded.
			if res.Rows != 7 || res.Folded < 1 {
				t.Errorf("rows %d, uploaded %d, folded %d, set aside %d", res.Rows, res.Uploaded, res.Folded, res.SetAside)
			}
		})
	}
}

// The options are part of a file's identity: the same table with another
// phone column is another workflow.
func TestTableOptionsAreAnotherFile(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	a := workflows.WorkflowID(sum, workflows.Options{Region: "CH"})
	b := workflows.WorkflowID(sum, workflows.Options{Region: "CH", Columns: []string{"phone"}})
	c := workflows.WorkflowID(sum, workflows.Options{Region: "CH", Sheet: "2"})
	d := workflows.WorkflowID(sum, workflows.Options{Region: "CH", RegionColumn: "country"})
	if a == b || a == c || a == d || b == c || b == d || c == d {
		t.Fatalf("ids collide: %s %s %s %s", a, b, c, d)
	}
	if got := (workflows.Options{Region: "CH", Columns: []string{"phone", "mobile"}, Sheet: "Contacts"}).String(); got != "region=CH column=phone column=mobile sheet=Contacts" {
		t.Errorf("String() = %q", got)
	}
}

// What validate refuses ends in failed/ with validate's reason.
func TestBadTableFails(t *testing.T) {
	s := newStack(t, 0)
	for _, c := range []struct {
		name, content string
		opts          workflows.Options
		want          string
	}{
		{"nocolumn.csv", contactsCSV, workflows.Options{Region: "CH", Columns: []string{"mobile"}}, `"mobile"`},
		{"nophones.csv", "name,email\nAda,ada@example.com\nBob,bob@example.com\n", workflows.Options{}, "--column"},
		{"legacy.xls", string(testkit.CompoundFile("Workbook")), workflows.Options{}, "legacy Excel workbook (.xls)"},
		{"locked.xlsx", string(testkit.CompoundFile("EncryptionInfo", "EncryptedPackage")), workflows.Options{}, "password-protected"},
		{"calc.ods", "PK\x03\x04" + strings.Repeat("\x00", 26) + "mimetypeapplication/vnd.oasis.opendocument.spreadsheet", workflows.Options{}, "XLSX"},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := validateError(t, []byte(c.content), c.opts)
			if !strings.Contains(want, c.want) {
				t.Fatalf("validate says %q, want it to contain %q", want, c.want)
			}
			in := s.tableFile(t, c.name, []byte(c.content), c.opts, "csv")
			run, _, err := workflows.Submit(context.Background(), s.Client, s.Store, in)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			ok, reason, err := workflows.Outcome(ctx, s.Client, run.GetID(), "")
			if err != nil || ok {
				t.Fatalf("outcome ok %v, %v", ok, err)
			}
			if !strings.Contains(reason, c.name+": "+want) {
				t.Errorf("reason %q, want validate's %q", reason, want)
			}
			note, err := os.ReadFile(filepath.Join(in.FailedDir, c.name+".reason"))
			if err != nil || !strings.Contains(string(note), want) {
				t.Errorf("failed/%s.reason: %q (%v)", c.name, note, err)
			}
		})
	}
}

// validateError is the message validate gives for an input it cannot read.
func validateError(t *testing.T, content []byte, o workflows.Options) string {
	path := filepath.Join(t.TempDir(), "input")
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in, err := input.Open(f, input.Options{Columns: o.Columns, RegionColumn: o.RegionColumn, Sheet: o.Sheet, Region: o.Region}, t.TempDir())
	if err == nil {
		in.Close()
		t.Fatal("validate reads it")
	}
	return err.Error()
}
