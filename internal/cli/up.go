package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/phonecheck/phonecheck/activities"
	"github.com/phonecheck/phonecheck/apiserver"
	"github.com/phonecheck/phonecheck/temporalx"
	"github.com/phonecheck/phonecheck/watcher"
	"github.com/phonecheck/phonecheck/workflows"
)

// upMemoryLimit is the soft heap limit of `up` (GOMEMLIMIT overrides it).
const upMemoryLimit = 350 << 20

func runUp(args []string, stdio IO) int {
	const name = "up"
	fs := newFlags(name, "[--data-dir DIR] [--inbox DIR] [--out DIR] [--api-listen ADDR] [--temporal-listen ADDR] [--api-url URL --api-key KEY] [--region XX] [--formats csv,xlsx]", stdio)
	dataDir := fs.String("data-dir", envDefault("data-dir", defaultDataDir), "where state lives: Temporal's SQLite file, the offline server's tasks, scratch space (env PHONECHECK_DATA_DIR)")
	inbox := fs.String("inbox", envDefault("inbox", defaultInbox), "folder to drop number files into (env PHONECHECK_INBOX)")
	out := fs.String("out", envDefault("out", defaultOut), "folder results are written to (env PHONECHECK_OUT)")
	apiListen := fs.String("api-listen", envDefault("api-listen", defaultAPIListen), "address of the offline API server (env PHONECHECK_API_LISTEN)")
	temporalListen := fs.String("temporal-listen", envDefault("temporal-listen", defaultTemporalListen), "address of the embedded Temporal frontend (env PHONECHECK_TEMPORAL_LISTEN)")
	apiURL := fs.String("api-url", envDefault("api-url", ""), "use this remote task API instead of the offline server (env PHONECHECK_API_URL)")
	apiKey := fs.String("api-key", envDefault("api-key", ""), "key for --api-url (env PHONECHECK_API_KEY)")
	region := fs.String("region", envDefault("region", ""), "default region for national numbers in dropped files (env PHONECHECK_REGION)")
	formats := fs.String("formats", envDefault("formats", "csv,xlsx"), "export formats (env PHONECHECK_FORMATS)")
	storeLoc := addStoreFlag(fs)
	if _, err := parse(fs, args); err != nil {
		return exitForParse(err)
	}
	folders, err := watchFolders([]string{*inbox}, *region, *formats, *out, false, 0)
	if err != nil {
		return usageError(stdio, name, "%v", err)
	}
	if *apiURL == "" && *apiKey != "" {
		return usageError(stdio, name, "--api-key without --api-url: the offline server makes its own key")
	}
	data := absPath(*dataDir)
	if err := ensureDir(data); err != nil {
		return runError(stdio, name, err, "")
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		// Everything runs in one process here; a soft limit keeps the
		// garbage of the big stages (prepare, join, exports) from piling up.
		debug.SetMemoryLimit(upMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := warnLogger(stdio)

	dev, err := temporalx.StartDevServer(temporalx.DevServerOptions{
		DatabaseFile:     filepath.Join(data, "temporal.db"),
		FrontendAddress:  *temporalListen,
		SearchAttributes: map[string]enumspb.IndexedValueType{workflows.StageSearchAttribute: enumspb.INDEXED_VALUE_TYPE_KEYWORD},
	})
	if err != nil {
		return runError(stdio, name, err, "")
	}
	defer dev.Stop()

	url, key := *apiURL, *apiKey
	if url == "" {
		srv, addr, k, err := startOfflineServer(ctx, data, *apiListen, logger)
		if err != nil {
			return runError(stdio, name, err, "")
		}
		defer srv.Close()
		url, key = "http://"+addr, k
	}
	api, err := newAPIClient(url, key)
	if err != nil {
		return runError(stdio, name, err, "")
	}
	st, err := openStore(*storeLoc, data)
	if err != nil {
		return runError(stdio, name, err, "")
	}
	defer st.Close()
	c, err := temporalx.Dial(temporalx.ClientOptions{Address: dev.Address(), Logger: logger})
	if err != nil {
		return runError(stdio, name, err, "")
	}
	defer c.Close()
	acts := &activities.Activities{API: api, Store: st, Scratch: filepath.Join(data, "scratch")}
	defer activities.CloseOutputs(acts)
	w := workflows.NewWorker(c, acts, worker.Options{})
	if err := w.Start(); err != nil {
		return runError(stdio, name, err, "")
	}
	defer w.Stop()

	wat, err := watcher.New(watcher.Config{Folders: folders}, workflowStarter{c: c, store: st}, logger)
	if err != nil {
		return runError(stdio, name, err, "")
	}
	watchDone := make(chan error, 1)
	go func() { watchDone <- wat.Run(ctx) }()
	f := wat.Folders()[0]
	fmt.Fprintf(stdio.Out, "phonecheck is up.\n  drop files into  %s\n  results in      %s/<file>-<hash>/\n  inputs go to    %s or %s (with a .reason)\n  Temporal        %s (state in %s)\n  task API        %s\nStop with Ctrl-C; starting again resumes every unfinished file.\n",
		f.Dir, outLocation(*out), f.DoneDir(), f.FailedDir(), dev.Address(), filepath.Join(data, "temporal.db"), url)
	<-ctx.Done()
	if err := <-watchDone; err != nil {
		logger.Warn("watcher", "error", err)
	}
	fmt.Fprintln(stdio.Err, "phonecheck: stopping")
	return ExitOK
}

// startOfflineServer runs the offline v1 API in this process with the data
// dir's key (created and printed once on first start).
func startOfflineServer(ctx context.Context, data, listen string, logger interface{ Warn(string, ...any) }) (*apiserver.Server, string, string, error) {
	key, _, err := apiserver.LoadOrCreateKey(apiserver.StateDir(data))
	if err != nil {
		return nil, "", "", err
	}
	srv, err := apiserver.New(apiserver.Config{Dir: apiserver.StateDir(data), Keys: []apiserver.Key{apiserver.NewKey(key)}})
	if err != nil {
		return nil, "", "", err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		srv.Close()
		return nil, "", "", fmt.Errorf("offline API server: cannot listen on %s: %w (use --api-listen)", listen, err)
	}
	go func() {
		if err := srv.Serve(ctx, ln); err != nil && !errors.Is(err, context.Canceled) {
			logger.Warn("offline API server stopped", "error", err)
		}
	}()
	return srv, ln.Addr().String(), key, nil
}

func runWorkerCmd(args []string, stdio IO) int {
	const name = "worker"
	fs := newFlags(name, "[--temporal-address HOST:PORT] [--namespace NS] [--api-url URL] [--api-key KEY] [--data-dir DIR]", stdio)
	tf := addTemporalFlags(fs)
	apiURL := fs.String("api-url", envDefault("api-url", ""), "task API base URL (env PHONECHECK_API_URL)")
	apiKey := fs.String("api-key", envDefault("api-key", ""), "task API key (env PHONECHECK_API_KEY)")
	dataDir := fs.String("data-dir", envDefault("data-dir", defaultDataDir), "scratch space for files in progress, and the default store (env PHONECHECK_DATA_DIR)")
	_ = fs.String("out", envDefault("out", defaultOut), "accepted for symmetry; outputs go where each workflow says")
	storeLoc := addStoreFlag(fs)
	if _, err := parse(fs, args); err != nil {
		return exitForParse(err)
	}
	st, err := openStore(*storeLoc, *dataDir)
	if err != nil {
		return runError(stdio, name, err, "")
	}
	defer st.Close()
	api, err := newAPIClient(*apiURL, *apiKey)
	if err != nil {
		return usageError(stdio, name, "%v", err)
	}
	c, err := tf.dial()
	if err != nil {
		return runError(stdio, name, err, "")
	}
	defer c.Close()
	acts := &activities.Activities{API: api, Store: st, Scratch: filepath.Join(absPath(*dataDir), "scratch")}
	defer activities.CloseOutputs(acts)
	w := workflows.NewWorker(c, acts, worker.Options{})
	fmt.Fprintf(stdio.Err, "phonecheck worker: task queue %q on %s, task API %s, store %s\n", workflows.TaskQueue, tf.options().Address, api.BaseURL(), st)
	if err := w.Run(worker.InterruptCh()); err != nil {
		return runError(stdio, name, err, "")
	}
	return ExitOK
}

var _ client.Client
