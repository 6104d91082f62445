package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/phonecheck/phonecheck/apiserver"
	"github.com/phonecheck/phonecheck/internal/config"
	"github.com/phonecheck/phonecheck/internal/logx"
)

const serveArgs = "[--listen ADDR] [--api-key KEY]... [--api-keys-file FILE] [--data-dir DIR] [--max-upload SIZE] [--daily-limit N] [--retention DUR] [--workers N] [--metrics-listen ADDR] [fault flags]"

func runServe(args []string, stdio IO) int {
	const name = "serve"
	fs := newFlags(name, serveArgs, stdio)
	b := bindConfig(fs, "serve.listen", "api.key", "serve.api_keys", "serve.api_keys_file", "data_dir", "serve.max_upload",
		"serve.daily_limit", "serve.retention", "serve.workers", "serve.result_url_ttl", "serve.public_url", "serve.processing_delay",
		"serve.fault_500_rate", "serve.fault_drop_rate", "serve.fault_latency", "serve.fault_latency_jitter",
		"serve.fault_spike_rate", "serve.fault_spike", "serve.fault_429_rate", "serve.fault_retry_after")
	b.Repeatable("api.key") // each --api-key is its own user
	b.Add(config.RunKeys...)
	pos, cfg, code, ok := parseBound(stdio, name, fs, b, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return usageError(stdio, name, "unexpected argument %q (serve takes only flags)", pos[0])
	}
	// Every value was checked when it was resolved, so the parses below succeed.
	conf := apiserver.Config{Dir: apiserver.StateDir(cfg.String("data_dir")), PublicURL: cfg.String("serve.public_url"),
		DailyLimit: cfg.Int("serve.daily_limit"), Workers: cfg.Int("serve.workers"),
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
