package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"go.temporal.io/sdk/client"

	"github.com/phonecheck/phonecheck/ekycpro"
	"github.com/phonecheck/phonecheck/internal/store"
	"github.com/phonecheck/phonecheck/results"
	"github.com/phonecheck/phonecheck/temporalx"
)

// Defaults shared by the pipeline commands (ARCHITECTURE.md, command line).
const (
	defaultDataDir        = ".phonecheck"
	defaultInbox          = "inbox"
	defaultOut            = "results"
	defaultAPIListen      = "127.0.0.1:8080"
	defaultTemporalListen = "127.0.0.1:7233"
)

// temporalFlags are the flags that say how to reach Temporal.
type temporalFlags struct {
	address, namespace, apiKey, tlsCert, tlsKey, tlsCA, tlsServerName *string
	tls                                                               *bool
}

func addTemporalFlags(fs *flag.FlagSet) *temporalFlags {
	return &temporalFlags{
		address:       fs.String("temporal-address", "", "Temporal frontend host:port (env TEMPORAL_ADDRESS; default 127.0.0.1:7233)"),
		namespace:     fs.String("namespace", "", "Temporal namespace (env TEMPORAL_NAMESPACE; default \"default\")"),
		apiKey:        fs.String("temporal-api-key", "", "Temporal Cloud API key (env TEMPORAL_API_KEY)"),
		tls:           fs.Bool("tls", false, "use TLS to reach Temporal (env TEMPORAL_TLS)"),
		tlsCert:       fs.String("tls-cert", "", "client certificate for mTLS (env TEMPORAL_TLS_CLIENT_CERT_PATH)"),
		tlsKey:        fs.String("tls-key", "", "client key for mTLS (env TEMPORAL_TLS_CLIENT_KEY_PATH)"),
		tlsCA:         fs.String("tls-ca", "", "CA certificate of the server (env TEMPORAL_TLS_SERVER_CA_CERT_PATH)"),
		tlsServerName: fs.String("tls-server-name", "", "server name to verify (env TEMPORAL_TLS_SERVER_NAME)"),
	}
}

func (t *temporalFlags) options() temporalx.ClientOptions {
	return temporalx.ClientOptions{Address: *t.address, Namespace: *t.namespace, APIKey: *t.apiKey, TLS: *t.tls,
		TLSCertFile: *t.tlsCert, TLSKeyFile: *t.tlsKey, TLSCAFile: *t.tlsCA, TLSServerName: *t.tlsServerName}.FromEnv()
}

func (t *temporalFlags) dial() (client.Client, error) { return temporalx.Dial(t.options()) }

// parseFormats reads a --formats list such as "csv,xlsx".
func parseFormats(s string) ([]string, error) {
	var out []string
	seen := map[results.Format]bool{}
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		f, err := results.ParseFormat(part)
		if err != nil {
			return nil, fmt.Errorf("--formats: %v", err)
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, string(f))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--formats: give at least one of csv, xlsx, jsonl")
	}
	return out, nil
}

// newAPIClient is the v1 task API client for the worker; the key stays here,
// in the worker's configuration, and never reaches a workflow payload.
func newAPIClient(url, key string) (*ekycpro.Client, error) {
	if url == "" {
		return nil, fmt.Errorf("no API URL: give --api-url (or PHONECHECK_API_URL), or run 'phonecheck up' for the offline server")
	}
	if key == "" {
		return nil, fmt.Errorf("no API key for %s: give --api-key or set PHONECHECK_API_KEY", url)
	}
	return ekycpro.New(url, key)
}

// addStoreFlag is --store: where the workers share each file's input and
// work files.
func addStoreFlag(fs *flag.FlagSet) *string {
	return fs.String("store", envDefault("store", ""), "where workers share inputs and work files: a directory, file:///dir or s3://bucket (env PHONECHECK_STORE; default <data-dir>/store)")
}

// openStore opens --store, by default the store in the data directory.
func openStore(location, dataDir string) (*store.Store, error) {
	if location == "" {
		location = filepath.Join(absPath(dataDir), "store")
	}
	s, err := store.Open(context.Background(), location)
	if err != nil {
		return nil, err
	}
	if err := s.Accessible(context.Background()); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// outLocation is an --out value: a bucket URL as given, a directory made
// absolute.
func outLocation(out string) string {
	if strings.Contains(out, "://") {
		return out
	}
	return absPath(out)
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

func warnLogger(stdio IO) *slog.Logger {
	return slog.New(slog.NewTextHandler(stdio.Err, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %w", dir, err)
	}
	return nil
}

// exitForParse is the exit code after a flag parsing error (the flag
// package has printed the message).
func exitForParse(err error) int {
	if flagHelp(err) {
		return ExitOK
	}
	return ExitUsage
}
