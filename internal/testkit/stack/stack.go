// Package stack starts a live pipeline for tests: the offline v1 API
// server, the embedded Temporal server and a worker, each of which a test
// can stop and start again.
package stack

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/phonecheck/phonecheck/activities"
	"github.com/phonecheck/phonecheck/apiserver"
	"github.com/phonecheck/phonecheck/internal/store"
	"github.com/phonecheck/phonecheck/internal/testkit"
	"github.com/phonecheck/phonecheck/taskapi"
	"github.com/phonecheck/phonecheck/temporalx"
	"github.com/phonecheck/phonecheck/temporalx/devserver"
	"github.com/phonecheck/phonecheck/workflows"
)

// Key is the API key of the stack's offline server.
const Key = "test-key-0123456789"

// Options shape a Stack.
type Options struct {
	ProcessingDelay time.Duration                // the server's, per 1000 rows
	Faults          apiserver.Faults             // the server's
	Timeout         time.Duration                // the task API client's progress timeout (0: its default)
	Activities      func(*activities.Activities) // adjusts the workers' activities
	Worker          worker.Options               // of the workers (interceptors)
	Logger          *slog.Logger                 // of the client and so of the workers (nil: none)
}

// Stack is a live pipeline in a temp directory.
type Stack struct {
	t        testing.TB
	opts     Options
	Dir      string
	API      *apiserver.Server
	APIURL   string
	Addr     string // Temporal frontend
	Temporal *devserver.Server
	Client   client.Client
	Worker   worker.Worker
	// Store is the workers' shared store (a directory in Dir).
	Store *store.Store
}

// New starts the API server (with processingDelay per 1000 rows), Temporal
// and a worker; everything stops when the test ends. It skips in -short mode.
func New(t testing.TB, processingDelay time.Duration) *Stack {
	t.Helper()
	return NewWith(t, Options{ProcessingDelay: processingDelay})
}

// NewWith is New with options: server faults, the workers' activities.
// The workers know that the server honours Idempotency-Key unless its
// faults ignore it.
func NewWith(t testing.TB, opts Options) *Stack {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: starts Temporal and the API server")
	}
	s := &Stack{t: t, opts: opts, Dir: t.TempDir(), Addr: testkit.FreeAddr(t)}
	api, err := apiserver.New(apiserver.Config{Dir: filepath.Join(s.Dir, "api"), Keys: []apiserver.Key{apiserver.NewKey(Key)},
		ProcessingDelay: opts.ProcessingDelay, Faults: opts.Faults})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go api.Serve(ctx, ln)
	s.API, s.APIURL = api, "http://"+ln.Addr().String()
	t.Cleanup(func() { cancel(); api.Close() })
	if s.Store, err = store.Open(context.Background(), filepath.Join(s.Dir, "store")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Store.Close() })
	s.StartTemporal()
	s.StartWorker()
	t.Cleanup(s.StopTemporal)
	return s
}

// StartTemporal starts the embedded server on the stack's database and dials it.
func (s *Stack) StartTemporal() {
	s.Temporal, s.Client = temporalWith(s.t, filepath.Join(s.Dir, "temporal.db"), s.Addr, s.opts.Logger)
}

// Temporal starts an embedded server on db and addr with a client, for tests
// that need no worker; the caller stops both (StopTemporal does for a Stack).
func Temporal(t testing.TB, db, addr string) (*devserver.Server, client.Client) {
	t.Helper()
	return temporalWith(t, db, addr, nil)
}

func temporalWith(t testing.TB, db, addr string, logger *slog.Logger) (*devserver.Server, client.Client) {
	t.Helper()
	dev, err := devserver.Start(devserver.Options{DatabaseFile: db, FrontendAddress: addr,
		SearchAttributes: map[string]enumspb.IndexedValueType{workflows.StageSearchAttribute: enumspb.INDEXED_VALUE_TYPE_KEYWORD}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := temporalx.Dial(temporalx.ClientOptions{Address: addr, Logger: logger})
	if err != nil {
		dev.Stop()
		t.Fatal(err)
	}
	return dev, c
}

// StartWorker starts a worker whose activities call the stack's API server.
func (s *Stack) StartWorker() {
	s.StartWorkerAt(filepath.Join(s.Dir, "scratch"))
}

// StartWorkerAt starts a worker with its own scratch directory, as a worker
// on another host would have.
func (s *Stack) StartWorkerAt(scratch string) {
	var topts []taskapi.Option
	if s.opts.Timeout > 0 {
		topts = append(topts, taskapi.WithTimeout(s.opts.Timeout))
	}
	api, err := taskapi.New(s.APIURL, Key, topts...)
	if err != nil {
		s.t.Fatal(err)
	}
	acts := &activities.Activities{API: api, Store: s.Store, Scratch: scratch, IdempotentAPI: !s.opts.Faults.IgnoreIdempotency}
	if s.opts.Activities != nil {
		s.opts.Activities(acts)
	}
	s.Worker = workflows.NewWorker(s.Client, acts, s.opts.Worker)
	if err := s.Worker.Start(); err != nil {
		s.t.Fatal(err)
	}
}

// UseStore makes st the workers' shared store (instead of the directory in
// Dir) and restarts the worker on it.
func (s *Stack) UseStore(st *store.Store) {
	s.StopWorker()
	s.Store = st
	s.StartWorker()
}

// StopWorker stops the worker, as a crash of the worker process would.
func (s *Stack) StopWorker() {
	if s.Worker != nil {
		s.Worker.Stop()
		s.Worker = nil
	}
}

// StopTemporal stops the worker, the client and the server; the database stays.
func (s *Stack) StopTemporal() {
	s.StopWorker()
	if s.Client != nil {
		s.Client.Close()
		s.Client = nil
	}
	if s.Temporal != nil {
		s.Temporal.Stop()
		s.Temporal = nil
	}
}

// Charges counts the server's ledger rows for an endpoint ("tasks", "gettasks").
func (s *Stack) Charges(endpoint string) int {
	cs, err := s.API.Charges(context.Background(), apiserver.ChargeFilter{Endpoint: endpoint})
	if err != nil {
		s.t.Fatal(err)
	}
	return len(cs)
}

// Wait waits for a workflow's result.
func (s *Stack) Wait(id string) workflows.Result {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var res workflows.Result
	if err := s.Client.GetWorkflow(ctx, id, "").Get(ctx, &res); err != nil {
		s.t.Fatalf("workflow %s: %v", id, err)
	}
	return res
}
