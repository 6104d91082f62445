// Package apiserver is the offline implementation of the phoneCheck v1 task
// API (ARCHITECTURE.md, "The v1 task API"), backed by the local engine: a
// file is uploaded as a task, validated in the background, and its result
// zip is downloaded through a signed, expiring link. Tasks and the charge
// ledger live in SQLite (package store), files in the data directory, so a
// restart resumes unfinished tasks.
package apiserver

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/phonecheck/phonecheck/apiserver/taskdb"
)

// Defaults for the zero fields of Config.
const (
	DefaultListen            = "127.0.0.1:8080"
	DefaultMaxUpload         = 64 << 20
	DefaultRetention         = 7 * 24 * time.Hour
	DefaultProcessors        = 2
	DefaultResultURLTTL      = 24 * time.Hour
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 10 * time.Minute // a 64 MiB upload at 110 kB/s
	DefaultWriteTimeout      = 15 * time.Minute // counted from the request, so above ReadTimeout
	DefaultIdleTimeout       = 2 * time.Minute
	DefaultShutdownTimeout   = 30 * time.Second
	DefaultJanitorEvery      = time.Hour
)

// Config sets up a Server. Only Dir and Keys are required.
type Config struct {
	// Dir is the server's own directory: state.db, the stored key and URL
	// secret, and tasks/ with inputs and result zips. See StateDir.
	Dir  string
	Keys []Key

	MaxUpload       int64         // largest accepted file in bytes; 0: DefaultMaxUpload
	DailyLimit      int           // charged requests per user and UTC day; 0: no limit
	Retention       time.Duration // tasks and files older than this are removed; 0: DefaultRetention
	Processors      int           // tasks processed at once; 0: DefaultProcessors
	ProcessingDelay time.Duration // added per 1000 rows, so tests can watch a task in progress
	ProgressEvery   time.Duration // how often counters are stored while processing; 0: 250ms
	ResultURLTTL    time.Duration // lifetime of a result_url; 0: DefaultResultURLTTL
	// PublicURL is the scheme and host result_url links start with, for a
	// server behind a proxy; empty: taken from each request.
	PublicURL string
	// StoreResults writes result zips with their CSV stored, not deflated:
	// for a client on the same machine (up's own worker), where
	// compression only costs CPU on both sides of a loopback link.
	StoreResults bool
	Faults       Faults

	// Connection timeouts of Serve; 0: the Default values.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout, ShutdownTimeout time.Duration
	JanitorEvery                                                               time.Duration // 0: DefaultJanitorEvery

	// Wrap, when set, wraps the API's handler (metrics middleware).
	Wrap func(http.Handler) http.Handler

	Logger *slog.Logger     // nil: slog.Default()
	Now    func() time.Time // nil: time.Now; tests move the clock
}

// Faults make the server misbehave on purpose, for testing clients' retries.
// The first ones act before authentication, so such a faulty response is
// never charged; the ones after them behave as real remotes do, some after
// the charge.
type Faults struct {
	Rate500       float64       // share of requests answered 500
	DropRate      float64       // share of requests whose connection is closed without an answer
	Latency       time.Duration // added to every request
	LatencyJitter time.Duration // plus a random extra up to this
	// SpikeRate is the share of requests delayed by Spike on top of Latency:
	// set Spike past a client's timeout to make it give up on them.
	SpikeRate float64
	Spike     time.Duration
	// Rate429 is the share of requests answered 429 with Retry-After set to
	// RetryAfter (rounded up to whole seconds; 0: 1 s).
	Rate429    float64
	RetryAfter time.Duration

	// IgnoreIdempotency takes every upload as new, charged, whatever its
	// Idempotency-Key: a service that does not know the header.
	IgnoreIdempotency bool
	// UploadBPS and DownloadBPS (bytes per second, 0: unlimited) read
	// upload bodies and send result zips no faster: a slow link.
	UploadBPS, DownloadBPS int64
	// UnreadableCreateRate is the share of uploads that create (and
	// charge) a task and are answered 200 with a body that is not the
	// task; UnreadablePollRate the same for gettasks.
	UnreadableCreateRate, UnreadablePollRate float64
	// NoLinkRate is the share of gettasks answers for an exported task
	// that leave result_url out (charged).
	NoLinkRate float64
	// RefuseLinkRate is the share of result downloads refused with 403,
	// as an expired link is.
	RefuseLinkRate float64
	// UnknownTaskRate is the share of gettasks answered 404 (free), as a
	// service that lost or expired the task does.
	UnknownTaskRate float64
}

// chance reports whether a fault of this rate strikes now.
func chance(rate float64) bool { return rate > 0 && (rate >= 1 || rand.Float64() < rate) }

// StateDir is the server's directory inside a phonecheck data directory.
func StateDir(dataDir string) string { return filepath.Join(dataDir, "apiserver") }

// Server serves the v1 API and processes its tasks in the background.
type Server struct {
	cfg     Config
	log     *slog.Logger
	keys    *keyring
	sign    *signer
	db      *taskdb.DB
	taskDir string
	handler http.Handler

	wakeup    chan struct{} // a task became pending
	stop      context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// New opens (or creates) the server's directory, requeues tasks a previous
// run left unfinished, and starts the processors and the janitor. Call Close to
// stop them.
func New(cfg Config) (*Server, error) {
	if cfg.Dir == "" {
		return nil, errors.New("apiserver: Config.Dir is empty")
	}
	cfg = withDefaults(cfg)
	keys, err := newKeyring(cfg.Keys)
	if err != nil {
		return nil, err
	}
	taskDir := filepath.Join(cfg.Dir, "tasks")
	if err := os.MkdirAll(taskDir, 0o700); err != nil {
		return nil, err
	}
	sign, err := loadSigner(cfg.Dir)
	if err != nil {
		return nil, err
	}
	st, err := taskdb.Open(filepath.Join(cfg.Dir, "state.db"))
	if err != nil {
		return nil, err
	}
	n, err := st.Requeue(context.Background())
	if err != nil {
		st.Close()
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, keys: keys, sign: sign, db: st, taskDir: taskDir,
		wakeup: make(chan struct{}, 1)}
	if n > 0 {
		s.log.Info("resuming unfinished tasks", "tasks", n)
	}
	s.handler = s.routes()
	if cfg.Wrap != nil {
		s.handler = cfg.Wrap(s.handler)
	}
	ctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	for range cfg.Processors {
		s.wg.Go(func() { s.processTasks(ctx) })
	}
	s.wg.Go(func() { s.janitor(ctx) })
	return s, nil
}

func withDefaults(c Config) Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.MaxUpload <= 0 {
		c.MaxUpload = DefaultMaxUpload
	}
	if c.Processors <= 0 {
		c.Processors = DefaultProcessors
	}
	def(&c.Retention, DefaultRetention)
	def(&c.ProgressEvery, 250*time.Millisecond)
	def(&c.ResultURLTTL, DefaultResultURLTTL)
	def(&c.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&c.ReadTimeout, DefaultReadTimeout)
	def(&c.WriteTimeout, DefaultWriteTimeout)
	def(&c.IdleTimeout, DefaultIdleTimeout)
	def(&c.ShutdownTimeout, DefaultShutdownTimeout)
	def(&c.JanitorEvery, DefaultJanitorEvery)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

func (s *Server) now() time.Time { return s.cfg.Now().UTC() }

// Handler is the HTTP API, for tests (httptest.NewServer) or a caller's own
// http.Server; Serve adds the connection timeouts.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve answers requests on ln until ctx is done, then shuts down
// gracefully: it stops accepting and lets requests in flight finish (up to
// ShutdownTimeout). It does not stop the processors; Close does.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout, // cuts slowloris clients
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	<-errc
	return err
}

// Close stops the processors at a safe point (an interrupted task is processed
// again at the next start) and the janitor, and closes the database.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.stop()
		s.wg.Wait()
		s.closeErr = s.db.Close()
	})
	return s.closeErr
}

// Ready reports whether the server can answer: its database is open and
// answers (for a readiness probe).
func (s *Server) Ready(ctx context.Context) error { return s.db.Ping(ctx) }

// User returns the user id an API key authenticates as.
func (s *Server) User(key string) (string, bool) { return s.keys.user(key) }

// Charge is one billed response in the ledger.
type Charge = taskdb.Charge

// ChargeFilter selects ledger rows; empty fields match everything.
type ChargeFilter = taskdb.ChargeFilter

// Charges reads the ledger: every 200 of /v1/tasks and /v1/gettasks, oldest
// first, for the ledger's retention period.
func (s *Server) Charges(ctx context.Context, f ChargeFilter) ([]Charge, error) {
	return s.db.Charges(ctx, f)
}

// wake tells an idle processor that a task may be pending.
func (s *Server) wake() {
	select {
	case s.wakeup <- struct{}{}:
	default:
	}
}
