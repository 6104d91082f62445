package devserver

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/phonecheck/phonecheck/internal/headless"
	"github.com/phonecheck/phonecheck/internal/testkit"
)

func waiter(ctx workflow.Context) error {
	return workflow.Await(ctx, func() bool { return false })
}

// TestUIShowsWorkflowsOfTheEmbeddedServer pairs the embedded UI with the
// embedded server as `up` does, and looks at them in Chromium: the list
// shows a running workflow, and its pages show its search attribute, memo
// and summary. A UI that cannot talk to this server version shows none.
func TestUIShowsWorkflowsOfTheEmbeddedServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Temporal, the UI and Chromium")
	}
	b := headless.ForTest(t)
	addr := testkit.FreeAddr(t)
	srv, err := Start(Options{DatabaseFile: filepath.Join(t.TempDir(), "temporal.db"), FrontendAddress: addr,
		SearchAttributes: map[string]enumspb.IndexedValueType{"PhonecheckStage": enumspb.INDEXED_VALUE_TYPE_KEYWORD}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	ui, err := StartUI(UIOptions{Listen: "127.0.0.1:0", FrontendAddress: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer ui.Stop()
	c, err := client.Dial(client.Options{HostPort: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := worker.New(c, "ui-test", worker.Options{})
	w.RegisterWorkflow(waiter)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	stage := temporal.NewSearchAttributeKeyKeyword("PhonecheckStage")
	run, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: "phonecheck-uitest", TaskQueue: "ui-test",
		Memo:                  map[string]any{"file": "numbers-ch.txt"},
		TypedSearchAttributes: temporal.NewSearchAttributes(stage.ValueSet("polling")),
		StaticSummary:         "numbers-ch.txt: 19 lines",
	}, waiter)
	if err != nil {
		t.Fatal(err)
	}
	defer c.TerminateWorkflow(context.Background(), run.GetID(), "", "test over")

	look := func(path string, want ...string) {
		t.Helper()
		if err := b.Navigate(ui.URL() + path); err != nil {
			t.Fatal(err)
		}
		_, err := b.WaitText(60*time.Second, want...)
		b.ScreenshotFor(t, path[strings.LastIndex(path, "/")+1:])
		if err != nil {
			t.Fatal(err)
		}
	}
	look("/namespaces/default/workflows", "phonecheck-uitest", "waiter", "2.45.3")
	base := "/namespaces/default/workflows/" + run.GetID() + "/" + run.GetRunID()
	look(base+"/history", "phonecheck-uitest", "Running", "numbers-ch.txt: 19 lines")
	look(base+"/search-attributes", `"PhonecheckStage": "polling"`)
	look(base+"/memo", `"file": "numbers-ch.txt"`)
}

// A taken UI port is an error that names the address and what to do, not
// the end of the process (the UI server exits when it cannot listen).
func TestUIPortTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = StartUI(UIOptions{Listen: l.Addr().String(), FrontendAddress: "127.0.0.1:1"})
	if err == nil || !strings.Contains(err.Error(), l.Addr().String()) || !strings.Contains(err.Error(), "--ui-listen") {
		t.Fatalf("UI on a taken port: %v", err)
	}
}
