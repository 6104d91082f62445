// Package config is phonecheck's configuration: one table of settings, each
// with its key in the config file, its flag and its environment variables,
// resolved in the order default < file < environment < flag. The table is
// the one source of truth: the CLI builds its flags from it, `phonecheck
// config` prints it, and the docker-compose test checks variable names
// against it.
package config

import "slices"

// Kind says how a setting's text is checked and read.
type Kind int

const (
	String    Kind = iota
	Path           // a file or directory
	Location       // a directory, or a URL such as s3://bucket (kept as given)
	Bool           // true/false, 1/0, yes/no
	Int            // a count, 0 or more
	Duration       // Go duration or days: 250ms, 2s, 12h, 7d
	Size           // bytes with an optional unit: 64MiB
	Rate           // a share between 0 and 1
	Listen         // a listen address HOST:PORT (HOST may be empty)
	HostPort       // a server address HOST:PORT
	URL            // an http or https URL
	Region         // ISO 3166-1 alpha-2, or empty
	Formats        // result formats: csv, xlsx, jsonl (a list)
	Format         // one result format, or empty
	List           // a comma-separated list
	LogFormat      // text or json
	LogLevel       // debug, info, warn, error
)

// Setting is one configurable value.
type Setting struct {
	Key     string   // in the config file, dotted for sections: "temporal.address"
	Flag    string   // command-line flag without dashes
	Env     []string // environment variables, the first set one wins
	Default string
	Kind    Kind
	Secret  bool   // never printed or logged
	Usage   string // one line for --help and doc/commands.md
	// Arg names the flag's value in usage ("DIR"); empty: from the kind.
	Arg string
}

// ArgName is the flag's value as usage shows it: --region XX; "" for a
// boolean flag, which stands alone.
func (s Setting) ArgName() string {
	if s.Arg != "" || s.Kind == Bool {
		return s.Arg
	}
	return [...]string{String: "VALUE", Path: "PATH", Location: "LOCATION", Int: "N", Duration: "DURATION",
		Size: "SIZE", Rate: "SHARE", Listen: "ADDR", HostPort: "HOST:PORT", URL: "URL", Region: "XX",
		Formats: "csv,xlsx", Format: "csv|xlsx|jsonl", List: "LIST", LogFormat: "text|json", LogLevel: "LEVEL"}[s.Kind]
}

// FileEnv names the config file; --config overrides it.
const FileEnv = "PHONECHECK_CONFIG"

// Settings is every setting phonecheck reads, in the order `phonecheck
// config` prints them.
var Settings = []Setting{
	{Key: "data_dir", Flag: "data-dir", Env: env("DATA_DIR"), Default: "phonecheck/state", Kind: Path, Arg: "DIR",
		Usage: "where state lives: the embedded Temporal's SQLite file, the offline server's tasks, scratch space of files in progress"},
	{Key: "inbox", Flag: "inbox", Env: env("INBOX"), Default: "phonecheck/inbox", Kind: Path, Arg: "DIR",
		Usage: "folder to drop number files into"},
	{Key: "out", Flag: "out", Env: env("OUT"), Default: "phonecheck/results", Kind: Location, Arg: "DIR|URL",
		Usage: "folder or bucket URL results are written to"},
	{Key: "store", Flag: "store", Env: env("STORE"), Kind: Location,
		Usage: "where workers share inputs and work files: a directory, file:///dir or s3://bucket (default <data_dir>/store)"},
	{Key: "region", Flag: "region", Env: env("REGION"), Kind: Region,
		Usage: "default region (ISO 3166-1 alpha-2) for numbers written without +"},
	{Key: "formats", Flag: "formats", Env: env("FORMATS"), Default: "csv,xlsx", Kind: Formats,
		Usage: "export formats: csv, xlsx, jsonl"},
	{Key: "split", Flag: "split", Env: env("SPLIT"), Default: "false", Kind: Bool,
		Usage: "also write valid.<format> and invalid.<format> beside each results file: the rows whose phoneCheck is valid, and the others"},
	{Key: "notify", Flag: "notify", Env: env("NOTIFY"), Kind: URL,
		Usage: "POST a signed JSON notice (paths, counts, status; no numbers) to this URL when a file is done or failed (see notifications.md)"},
	{Key: "notify_secret", Flag: "notify-secret", Env: env("NOTIFY_SECRET"), Secret: true, Arg: "SECRET",
		Usage: "worker: the key notices are signed with (HMAC-SHA256, header X-Phonecheck-Signature); without it they go unsigned"},
	{Key: "validate.format", Flag: "format", Env: env("FORMAT"), Kind: Format,
		Usage: "output format: csv, xlsx or jsonl (default: from the -o extension, else csv)"},
	{Key: "column", Flag: "column", Env: env("COLUMN"), Kind: List, Arg: "NAME|NUMBER",
		Usage: "phone column of a CSV, TSV or XLSX input, by header name or 1-based number (default: the column named like a phone column, else the one whose values parse best)"},
	{Key: "region_column", Flag: "region-column", Env: env("REGION_COLUMN"), Arg: "NAME|NUMBER",
		Usage: "column of a table input with each row's region (ISO 3166 codes or English country names); --region is the fallback"},
	{Key: "sheet", Flag: "sheet", Env: env("SHEET"), Arg: "NAME|NUMBER",
		Usage: "sheet of an XLSX input, by name or 1-based number (default: the first)"},

	{Key: "log.format", Flag: "log-format", Env: env("LOG_FORMAT"), Default: "text", Kind: LogFormat,
		Usage: "log format on standard error: text or json"},
	{Key: "log.level", Flag: "log-level", Env: env("LOG_LEVEL"), Default: "info", Kind: LogLevel,
		Usage: "least important log level shown: debug, info, warn or error"},
	{Key: "metrics.listen", Flag: "metrics-listen", Env: env("METRICS_LISTEN"), Kind: Listen,
		Usage: "serve /metrics, /healthz and /readyz on this HOST:PORT (off when empty)"},

	{Key: "temporal.address", Flag: "temporal-address", Env: []string{"TEMPORAL_ADDRESS"}, Default: "127.0.0.1:7233", Kind: HostPort,
		Usage: "Temporal frontend HOST:PORT"},
	{Key: "temporal.namespace", Flag: "namespace", Env: []string{"TEMPORAL_NAMESPACE"}, Default: "default", Arg: "NS",
		Usage: "Temporal namespace"},
	{Key: "temporal.api_key", Flag: "temporal-api-key", Env: []string{"TEMPORAL_API_KEY"}, Secret: true, Arg: "KEY",
		Usage: "Temporal Cloud API key (implies TLS)"},
	{Key: "temporal.tls", Flag: "tls", Env: []string{"TEMPORAL_TLS"}, Default: "false", Kind: Bool,
		Usage: "use TLS to reach Temporal"},
	{Key: "temporal.tls_cert", Flag: "tls-cert", Env: []string{"TEMPORAL_TLS_CLIENT_CERT_PATH"}, Kind: Path, Arg: "FILE",
		Usage: "client certificate file for mTLS"},
	{Key: "temporal.tls_key", Flag: "tls-key", Env: []string{"TEMPORAL_TLS_CLIENT_KEY_PATH"}, Kind: Path, Arg: "FILE",
		Usage: "client key file for mTLS (the path is shown, the key never read by config)"},
	{Key: "temporal.tls_ca", Flag: "tls-ca", Env: []string{"TEMPORAL_TLS_SERVER_CA_CERT_PATH"}, Kind: Path, Arg: "FILE",
		Usage: "CA certificate file of the server"},
	{Key: "temporal.tls_server_name", Flag: "tls-server-name", Env: []string{"TEMPORAL_TLS_SERVER_NAME"}, Arg: "NAME",
		Usage: "server name to verify"},
	{Key: "temporal.listen", Flag: "temporal-listen", Env: env("TEMPORAL_LISTEN"), Default: "127.0.0.1:7233", Kind: Listen,
		Usage: "address of the embedded Temporal frontend"},

	{Key: "api.url", Flag: "api-url", Env: env("API_URL"), Kind: URL,
		Usage: "base URL of the v1 task API the worker calls (up: a remote one instead of the offline server)"},
	{Key: "api.key", Flag: "api-key", Env: env("API_KEY"), Secret: true, Arg: "KEY",
		Usage: "key for the task API (serve: a key it accepts)"},
	{Key: "api.timeout", Flag: "api-timeout", Env: env("API_TIMEOUT"), Default: "60s", Kind: Duration,
		Usage: "how long a task API call may wait without progress"},
	{Key: "api.idempotent", Flag: "api-idempotent", Env: env("API_IDEMPOTENT"), Default: "false", Kind: Bool,
		Usage: "the task API answers a repeated Idempotency-Key with the first task, uncharged: an upload whose answer was lost is sent again instead of failing as ambiguous (up's own offline server does)"},
	{Key: "api.retry_budget", Flag: "api-retry-budget", Env: env("API_RETRY_BUDGET"), Default: "5", Kind: Int,
		Usage: "calls in a row without a usable answer (an unreadable 200, no result link, a refused link, an unknown task) before a file fails"},
	{Key: "api.max_unanswered", Flag: "api-max-unanswered", Env: env("API_MAX_UNANSWERED"), Default: "0.01", Kind: Rate,
		Usage: "share of uploaded numbers a result may leave unanswered (marked so) before the file fails"},
	{Key: "record_retention", Flag: "record-retention", Env: env("RECORD_RETENTION"), Default: "30d", Kind: Duration,
		Usage: "how long the store remembers finished files and their tasks: the same file dropped again within it gets its results back without a charge"},
	{Key: "up.no_worker", Flag: "no-worker", Env: env("NO_WORKER"), Default: "false", Kind: Bool,
		Usage: "up runs no worker itself, for 'phonecheck worker' processes of their own"},
	{Key: "ui.listen", Flag: "ui-listen", Env: env("UI_LISTEN"), Default: "127.0.0.1:8233", Kind: Listen,
		Usage: "address of the Temporal Web UI that up serves (port 0: any free port)"},
	{Key: "up.no_ui", Flag: "no-ui", Env: env("NO_UI"), Default: "false", Kind: Bool,
		Usage: "up serves no Temporal Web UI"},
	{Key: "api.listen", Flag: "api-listen", Env: env("API_LISTEN"), Default: "127.0.0.1:8080", Kind: Listen,
		Usage: "address of the offline API server that up runs"},

	{Key: "watch.config", Flag: "watch-config", Env: env("WATCH_CONFIG"), Kind: Path, Arg: "FILE",
		Usage: "JSON file with per-folder watch settings"},
	{Key: "watch.poll", Flag: "poll", Env: env("POLL"), Default: "false", Kind: Bool,
		Usage: "scan on a timer instead of file system events (NFS, SMB, FUSE)"},
	{Key: "watch.settle", Flag: "settle", Env: env("SETTLE"), Default: "2s", Kind: Duration,
		Usage: "how long a file must stay unchanged before it is taken"},
	{Key: "watch.id", Flag: "watcher-id", Env: env("WATCHER_ID"), Kind: String, Arg: "ID",
		Usage: "the watcher's stable name, whose files queue archives its files (default: the host name)"},
	{Key: "watch.archive_wait", Flag: "archive-wait", Env: env("ARCHIVE_WAIT"), Default: "1h", Kind: Duration,
		Usage: "how long a file's archive waits for its watcher before the file fails naming it"},

	{Key: "serve.listen", Flag: "listen", Env: env("LISTEN"), Default: "127.0.0.1:8080", Kind: Listen,
		Usage: "address the offline API server listens on"},
	{Key: "serve.api_keys", Flag: "api-keys", Env: env("API_KEYS"), Kind: List, Secret: true, Arg: "KEYS",
		Usage: "more keys the server accepts, comma-separated"},
	{Key: "serve.api_keys_file", Flag: "api-keys-file", Env: env("API_KEYS_FILE"), Kind: Path, Arg: "FILE",
		Usage: "file of keys, one per line: KEY or USER_ID:KEY"},
	{Key: "serve.max_upload", Flag: "max-upload", Env: env("MAX_UPLOAD"), Default: "64MiB", Kind: Size,
		Usage: "largest accepted file: bytes, or with KiB, MiB, GiB"},
	{Key: "serve.daily_limit", Flag: "daily-limit", Env: env("DAILY_LIMIT"), Default: "0", Kind: Int,
		Usage: "charged requests per key and UTC day, then 429 (0: no limit)"},
	{Key: "serve.retention", Flag: "retention", Env: env("RETENTION"), Default: "7d", Kind: Duration,
		Usage: "remove tasks, files and ledger rows older than this"},
	{Key: "serve.processors", Flag: "processors", Env: env("PROCESSORS"), Default: "2", Kind: Int,
		Usage: "tasks processed at once"},
	{Key: "serve.result_url_ttl", Flag: "result-url-ttl", Env: env("RESULT_URL_TTL"), Default: "24h", Kind: Duration,
		Usage: "lifetime of a signed result_url"},
	{Key: "serve.public_url", Flag: "public-url", Env: env("PUBLIC_URL"), Kind: URL,
		Usage: "scheme and host for result_url behind a proxy (default: the request's host)"},
	{Key: "serve.processing_delay", Flag: "processing-delay", Env: env("PROCESSING_DELAY"), Default: "0", Kind: Duration,
		Usage: "testing: slow processing down by this per 1000 rows"},
	{Key: "serve.fault_500_rate", Flag: "fault-500-rate", Env: env("FAULT_500_RATE"), Default: "0", Kind: Rate,
		Usage: "testing: share of requests answered 500, free"},
	{Key: "serve.fault_drop_rate", Flag: "fault-drop-rate", Env: env("FAULT_DROP_RATE"), Default: "0", Kind: Rate,
		Usage: "testing: share of connections closed without an answer"},
	{Key: "serve.fault_latency", Flag: "fault-latency", Env: env("FAULT_LATENCY"), Default: "0", Kind: Duration,
		Usage: "testing: latency added to every request"},
	{Key: "serve.fault_latency_jitter", Flag: "fault-latency-jitter", Env: env("FAULT_LATENCY_JITTER"), Default: "0", Kind: Duration,
		Usage: "testing: random extra latency up to this"},
	{Key: "serve.fault_spike_rate", Flag: "fault-spike-rate", Env: env("FAULT_SPIKE_RATE"), Default: "0", Kind: Rate,
		Usage: "testing: share of requests delayed by fault_spike"},
	{Key: "serve.fault_spike", Flag: "fault-spike", Env: env("FAULT_SPIKE"), Default: "0", Kind: Duration,
		Usage: "testing: the extra latency of a spike, e.g. past the client's timeout"},
	{Key: "serve.fault_429_rate", Flag: "fault-429-rate", Env: env("FAULT_429_RATE"), Default: "0", Kind: Rate,
		Usage: "testing: share of requests answered 429, free"},
	{Key: "serve.fault_retry_after", Flag: "fault-retry-after", Env: env("FAULT_RETRY_AFTER"), Default: "1s", Kind: Duration,
		Usage: "testing: the Retry-After of injected 429s"},
	{Key: "serve.fault_ignore_idempotency", Flag: "fault-ignore-idempotency", Env: env("FAULT_IGNORE_IDEMPOTENCY"), Default: "false", Kind: Bool,
		Usage: "testing: take every upload as new and charge it, whatever its Idempotency-Key"},
	{Key: "serve.fault_upload_bps", Flag: "fault-upload-bps", Env: env("FAULT_UPLOAD_BPS"), Default: "0", Kind: Size,
		Usage: "testing: read uploads at most this many bytes per second, e.g. 100KiB (0: unlimited)"},
	{Key: "serve.fault_download_bps", Flag: "fault-download-bps", Env: env("FAULT_DOWNLOAD_BPS"), Default: "0", Kind: Size,
		Usage: "testing: send result zips at most this many bytes per second (0: unlimited)"},
	{Key: "serve.fault_unreadable_create_rate", Flag: "fault-unreadable-create-rate", Env: env("FAULT_UNREADABLE_CREATE_RATE"), Default: "0", Kind: Rate,
		Usage: "testing: share of uploads that create and charge a task but answer 200 with an unreadable body"},
	{Key: "serve.fault_unreadable_poll_rate", Flag: "fault-unreadable-poll-rate", Env: env("FAULT_UNREADABLE_POLL_RATE"), Default: "0", Kind: Rate,
		Usage: "testing: share of gettasks answered 200 (charged) with an unreadable body"},
	{Key: "serve.fault_no_link_rate", Flag: "fault-no-link-rate", Env: env("FAULT_NO_LINK_RATE"), Default: "0", Kind: Rate,
		Usage: "testing: share of exported gettasks answers (charged) without a result_url"},
	{Key: "serve.fault_refuse_link_rate", Flag: "fault-refuse-link-rate", Env: env("FAULT_REFUSE_LINK_RATE"), Default: "0", Kind: Rate,
		Usage: "testing: share of result downloads refused 403, as an expired link is"},
	{Key: "serve.fault_unknown_task_rate", Flag: "fault-unknown-task-rate", Env: env("FAULT_UNKNOWN_TASK_RATE"), Default: "0", Kind: Rate,
		Usage: "testing: share of gettasks answered 404, as for a task the service no longer knows"},
}

// Groups of keys that commands share.
var (
	TemporalKeys = []string{"temporal.address", "temporal.namespace", "temporal.api_key", "temporal.tls",
		"temporal.tls_cert", "temporal.tls_key", "temporal.tls_ca", "temporal.tls_server_name"}
	// RunKeys are the settings of every long-running command.
	RunKeys = []string{"log.format", "log.level", "metrics.listen"}
	// InputKeys say what is read of a table input.
	InputKeys = []string{"column", "region_column", "sheet"}
)

func env(name string) []string { return []string{"PHONECHECK_" + name} }

// Lookup finds a setting by its file key.
func Lookup(key string) (Setting, bool) {
	i := slices.IndexFunc(Settings, func(s Setting) bool { return s.Key == key })
	if i < 0 {
		return Setting{}, false
	}
	return Settings[i], true
}

// OtherEnv are variables the binary reads outside the settings table.
var OtherEnv = []string{
	FileEnv,
	"GOMEMLIMIT", // Go runtime: overrides the soft memory limit of up and validate
	"GOGC",       // Go runtime: overrides validate's garbage collection percentage
}

// EnvNames lists every environment variable phonecheck reads, sorted.
func EnvNames() []string {
	var names []string
	for _, s := range Settings {
		names = append(names, s.Env...)
	}
	names = append(names, OtherEnv...)
	slices.Sort(names)
	return slices.Compact(names)
}
