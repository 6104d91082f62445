package workflows_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phonecheck/phonecheck/activities"
	"github.com/phonecheck/phonecheck/apiserver"
	"github.com/phonecheck/phonecheck/internal/testkit"
	"github.com/phonecheck/phonecheck/internal/testkit/stack"
	"github.com/phonecheck/phonecheck/taskapi"
	"github.com/phonecheck/phonecheck/workflows"
)

// distinctNumbers is n distinct Swiss mobile numbers in E.164, one a line
// (13 bytes each): a file whose upload is the file itself.
func distinctNumbers(n int) []byte {
	var b bytes.Buffer
	b.Grow(13 * n)
	for i := range n {
		fmt.Fprintf(&b, "+4179%07d\n", i)
	}
	return b.Bytes()
}

// billingCase is one adversarial remote and what a file must end as.
type billingCase struct {
	name    string
	opts    stack.Options
	content []byte
	// fail, when set, is a phrase the failure reason holds; else the file
	// must finish.
	fail []string
	// uploads is the upload charges the server's ledger must hold.
	uploads int
	// maxPolls bounds the gettasks charges (0: no bound but polls counted).
	maxPolls int
	// during runs while the file is in flight (a worker stop, a re-drop).
	during func(t *testing.T, s liveStack, id string)
}

// TestBillingAgainstAnAdversarialRemote carries a file through the live
// stack while the offline server behaves as real remotes do, and counts the
// charges from the server's own ledger.
func TestBillingAgainstAnAdversarialRemote(t *testing.T) {
	small := func(seed uint64) []byte {
		var b bytes.Buffer
		for i := range 3000 {
			fmt.Fprintf(&b, "+4179%07d\n", int(seed)*10000+i)
		}
		return b.Bytes()
	}
	cases := []billingCase{
		{
			// 3.9 MB at 100 KB/s takes about 39 s, twice the upload's 20 s
			// heartbeat timeout: the attempt must be kept alive, not
			// replaced by a second one that posts again.
			name:    "slow upload, key ignored",
			opts:    stack.Options{Faults: apiserver.Faults{IgnoreIdempotency: true, UploadBPS: 100_000}},
			content: distinctNumbers(300_000), uploads: 1,
		},
		{
			// The worker stops while the body streams; the retry posts
			// again (the first request never completed), with the same key.
			name:    "worker stopped during a slow upload, key honoured",
			opts:    stack.Options{Faults: apiserver.Faults{UploadBPS: 100_000}},
			content: distinctNumbers(200_000), uploads: 1,
			during: func(t *testing.T, s liveStack, id string) {
				waitStage(t, s.Client, id, workflows.StageUploading)
				time.Sleep(8 * time.Second)
				s.StopWorker()
				time.Sleep(2 * time.Second)
				s.StartWorker()
			},
		},
		{
			name:    "unreadable 200 after the upload",
			opts:    stack.Options{Faults: apiserver.Faults{UnreadableCreateRate: 1}},
			content: small(1), uploads: 1, fail: []string{"HTTP 200 but no task it could read", "may have been created and charged", "submit --force"},
			during: func(t *testing.T, s liveStack, id string) {
				waitClosed(t, s, id)
				// Dropped again, it still does not post.
				in := s.inputOf(t, "again.txt", small(1))
				run, _, err := workflows.Submit(context.Background(), s.Client, s.Store, in)
				if err != nil {
					t.Fatal(err)
				}
				waitClosed(t, s, run.GetID())
			},
		},
		{
			name:    "exported without a result link",
			opts:    stack.Options{Faults: apiserver.Faults{NoLinkRate: 1}},
			content: small(2), uploads: 1, maxPolls: 12, fail: []string{"exported but gave no result_url", "5 calls in a row"},
		},
		{
			name:    "result link refused",
			opts:    stack.Options{Faults: apiserver.Faults{RefuseLinkRate: 1}},
			content: small(3), uploads: 1, maxPolls: 12, fail: []string{"result link was refused", "5 calls in a row"},
		},
		{
			name:    "gettasks 404",
			opts:    stack.Options{Faults: apiserver.Faults{UnknownTaskRate: 1}},
			content: small(4), uploads: 1, maxPolls: 0, fail: []string{"does not know task", "5 calls in a row", "submit --force", "ledger/"},
		},
		{
			name:    "unreadable 200 from gettasks",
			opts:    stack.Options{Faults: apiserver.Faults{UnreadablePollRate: 1}},
			content: small(5), uploads: 1, maxPolls: 5, fail: []string{"not the expected JSON", "5 calls in a row"},
		},
		{
			name:    "result over the size limit",
			opts:    stack.Options{Activities: func(a *activities.Activities) { a.MaxResultBytes = 1000 }},
			content: small(6), uploads: 1, maxPolls: 8, fail: []string{"larger than the limit of 1000 bytes"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			runBillingCase(t, c)
		})
	}
}

func runBillingCase(t *testing.T, c billingCase) {
	s := liveStack{stack.NewWith(t, c.opts)}
	in := s.inputOf(t, "numbers.txt", c.content)
	in.Options = workflows.Options{}
	start := time.Now()
	run, _, err := workflows.Submit(context.Background(), s.Client, s.Store, in)
	if err != nil {
		t.Fatal(err)
	}
	if c.during != nil {
		c.during(t, s, run.GetID())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	var res workflows.Result
	err = s.Client.GetWorkflow(ctx, run.GetID(), "").Get(ctx, &res)
	p, _ := workflows.GetProgress(context.Background(), s.Client, run.GetID())
	uploads, polls := s.Charges("tasks"), s.Charges("gettasks")
	t.Logf("%s: %d upload charges, %d gettasks charges, %d polls counted, %s; outcome: %v",
		c.name, uploads, polls, p.Polls, time.Since(start).Round(time.Second), err)
	if c.fail == nil {
		if err != nil {
			t.Fatalf("the file failed: %v", err)
		}
		if res.Stage != workflows.StageDone {
			t.Errorf("stage %s", res.Stage)
		}
	} else {
		if err == nil {
			t.Fatalf("the file finished; want a failure saying %q", c.fail)
		}
		reason, rerr := os.ReadFile(filepath.Join(in.FailedDir, in.Name+".reason"))
		if rerr != nil {
			t.Fatalf("no .reason in failed/: %v (workflow error %v)", rerr, err)
		}
		for _, want := range c.fail {
			if !strings.Contains(string(reason), want) {
				t.Errorf("the reason does not say %q:\n%s", want, reason)
			}
		}
	}
	if uploads != c.uploads {
		t.Errorf("%d upload charges, want %d", uploads, c.uploads)
	}
	if polls != p.Polls {
		t.Errorf("%d gettasks charges, the workflow counted %d polls", polls, p.Polls)
	}
	if c.maxPolls > 0 && polls > c.maxPolls {
		t.Errorf("%d gettasks charges, more than %d", polls, c.maxPolls)
	}
	if c.fail != nil && c.maxPolls == 0 && polls != 0 {
		t.Errorf("%d gettasks charges, want none", polls)
	}
}

// waitClosed waits for a workflow to close, whatever its outcome.
func waitClosed(t *testing.T, s liveStack, id string) {
	testkit.WaitFor(t, 3*time.Minute, "workflow "+id+" to close", func() bool {
		d, err := s.Client.DescribeWorkflowExecution(context.Background(), id, "")
		return err == nil && workflows.StatusName(d.WorkflowExecutionInfo.Status) != "running"
	})
}

// TestBillingRateLimitedAfterTheWholeBody: a 429 that answers an upload
// whose whole body was sent (as a gateway in front of the service does)
// took nothing; the retry posts again, even to a service not known to
// honour Idempotency-Key, and the file finishes with one charge instead of
// failing as ambiguous.
func TestBillingRateLimitedAfterTheWholeBody(t *testing.T) {
	var target atomic.Pointer[url.URL]
	var refused atomic.Bool
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/v1/tasks" && !refused.Load() {
			if _, err := io.Copy(io.Discard, r.Body); err != nil {
				return
			}
			refused.Store(true)
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"message":"slow down"}`, http.StatusTooManyRequests)
			return
		}
		httputil.NewSingleHostReverseProxy(target.Load()).ServeHTTP(w, r)
	}))
	defer gateway.Close()
	s := liveStack{stack.NewWith(t, stack.Options{
		Faults: apiserver.Faults{IgnoreIdempotency: true},
		Activities: func(a *activities.Activities) {
			api, err := taskapi.New(gateway.URL, stack.Key)
			if err != nil {
				t.Fatal(err)
			}
			a.API, a.IdempotentAPI = api, false
		},
	})}
	u, _ := url.Parse(s.APIURL)
	target.Store(u)
	in := s.inputOf(t, "numbers.txt", distinctNumbers(500))
	run, _, err := workflows.Submit(context.Background(), s.Client, s.Store, in)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := s.Client.GetWorkflow(ctx, run.GetID(), "").Get(ctx, nil); err != nil {
		t.Fatalf("the file failed: %v", err)
	}
	if !refused.Load() {
		t.Fatal("the gateway refused no upload")
	}
	if n := s.Charges("tasks"); n != 1 {
		t.Errorf("%d upload charges, want 1", n)
	}
}
