package workflows_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/phonecheck/phonecheck/activities"
	"github.com/phonecheck/phonecheck/workflows"
)

func TestFileKeyIsContentAndOptions(t *testing.T) {
	const sum = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	ch, us, none := workflows.FileKey(sum, workflows.Options{Region: "CH"}), workflows.FileKey(sum, workflows.Options{Region: "US"}), workflows.FileKey(sum, workflows.Options{})
	if ch == us || ch == none || us == none {
		t.Fatalf("other options, same key: CH %s, US %s, none %s", ch, us, none)
	}
	if got := workflows.FileKey(sum, workflows.Options{Region: " ch"}); got != ch {
		t.Errorf("region ' ch' gives %s, CH %s: options are compared as the pipeline reads them", got, ch)
	}
	if !strings.HasPrefix(ch, sum+"-") || len(ch) != 64+1+12 {
		t.Errorf("key %q is not <sha256>-<12 hex digits>", ch)
	}
	if id := workflows.WorkflowID(sum, workflows.Options{Region: "CH"}); id != workflows.WorkflowIDPrefix+ch {
		t.Errorf("workflow id %s, key %s", id, ch)
	}
	ids, err := workflows.IDsForArg(sum, workflows.Options{Region: "CH"})
	if err != nil || len(ids) != 2 || ids[0] != workflows.WorkflowIDPrefix+ch || ids[1] != workflows.LegacyWorkflowID(sum) {
		t.Errorf("IDsForArg(sha) = %v, %v", ids, err)
	}
	if ids, _ := workflows.IDsForArg("phonecheck-x", workflows.Options{}); len(ids) != 1 || ids[0] != "phonecheck-x" {
		t.Errorf("IDsForArg(id) = %v", ids)
	}
}

// TestOtherRegionIsAnotherFile: the same national numbers submitted with
// region CH and then US are two files (two uploads, each its own rows); the
// same content and region again is the first one, uncharged.
func TestOtherRegionIsAnotherFile(t *testing.T) {
	s := newStack(t, 0)
	content := []byte("044 668 18 00\n079 123 45 67\n(202) 555-0123\n")
	sum := sha256.Sum256(content)
	sha := hex.EncodeToString(sum[:])
	submit := func(name, region string) (client.WorkflowRun, bool) {
		t.Helper()
		path := filepath.Join(s.Dir, "inbox", name)
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		in := workflows.Input{Path: path, Name: name, SHA256: sha, Size: int64(len(content)), Options: workflows.Options{Region: region},
			Formats: []string{"csv"}, OutputDir: filepath.Join(s.Dir, "out-"+region), DoneDir: filepath.Join(s.Dir, "done"),
			FailedDir: filepath.Join(s.Dir, "failed"), PollInterval: 200 * time.Millisecond}
		run, existing, err := workflows.Submit(context.Background(), s.Client, s.Store, in)
		if err != nil {
			t.Fatal(err)
		}
		return run, existing
	}
	ch, _ := submit("nat.txt", "CH")
	resCH := waitResult(t, s.Client, ch.GetID())
	us, existing := submit("nat-us.txt", "US")
	if existing || us.GetID() == ch.GetID() {
		t.Fatalf("region US found the region CH run %s (existing %v)", ch.GetID(), existing)
	}
	resUS := waitResult(t, s.Client, us.GetID())
	csv := func(r workflows.Result) string {
		b, err := os.ReadFile(r.Outputs["csv"])
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if c := csv(resCH); !strings.Contains(c, "\n+41446681800,valid,") || strings.Contains(c, "+12025550123,valid") {
		t.Errorf("CH rows:\n%s", c)
	}
	if c := csv(resUS); !strings.Contains(c, "\n+12025550123,valid,") || strings.Contains(c, "+41446681800") {
		t.Errorf("US rows:\n%s", c)
	}
	if n := s.Charges("tasks"); n != 2 {
		t.Errorf("%d upload charges for two regions, want 2", n)
	}
	again, existing := submit("nat-again.txt", "ch")
	if !existing || again.GetID() != ch.GetID() {
		t.Errorf("the same content and region again: %s (existing %v), want %s", again.GetID(), existing, ch.GetID())
	}
	if n := s.Charges("tasks"); n != 2 {
		t.Errorf("%d upload charges after the same file again, want 2", n)
	}
	// status and results name a file by content and region.
	path := filepath.Join(s.Dir, "nat-copy.txt")
	os.WriteFile(path, content, 0o644)
	for region, want := range map[string]string{"CH": ch.GetID(), "US": us.GetID()} {
		if id, err := workflows.FindWorkflow(context.Background(), s.Client, path, workflows.Options{Region: region}); err != nil || id != want {
			t.Errorf("FindWorkflow(file, %s) = %s, %v; want %s", region, id, err, want)
		}
	}
}

// TestLegacyIDStillFound: a run started under the id of content alone (as
// before options were part of it) is found by its file and region, and
// only with the region it was started with.
func TestLegacyIDStillFound(t *testing.T) {
	s := newStack(t, 0)
	in := s.input(t, "legacy.txt", 200, 77)
	content, _ := os.ReadFile(in.Path)
	key, _, err := activitiesPutInput(s, in)
	if err != nil {
		t.Fatal(err)
	}
	in.Key = key
	legacy := workflows.LegacyWorkflowID(in.SHA256)
	run, err := s.Client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: legacy, TaskQueue: workflows.TaskQueue}, workflows.ProcessFile, in)
	if err != nil {
		t.Fatal(err)
	}
	waitResult(t, s.Client, run.GetID())
	copyPath := filepath.Join(s.Dir, "legacy-copy.txt")
	os.WriteFile(copyPath, content, 0o644)
	if id, err := workflows.FindWorkflow(context.Background(), s.Client, copyPath, in.Options); err != nil || id != legacy {
		t.Errorf("FindWorkflow(file, %s) = %s, %v; want the legacy %s", in.Region, id, err, legacy)
	}
	other := workflows.Options{Region: "US"}
	if id, _ := workflows.FindWorkflow(context.Background(), s.Client, copyPath, other); id != workflows.WorkflowID(in.SHA256, other) {
		t.Errorf("FindWorkflow(file, US) = %s: a run of region %s answered for US", id, in.Region)
	}
}

// activitiesPutInput puts the input where a run started before file keys
// found it: by content alone.
func activitiesPutInput(s liveStack, in workflows.Input) (string, bool, error) {
	return activities.PutInput(context.Background(), s.Store, in.SHA256, in.Path)
}
