// Package doctor checks that phonecheck can run where it is configured:
// Temporal answers and knows the namespace and the search attribute, the
// task API accepts the key, and the folders exist, are writable and allow
// the atomic renames the pipeline relies on. Each check says what to do.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/phonecheck/phonecheck/internal/store"
	"github.com/phonecheck/phonecheck/temporalx"
	"github.com/phonecheck/phonecheck/workflows"
)

// Status of one check.
type Status int

const (
	OK Status = iota
	Fail
	Skip
)

// Result is one line of the report.
type Result struct {
	Name   string
	Status Status
	Detail string
	Fix    string // what to do, for a failure
}

// Options say what to check.
type Options struct {
	Temporal temporalx.ClientOptions
	APIURL   string // "" skips the API check (up runs its own offline server)
	APIKey   string
	// Dirs to check by name: "data dir", "inbox", "results" (Out may be a
	// bucket URL, checked as a store).
	DataDir, Inbox, Out string
	// Store is the workers' shared store; "" is the one in DataDir.
	Store   string
	Timeout time.Duration // per network check; 0: 5 s
	HTTP    *http.Client  // nil: a client with Timeout
}

// Run runs every check.
func Run(ctx context.Context, o Options) []Result {
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: o.Timeout}
	}
	out := []Result{checkTemporal(ctx, o), checkAPI(ctx, o)}
	out = append(out, checkDir("data dir", o.DataDir, "--data-dir / PHONECHECK_DATA_DIR"))
	if strings.Contains(o.Out, "://") {
		out = append(out, checkStore(ctx, "results", o.Out, o.Timeout, "--out / PHONECHECK_OUT"))
	} else {
		out = append(out, checkDir("results", o.Out, "--out / PHONECHECK_OUT"))
	}
	loc := o.Store
	if loc == "" && o.DataDir != "" {
		loc = filepath.Join(o.DataDir, "store")
	}
	if loc != "" {
		out = append(out, checkStore(ctx, "store", loc, o.Timeout, "--store / PHONECHECK_STORE"))
	}
	out = append(out, checkInbox(o.Inbox))
	return out
}

// checkStore writes, reads back and removes a probe object: what every
// worker does with each file's input and work files.
func checkStore(ctx context.Context, name, location string, timeout time.Duration, setting string) Result {
	r := Result{Name: name}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	fail := func(err error, fix string) Result {
		r.Status, r.Detail, r.Fix = Fail, rootCause(err), fix
		return r
	}
	st, err := store.Open(ctx, location)
	if err != nil {
		return fail(err, "give a directory, file:///dir or s3://bucket?region=...&endpoint=... with "+setting)
	}
	defer st.Close()
	key := fmt.Sprintf(".phonecheck-doctor-%d", time.Now().UnixNano())
	want := []byte("phonecheck doctor probe\n")
	if err := st.WriteAll(ctx, key, want); err != nil {
		return fail(err, "check the location and that this user (or the AWS_* credentials) may write to it, or choose another with "+setting)
	}
	defer st.Delete(context.WithoutCancel(ctx), key)
	got, err := st.ReadAll(ctx, key)
	if err != nil || string(got) != string(want) {
		if err == nil {
			err = errors.New("the probe read back differs from what was written")
		}
		return fail(err, "check that the store is consistent (read after write) and readable by this user")
	}
	if err := st.Delete(ctx, key); err != nil {
		return fail(err, "grant delete permission: finished files' work files are removed from the store")
	}
	r.Detail = st.Location("") + " is writable, readable and deletable"
	return r
}

// Print writes the report and returns how many checks failed.
func Print(w io.Writer, results []Result) int {
	failed := 0
	for _, r := range results {
		mark := "✓"
		switch r.Status {
		case Fail:
			mark = "✗"
			failed++
		case Skip:
			mark = "-"
		}
		fmt.Fprintf(w, "%s %-9s %s\n", mark, r.Name, r.Detail)
		if r.Status == Fail && r.Fix != "" {
			fmt.Fprintf(w, "    → %s\n", r.Fix)
		}
	}
	return failed
}

func checkTemporal(ctx context.Context, o Options) Result {
	r := Result{Name: "temporal"}
	opts := o.Temporal.FromEnv()
	c, err := temporalx.Dial(opts)
	if err != nil {
		r.Status, r.Detail = Fail, fmt.Sprintf("cannot reach %s: %v", opts.Address, rootCause(err))
		r.Fix = "start Temporal (phonecheck up, or the compose file's temporal service), or point --temporal-address / TEMPORAL_ADDRESS at it; check TLS settings for a cloud cluster"
		return r
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if _, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: opts.Namespace}); err != nil {
		r.Status = Fail
		var nf *serviceerror.NamespaceNotFound
		if errors.As(err, &nf) {
			r.Detail = fmt.Sprintf("%s answers, but namespace %q does not exist", opts.Address, opts.Namespace)
			r.Fix = fmt.Sprintf("create it: temporal operator namespace create --namespace %s (or set --namespace / TEMPORAL_NAMESPACE)", opts.Namespace)
		} else {
			r.Detail = fmt.Sprintf("%s: cannot describe namespace %q: %v", opts.Address, opts.Namespace, rootCause(err))
			r.Fix = "check the namespace name and the credentials (TEMPORAL_API_KEY or the mTLS certificate)"
		}
		return r
	}
	sa, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: opts.Namespace})
	if err == nil {
		if _, ok := sa.GetCustomAttributes()[workflows.StageSearchAttribute]; !ok {
			r.Status = Fail
			r.Detail = fmt.Sprintf("%s, namespace %q: the search attribute %s is missing (workflows cannot start)", opts.Address, opts.Namespace, workflows.StageSearchAttribute)
			r.Fix = fmt.Sprintf("temporal operator search-attribute create --namespace %s --name %s --type Keyword", opts.Namespace, workflows.StageSearchAttribute)
			return r
		}
	}
	r.Detail = fmt.Sprintf("%s answers; namespace %q is registered", opts.Address, opts.Namespace)
	if err == nil {
		r.Detail += "; search attribute " + workflows.StageSearchAttribute + " exists"
	}
	return r
}

func checkAPI(ctx context.Context, o Options) Result {
	r := Result{Name: "task API"}
	if o.APIURL == "" {
		r.Status, r.Detail = Skip, "no --api-url: up runs its own offline server (a worker needs one)"
		return r
	}
	base, err := url.Parse(o.APIURL)
	if err != nil || base.Host == "" {
		r.Status, r.Detail, r.Fix = Fail, fmt.Sprintf("%q is not a URL", o.APIURL), "set --api-url / PHONECHECK_API_URL to the service's base URL, e.g. http://host:8080"
		return r
	}
	shown := base.Redacted()
	if o.APIKey == "" {
		r.Status, r.Detail, r.Fix = Fail, shown+": no API key configured", "set PHONECHECK_API_KEY (or --api-key, or api.key in the config file)"
		return r
	}
	// GET /v1/balance is free; a service without it gets a gettasks for a
	// task that does not exist, which is free too (only 200s are charged).
	code, err := call(ctx, o, http.MethodGet, base.JoinPath("v1", "balance").String(), nil)
	if err == nil && (code == http.StatusNotFound || code == http.StatusMethodNotAllowed) {
		form := url.Values{"task_id": {"phonecheck-doctor-probe"}}
		code, err = call(ctx, o, http.MethodPost, base.JoinPath("v1", "gettasks").String(), strings.NewReader(form.Encode()))
	}
	switch {
	case err != nil:
		r.Status, r.Detail = Fail, fmt.Sprintf("cannot reach %s: %v", shown, rootCause(err))
		r.Fix = "check --api-url / PHONECHECK_API_URL and that the service (phonecheck serve) runs and is reachable from here"
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		r.Status, r.Detail = Fail, fmt.Sprintf("%s refuses the API key (%d): the key is wrong", shown, code)
		r.Fix = "set PHONECHECK_API_KEY / --api-key to a key the service accepts (phonecheck serve prints or stores its key in DATA_DIR/apiserver/api-key)"
	case code == http.StatusOK || code == http.StatusBadRequest || code == http.StatusNotFound:
		r.Detail = fmt.Sprintf("%s accepts the API key", shown)
	case code == http.StatusTooManyRequests:
		r.Detail = fmt.Sprintf("%s accepts the API key (daily limit reached: 429)", shown)
	default:
		r.Status, r.Detail = Fail, fmt.Sprintf("%s answers %d", shown, code)
		r.Fix = "the service has a problem: retry later, or look at its logs"
	}
	return r
}

func call(ctx context.Context, o Options, method, u string, body io.Reader) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-API-Key", o.APIKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := o.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, nil
}

func checkDir(name, dir, setting string) Result {
	r := Result{Name: name}
	if r, ok := creatable(name, dir); ok {
		return r
	}
	if err := writable(dir); err != nil {
		r.Status, r.Detail = Fail, err.Error()
		r.Fix = fmt.Sprintf("create it with write access for this user (mkdir -p %s), or choose another with %s", dir, setting)
		return r
	}
	r.Detail = abs(dir) + " exists and is writable"
	return r
}

// checkInbox also renames a file from the inbox to beside it, where the
// watcher's processing/, done/ and failed/ folders live: claims and
// archives are renames, which fail across file systems.
func checkInbox(inbox string) Result {
	r := Result{Name: "inbox"}
	if r, ok := creatable("inbox", inbox); ok {
		return r
	}
	if err := writable(inbox); err != nil {
		r.Status, r.Detail = Fail, err.Error()
		r.Fix = fmt.Sprintf("create it with write access for this user (mkdir -p %s), or choose another with --inbox / PHONECHECK_INBOX", inbox)
		return r
	}
	dir := abs(inbox)
	state := filepath.Dir(dir)
	f, err := os.CreateTemp(dir, ".phonecheck-doctor-*")
	if err != nil {
		r.Status, r.Detail = Fail, err.Error()
		return r
	}
	f.Close()
	dst := filepath.Join(state, filepath.Base(f.Name()))
	if err := os.Rename(f.Name(), dst); err != nil {
		os.Remove(f.Name())
		r.Status = Fail
		r.Detail = fmt.Sprintf("%s: a file cannot be renamed to %s (%v)", dir, state, rootCause(err))
		r.Fix = "the inbox and its parent (which holds processing/, done/, failed/) must be one writable file system: mount the volume one level up"
		return r
	}
	os.Remove(dst)
	r.Detail = fmt.Sprintf("%s is writable; renames to %s (processing/, done/, failed/) work", dir, state)
	return r
}

// creatable reports a missing folder whose nearest existing parent is
// writable as fine: the commands create their folders when they start.
func creatable(name, dir string) (Result, bool) {
	if dir == "" {
		return Result{}, false
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		return Result{}, false
	}
	parent := filepath.Dir(abs(dir))
	for {
		if _, err := os.Stat(parent); err == nil || filepath.Dir(parent) == parent {
			break
		}
		parent = filepath.Dir(parent)
	}
	if writable(parent) != nil {
		return Result{}, false
	}
	return Result{Name: name, Detail: fmt.Sprintf("%s does not exist yet; it is created on start (%s is writable)", abs(dir), parent)}, true
}

func writable(dir string) error {
	if dir == "" {
		return errors.New("no folder configured")
	}
	st, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s does not exist", abs(dir))
		}
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory", abs(dir))
	}
	f, err := os.CreateTemp(dir, ".phonecheck-doctor-*")
	if err != nil {
		return fmt.Errorf("%s is not writable: %v", abs(dir), rootCause(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

func abs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// rootCause is the innermost error's message, without the wrapping chain
// of "cannot reach … (start one with …)" hints already given as Fix.
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			break
		}
		err = next
	}
	msg := err.Error()
	if i := strings.Index(msg, "desc = "); i >= 0 {
		msg = msg[i+len("desc = "):]
	}
	return strings.Trim(msg, `"`)
}
