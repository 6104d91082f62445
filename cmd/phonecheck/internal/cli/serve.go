package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/phonecheck/phonecheck/apiserver"
	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/config"
	"github.com/phonecheck/phonecheck/cmd/phonecheck/internal/logx"
)

var serveCmd = &command{
	name:    "serve",
	summary: "run the offline phoneCheck v1 task API",
	about: "Runs the phoneCheck v1 task API offline, backed by the validation engine: upload with\n" +
		"`POST /v1/tasks`, poll with `POST /v1/gettasks`, download the results zip, each\n" +
		"successful call charged to its key in the server's ledger. Without `--api-key`,\n" +
		"`--api-keys` or `--api-keys-file` it generates a key on first start, stores it in `--data-dir`\n" +
		"and prints it once. Tasks survive a restart; unfinished ones resume. The testing flags\n" +
		"(`--processing-delay`, `--fault-*`) make it slow or unreliable on purpose, to test clients.",
	docs: "api.md",
	keys: slices.Concat([]string{"serve.listen", "api.key", "serve.api_keys", "serve.api_keys_file", "data_dir", "serve.max_upload",
		"serve.daily_limit", "serve.retention", "serve.processors", "serve.result_url_ttl", "serve.public_url", "serve.processing_delay",
		"serve.fault_500_rate", "serve.fault_drop_rate", "serve.fault_latency", "serve.fault_latency_jitter",
		"serve.fault_spike_rate", "serve.fault_spike", "serve.fault_429_rate", "serve.fault_retry_after",
		"serve.fault_ignore_idempotency", "serve.fault_upload_bps", "serve.fault_download_bps", "serve.fault_unreadable_create_rate",
		"serve.fault_unreadable_poll_rate", "serve.fault_no_link_rate", "serve.fault_refuse_link_rate", "serve.fault_unknown_task_rate"}, config.RunKeys),
	repeat: []string{"api.key"}, // each --api-key is its own user
	run:    runServe,
}

func runServe(x *call) int {
	stdio, name, cfg := x.stdio, x.name, x.cfg
	// Every value was checked when it was resolved, so the parses below succeed.
	conf := apiserver.Config{Dir: apiserver.StateDir(cfg.String("data_dir")), PublicURL: cfg.String("serve.public_url"),
		DailyLimit: cfg.Int("serve.daily_limit"), Processors: cfg.Int("serve.processors"),
		Retention: cfg.Duration("serve.retention"), ResultURLTTL: cfg.Duration("serve.result_url_ttl"),
		ProcessingDelay: cfg.Duration("serve.processing_delay"),
		Faults:          apiserver.Faults{Latency: cfg.Duration("serve.fault_latency"), LatencyJitter: cfg.Duration("serve.fault_latency_jitter")}}
	conf.MaxUpload, _ = config.ParseSize(cfg.String("serve.max_upload"))
	conf.Faults.Rate500, _ = config.ParseRate(cfg.String("serve.fault_500_rate"))
	conf.Faults.DropRate, _ = config.ParseRate(cfg.String("serve.fault_drop_rate"))
	conf.Faults.SpikeRate, _ = config.ParseRate(cfg.String("serve.fault_spike_rate"))
	conf.Faults.Spike = cfg.Duration("serve.fault_spike")
	if conf.Faults.Rate429, _ = config.ParseRate(cfg.String("serve.fault_429_rate")); conf.Faults.Rate429 > 0 {
		conf.Faults.RetryAfter = cfg.Duration("serve.fault_retry_after") // else no fault layer at all
	}
	conf.Faults.IgnoreIdempotency = cfg.Bool("serve.fault_ignore_idempotency")
	conf.Faults.UploadBPS, _ = config.ParseSize(cfg.String("serve.fault_upload_bps"))
	conf.Faults.DownloadBPS, _ = config.ParseSize(cfg.String("serve.fault_download_bps"))
	for key, rate := range map[string]*float64{"serve.fault_unreadable_create_rate": &conf.Faults.UnreadableCreateRate,
		"serve.fault_unreadable_poll_rate": &conf.Faults.UnreadablePollRate, "serve.fault_no_link_rate": &conf.Faults.NoLinkRate,
		"serve.fault_refuse_link_rate": &conf.Faults.RefuseLinkRate, "serve.fault_unknown_task_rate": &conf.Faults.UnknownTaskRate} {
		*rate, _ = config.ParseRate(cfg.String(key))
	}
	rt, err := newRuntime(stdio, cfg, "")
	if err != nil {
		return usageError(stdio, name, "%v", err)
	}
	defer rt.close()
	conf.Logger, conf.Wrap = rt.log, rt.metrics.Middleware

	keyNote := ""
	if conf.Keys, err = serveKeys(cfg.List("api.key"), cfg.List("serve.api_keys"), cfg.String("serve.api_keys_file")); err != nil {
		return usageError(stdio, name, "%v", err)
	}
	if len(conf.Keys) == 0 {
		key, created, err := apiserver.LoadOrCreateKey(conf.Dir)
		if err != nil {
			return runError(stdio, name, err, "check that --data-dir is writable")
		}
		conf.Keys = []apiserver.Key{apiserver.NewKey(key)}
		path := apiserver.KeyFile(conf.Dir)
		if created {
			keyNote = fmt.Sprintf("  API key: generated and stored in %s (shown only this once):\n\n      %s\n\n", path, key) +
				"  Send it as the X-API-Key header, e.g.\n" +
				fmt.Sprintf("      curl --location 'URL/v1/tasks' --header 'X-API-Key: %s' --form 'file=@\"./numbers.txt\"' --form 'task_type=\"phoneCheck\"'\n", key)
		} else {
			keyNote = fmt.Sprintf("  API key: the one stored in %s\n", path)
		}
		// Printed once on standard output; never in a log line.
		conf.Logger = slog.New(logx.NewRedactor(conf.Logger.Handler(), key))
	} else {
		keyNote = fmt.Sprintf("  API keys: %d configured\n", len(conf.Keys))
	}

	listen := cfg.String("serve.listen")
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return runError(stdio, name, err, "choose another --listen address, or stop what uses it")
	}
	srv, err := apiserver.New(conf)
	if err != nil {
		ln.Close()
		return runError(stdio, name, err, "check that --data-dir is writable")
	}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(stdio.Out, "phonecheck serve: listening on %s\n  data:    %s (kept %s)\n%s", url, conf.Dir, cfg.String("serve.retention"),
		strings.ReplaceAll(keyNote, "'URL", "'"+url))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rt.ready("database", srv.Ready)
	if err := rt.serve(ctx, stdio, name); err != nil {
		ln.Close()
		srv.Close()
		return runError(stdio, name, err, "")
	}
	err = srv.Serve(ctx, ln)
	if cerr := srv.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return runError(stdio, name, err, "")
	}
	fmt.Fprintln(stdio.Out, "phonecheck serve: stopped; unfinished tasks resume at the next start")
	return ExitOK
}

// serveKeys gathers the configured keys: api.key (each --api-key flag, or
// PHONECHECK_API_KEY, or the config file's), serve.api_keys and the keys file.
func serveKeys(keys, more []string, file string) ([]apiserver.Key, error) {
	var out []apiserver.Key
	for _, s := range append(keys, more...) {
		if strings.TrimSpace(s) == "" {
			return nil, fmt.Errorf("--api-key: empty key")
		}
		out = append(out, apiserver.NewKey(s))
	}
	if file != "" {
		fk, err := apiserver.ReadKeysFile(file)
		if err != nil {
			return nil, fmt.Errorf("--api-keys-file: %v", err)
		}
		out = append(out, fk...)
	}
	return out, nil
}
