package workflows_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/phonecheck/phonecheck/activities"
	"github.com/phonecheck/phonecheck/internal/testkit"
	"github.com/phonecheck/phonecheck/internal/testkit/stack"
	"github.com/phonecheck/phonecheck/workflows"
)

// receiver is a notice endpoint that checks each notice's signature.
type receiver struct {
	mu      sync.Mutex
	bodies  [][]byte
	badSigs int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if r.Header.Get(activities.SignatureHeader) != activities.Sign([]byte(notifySecret), body) {
		rc.badSigs++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	rc.bodies = append(rc.bodies, body)
}

func (rc *receiver) got() ([][]byte, int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([][]byte(nil), rc.bodies...), rc.badSigs
}

const notifySecret = "notify-secret-5f1d9c0a7b"

// TestNoticeReachesAReceiverThatWasDown: a file done while its receiver
// is down is done at once; its notice is retried, visible as such, and
// arrives once, signed, when the receiver comes up. A failed file's notice
// says why. The secret is in no history.
func TestNoticeReachesAReceiverThatWasDown(t *testing.T) {
	t.Parallel() // waits on timers and kills, not on the CPU
	s := liveStack{stack.NewWith(t, stack.Options{Activities: func(a *activities.Activities) { a.NotifySecret = []byte(notifySecret) }})}
	addr := testkit.FreeAddr(t) // nobody listens yet
	in := s.input(t, "notify.txt", 500, 5)
	in.Notify = "http://" + addr + "/hook?token=t0k"
	ctx := context.Background()
	run, _, err := workflows.Submit(ctx, s.Client, s.Store, in)
	if err != nil {
		t.Fatal(err)
	}
	res := waitResult(t, s.Client, run.GetID()) // the file does not wait for its notice
	var d workflows.Delivery
	testkit.WaitFor(t, time.Minute, "the notice retrying", func() bool {
		var ok bool
		d, ok, err = workflows.GetDelivery(ctx, s.Client, run.GetRunID())
		return err == nil && ok && d.State == "retrying" && d.Attempts >= 2 && d.LastError != "" // down for two attempts
	})
	if strings.Contains(d.LastError, "t0k") {
		t.Errorf("the last error shows the URL's query: %s", d.LastError)
	}
	t.Logf("while down: %+v", d)

	rc := &receiver{}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(rc)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	testkit.WaitFor(t, 2*time.Minute, "the notice delivered", func() bool {
		d, _, err = workflows.GetDelivery(ctx, s.Client, run.GetRunID())
		return err == nil && d.State == "delivered"
	})
	if d.Attempts < 3 || d.DeliveredAt.IsZero() || d.HTTPStatus != 200 {
		t.Errorf("delivered: %+v", d)
	}
	bodies, bad := rc.got()
	if len(bodies) != 1 || bad != 0 {
		t.Fatalf("%d notices, %d badly signed; want one", len(bodies), bad)
	}
	var n activities.Notification
	if err := json.Unmarshal(bodies[0], &n); err != nil {
		t.Fatal(err)
	}
	if n.Status != "done" || n.Event != "file.done" || n.WorkflowID != run.GetID() || n.Rows != res.Rows || n.Valid != res.Valid ||
		n.Outputs["csv"] != res.Outputs["csv"] || n.Report != res.Report || n.Delivery == "" {
		t.Errorf("notice: %s", bodies[0])
	}
	content, _ := os.ReadFile(res.Archived)
	for _, line := range strings.Split(string(content), "\n") {
		if line = strings.TrimSpace(line); len(line) >= 8 && bytes.Contains(bodies[0], []byte(line)) {
			t.Fatalf("the notice holds an input line %q", line)
		}
	}

	// A failed file's notice, delivered at once.
	empty := s.inputOf(t, "empty.txt", nil)
	empty.Notify = srv.URL + "/hook"
	frun, _, err := workflows.Submit(ctx, s.Client, s.Store, empty)
	if err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, time.Minute, "the failed file's notice", func() bool {
		d, _, err = workflows.GetDelivery(ctx, s.Client, frun.GetRunID())
		return err == nil && d.State == "delivered"
	})
	bodies, _ = rc.got()
	if len(bodies) != 2 || !bytes.Contains(bodies[1], []byte(`"status":"failed"`)) || !bytes.Contains(bodies[1], []byte(`"reason":"`)) {
		t.Fatalf("notices: %s", bytes.Join(bodies, []byte("\n")))
	}

	for _, id := range []string{run.GetID(), workflows.NotifyWorkflowID(run.GetRunID()), frun.GetID(), workflows.NotifyWorkflowID(frun.GetRunID())} {
		b, err := proto.Marshal(historyEvents(t, s.Client, id))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(notifySecret)) {
			t.Errorf("the notify secret is in the history of %s", id)
		}
	}
}
