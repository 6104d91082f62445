package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/phonecheck/phonecheck/apiserver"
)

const serveArgs = "[--listen ADDR] [--api-key KEY]... [--api-keys-file FILE] [--data-dir DIR] [--max-upload SIZE] [--daily-limit N] [--retention DUR] [--workers N] [fault flags]"

func runServe(args []string, stdio IO) int {
	const name = "serve"
	fs := newFlags(name, serveArgs, stdio)
	listen := fs.String("listen", envDefault("listen", apiserver.DefaultListen), "`ADDR` to listen on; env PHONECHECK_LISTEN")
	var keyFlags stringList
	fs.Var(&keyFlags, "api-key", "a `KEY` accepted in X-API-Key, each its own user (repeatable); env PHONECHECK_API_KEY, or PHONECHECK_API_KEYS comma-separated")
	keysFile := fs.String("api-keys-file", envDefault("api-keys-file", ""), "`FILE` of keys, one per line: KEY or USER_ID:KEY; env PHONECHECK_API_KEYS_FILE")
	dataDir := fs.String("data-dir", envDefault("data-dir", ".phonecheck"), "data `DIR`; the server keeps its state in DIR/apiserver; env PHONECHECK_DATA_DIR")
	maxUpload := fs.String("max-upload", envDefault("max-upload", "64MiB"), "largest accepted file: a `SIZE` in bytes, or with KiB, MiB, GiB; env PHONECHECK_MAX_UPLOAD")
	dailyLimit := fs.String("daily-limit", envDefault("daily-limit", "0"), "`N` charged requests per key and UTC day, then 429 (0: no limit); env PHONECHECK_DAILY_LIMIT")
	retention := fs.String("retention", envDefault("retention", "7d"), "remove tasks, files and ledger rows older than this `DURATION` (e.g. 7d, 12h); env PHONECHECK_RETENTION")
	workers := fs.String("workers", envDefault("workers", strconv.Itoa(apiserver.DefaultWorkers)), "`N` tasks processed at once; env PHONECHECK_WORKERS")
	urlTTL := fs.String("result-url-ttl", envDefault("result-url-ttl", "24h"), "lifetime (a `DURATION`) of a signed result_url; env PHONECHECK_RESULT_URL_TTL")
	publicURL := fs.String("public-url", envDefault("public-url", ""), "scheme and host (a `URL`) for result_url behind a proxy (default: the request's host); env PHONECHECK_PUBLIC_URL")
	delay := fs.String("processing-delay", envDefault("processing-delay", "0"), "testing: slow processing down by this `DURATION` per 1000 rows; env PHONECHECK_PROCESSING_DELAY")
	rate500 := fs.String("fault-500-rate", envDefault("fault-500-rate", "0"), "testing: share (a `RATE` 0..1) of requests answered 500, free; env PHONECHECK_FAULT_500_RATE")
	dropRate := fs.String("fault-drop-rate", envDefault("fault-drop-rate", "0"), "testing: share (a `RATE` 0..1) of connections closed without an answer; env PHONECHECK_FAULT_DROP_RATE")
	latency := fs.String("fault-latency", envDefault("fault-latency", "0"), "testing: latency (a `DURATION`) added to every request; env PHONECHECK_FAULT_LATENCY")
	jitter := fs.String("fault-latency-jitter", envDefault("fault-latency-jitter", "0"), "testing: random extra latency up to this `DURATION`; env PHONECHECK_FAULT_LATENCY_JITTER")
	logFormat := fs.String("log-format", envDefault("log-format", "text"), "log `FORMAT` on standard error: text or json; env PHONECHECK_LOG_FORMAT")
	pos, err := parse(fs, args)
	if flagHelp(err) {
		return ExitOK
	}
	if err != nil {
		return ExitUsage
	}
	if len(pos) > 0 {
		return usageError(stdio, name, "unexpected argument %q (serve takes only flags)", pos[0])
	}

	cfg := apiserver.Config{Dir: apiserver.StateDir(*dataDir), PublicURL: *publicURL}
	if cfg.MaxUpload, err = parseSize(*maxUpload); err != nil {
		return usageError(stdio, name, "--max-upload: %v", err)
	}
	for _, d := range []struct {
		flag, value string
		dst         *time.Duration
	}{
		{"retention", *retention, &cfg.Retention}, {"result-url-ttl", *urlTTL, &cfg.ResultURLTTL},
		{"processing-delay", *delay, &cfg.ProcessingDelay}, {"fault-latency", *latency, &cfg.Faults.Latency},
		{"fault-latency-jitter", *jitter, &cfg.Faults.LatencyJitter},
	} {
		if *d.dst, err = parseDuration(d.value); err != nil {
			return usageError(stdio, name, "--%s: %v", d.flag, err)
		}
	}
	for _, r := range []struct {
		flag, value string
		dst         *float64
	}{{"fault-500-rate", *rate500, &cfg.Faults.Rate500}, {"fault-drop-rate", *dropRate, &cfg.Faults.DropRate}} {
		if *r.dst, err = strconv.ParseFloat(r.value, 64); err != nil || *r.dst < 0 || *r.dst > 1 {
			return usageError(stdio, name, "--%s: %q is not a share between 0 and 1, such as 0.3", r.flag, r.value)
		}
	}
	for _, n := range []struct {
		flag, value string
		dst         *int
	}{{"daily-limit", *dailyLimit, &cfg.DailyLimit}, {"workers", *workers, &cfg.Workers}} {
		if *n.dst, err = strconv.Atoi(n.value); err != nil || *n.dst < 0 {
			return usageError(stdio, name, "--%s: %q is not a count (0 or more)", n.flag, n.value)
		}
	}
	if cfg.Logger, err = newLogger(*logFormat, stdio.Err); err != nil {
		return usageError(stdio, name, "--log-format: %v", err)
	}

	keyNote := ""
	if cfg.Keys, err = serveKeys(keyFlags, *keysFile); err != nil {
		return usageError(stdio, name, "%v", err)
	}
	if len(cfg.Keys) == 0 {
		key, created, err := apiserver.LoadOrCreateKey(cfg.Dir)
		if err != nil {
			return runError(stdio, name, err, "check that --data-dir is writable")
		}
		cfg.Keys = []apiserver.Key{apiserver.NewKey(key)}
		path := apiserver.KeyFile(cfg.Dir)
		if created {
			keyNote = fmt.Sprintf("  API key: generated and stored in %s (shown only this once):\n\n      %s\n\n", path, key) +
				"  Send it as the X-API-Key header, e.g.\n" +
				fmt.Sprintf("      curl --location 'URL/v1/tasks' --header 'X-API-Key: %s' --form 'file=@\"./numbers.txt\"' --form 'task_type=\"phoneCheck\"'\n", key)
		} else {
			keyNote = fmt.Sprintf("  API key: the one stored in %s\n", path)
		}
	} else {
		keyNote = fmt.Sprintf("  API keys: %d configured\n", len(cfg.Keys))
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return runError(stdio, name, err, "choose another --listen address, or stop what uses it")
	}
	srv, err := apiserver.New(cfg)
	if err != nil {
		ln.Close()
		return runError(stdio, name, err, "check that --data-dir is writable")
	}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(stdio.Out, "phonecheck serve: listening on %s\n  data:    %s (kept %s)\n%s", url, cfg.Dir, *retention,
		strings.ReplaceAll(keyNote, "'URL", "'"+url))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
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

// serveKeys gathers the configured keys: --api-key flags (else the
// environment) and the keys file.
func serveKeys(flags []string, file string) ([]apiserver.Key, error) {
	secrets := flags
	if len(secrets) == 0 {
		if v := os.Getenv("PHONECHECK_API_KEY"); v != "" {
			secrets = append(secrets, v)
		}
		for _, v := range strings.Split(os.Getenv("PHONECHECK_API_KEYS"), ",") {
			if v = strings.TrimSpace(v); v != "" {
				secrets = append(secrets, v)
			}
		}
	}
	var keys []apiserver.Key
	for _, s := range secrets {
		if strings.TrimSpace(s) == "" {
			return nil, fmt.Errorf("--api-key: empty key")
		}
		keys = append(keys, apiserver.NewKey(s))
	}
	if file != "" {
		fk, err := apiserver.ReadKeysFile(file)
		if err != nil {
			return nil, fmt.Errorf("--api-keys-file: %v", err)
		}
		keys = append(keys, fk...)
	}
	return keys, nil
}

func newLogger(format string, w io.Writer) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, fmt.Errorf("%q: use text or json", format)
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// parseSize reads a byte count: digits with an optional KiB, MiB or GiB
// (also K, M, G) or KB, MB, GB suffix.
func parseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"b", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a size: use bytes or a unit, such as 64MiB", s)
	}
	return n * mult, nil
}

// parseDuration is time.ParseDuration that also takes days ("7d").
func parseDuration(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(strings.TrimSpace(s), "d"); ok {
		if n, err := strconv.ParseFloat(d, 64); err == nil && n >= 0 {
			return time.Duration(n * float64(24*time.Hour)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration: use e.g. 250ms, 2s, 12h or 7d", s)
	}
	return d, nil
}
