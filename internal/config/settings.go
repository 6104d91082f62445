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
	Secret  bool // never printed or logged
	Usage   string
}

// FileEnv names the config file; --config overrides it.
const FileEnv = "PHONECHECK_CONFIG"

// Settings is every setting phonecheck reads, in the order `phonecheck
// config` prints them.
var Settings = []Setting{
	{Key: "data_dir", Flag: "data-dir", Env: env("DATA_DIR"), Default: ".phonecheck", Kind: Path,
		Usage: "where state lives: Temporal's SQLite file (up), the offline server's tasks, scratch space of files in progress"},
	{Key: "inbox", Flag: "inbox", Env: env("INBOX"), Default: "inbox", Kind: Path,
		Usage: "folder to drop number files into (up, doctor)"},
	{Key: "out", Flag: "out", Env: env("OUT"), Default: "results", Kind: Location,
		Usage: "folder or bucket URL results are written to"},
	{Key: "store", Flag: "store", Env: env("STORE"), Kind: Location,
		Usage: "where workers share inputs and work files: a directory, file:///dir or s3://bucket (default <data_dir>/store)"},
	{Key: "region", Flag: "region", Env: env("REGION"), Kind: Region,
		Usage: "default region (ISO 3166-1 alpha-2) for numbers written without +"},
	{Key: "formats", Flag: "formats", Env: env("FORMATS"), Default: "csv,xlsx", Kind: Formats,
		Usage: "export formats: csv, xlsx, jsonl"},

	{Key: "log.format", Flag: "log-format", Env: env("LOG_FORMAT"), Default: "text", Kind: LogFormat,
		Usage: "log format on standard error: text or json"},
	{Key: "log.level", Flag: "log-level", Env: env("LOG_LEVEL"), Default: "info", Kind: LogLevel,
		Usage: "least important log level shown: debug, info, warn or error"},
	{Key: "metrics.listen", Flag: "metrics-listen", Env: env("METRICS_LISTEN"), Kind: Listen,
		Usage: "serve /metrics, /healthz and /readyz on this HOST:PORT (off when empty)"},

	{Key: "temporal.address", Flag: "temporal-address", Env: []string{"TEMPORAL_ADDRESS"}, Default: "127.0.0.1:7233", Kind: HostPort,
		Usage: "Temporal frontend HOST:PORT"},
	{Key: "temporal.namespace", Flag: "namespace", Env: []string{"TEMPORAL_NAMESPACE"}, Default: "default",
		Usage: "Temporal namespace"},
	{Key: "temporal.api_key", Flag: "temporal-api-key", Env: []string{"TEMPORAL_API_KEY"}, Secret: true,
		Usage: "Temporal Cloud API key (implies TLS)"},
	{Key: "temporal.tls", Flag: "tls", Env: []string{"TEMPORAL_TLS"}, Default: "false", Kind: Bool,
		Usage: "use TLS to reach Temporal"},
	{Key: "temporal.tls_cert", Flag: "tls-cert", Env: []string{"TEMPORAL_TLS_CLIENT_CERT_PATH"}, Kind: Path,
		Usage: "client certificate file for mTLS"},
	{Key: "temporal.tls_key", Flag: "tls-key", Env: []string{"TEMPORAL_TLS_CLIENT_KEY_PATH"}, Kind: Path,
		Usage: "client key file for mTLS (the path is shown, the key never read by config)"},
	{Key: "temporal.tls_ca", Flag: "tls-ca", Env: []string{"TEMPORAL_TLS_SERVER_CA_CERT_PATH"}, Kind: Path,
		Usage: "CA certificate file of the server"},
	{Key: "temporal.tls_server_name", Flag: "tls-server-name", Env: []string{"TEMPORAL_TLS_SERVER_NAME"},
		Usage: "server name to verify"},
	{Key: "temporal.listen", Flag: "temporal-listen", Env: env("TEMPORAL_LISTEN"), Default: "127.0.0.1:7233", Kind: Listen,
		Usage: "address of the embedded Temporal frontend (up)"},

	{Key: "api.url", Flag: "api-url", Env: env("API_URL"), Kind: URL,
		Usage: "base URL of the v1 task API the worker calls (up: a remote one instead of the offline server)"},
	{Key: "api.key", Flag: "api-key", Env: env("API_KEY"), Secret: true,
		Usage: "key for the task API (serve: a key it accepts)"},
	{Key: "api.timeout", Flag: "api-timeout", Env: env("API_TIMEOUT"), Default: "60s", Kind: Duration,
		Usage: "how long a task API call may wait without progress (up, worker)"},
	{Key: "up.no_worker", Flag: "no-worker", Env: env("NO_WORKER"), Default: "false", Kind: Bool,
		Usage: "up runs no worker itself, for 'phonecheck worker' processes of their own"},
	{Key: "api.listen", Flag: "api-listen", Env: env("API_LISTEN"), Default: "127.0.0.1:8080", Kind: Listen,
		Usage: "address of the offline API server that up runs"},

	{Key: "watch.config", Flag: "watch-config", Env: env("WATCH_CONFIG"), Kind: Path,
		Usage: "JSON file with per-folder watch settings (watch)"},
	{Key: "watch.poll", Flag: "poll", Env: env("POLL"), Default: "false", Kind: Bool,
		Usage: "scan on a timer instead of file system events (NFS, SMB, FUSE)"},
	{Key: "watch.settle", Flag: "settle", Env: env("SETTLE"), Default: "2s", Kind: Duration,
		Usage: "how long a file must stay unchanged before it is taken"},

	{Key: "serve.listen", Flag: "listen", Env: env("LISTEN"), Default: "127.0.0.1:8080", Kind: Listen,
		Usage: "address the offline API server listens on (serve)"},
	{Key: "serve.api_keys", Flag: "api-keys", Env: env("API_KEYS"), Kind: List, Secret: true,
		Usage: "more keys the server accepts, comma-separated"},
	{Key: "serve.api_keys_file", Flag: "api-keys-file", Env: env("API_KEYS_FILE"), Kind: Path,
		Usage: "file of keys, one per line: KEY or USER_ID:KEY"},
	{Key: "serve.max_upload", Flag: "max-upload", Env: env("MAX_UPLOAD"), Default: "64MiB", Kind: Size,
		Usage: "largest accepted file: bytes, or with KiB, MiB, GiB"},
	{Key: "serve.daily_limit", Flag: "daily-limit", Env: env("DAILY_LIMIT"), Default: "0", Kind: Int,
		Usage: "charged requests per key and UTC day, then 429 (0: no limit)"},
	{Key: "serve.retention", Flag: "retention", Env: env("RETENTION"), Default: "7d", Kind: Duration,
		Usage: "remove tasks, files and ledger rows older than this"},
	{Key: "serve.workers", Flag: "workers", Env: env("WORKERS"), Default: "2", Kind: Int,
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
}

// Groups of keys that commands share.
var (
	TemporalKeys = []string{"temporal.address", "temporal.namespace", "temporal.api_key", "temporal.tls",
		"temporal.tls_cert", "temporal.tls_key", "temporal.tls_ca", "temporal.tls_server_name"}
	// RunKeys are the settings of every long-running command.
	RunKeys = []string{"log.format", "log.level", "metrics.listen"}
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
	"PHONECHECK_FORMAT", "PHONECHECK_WATCH_CONFIG",
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
