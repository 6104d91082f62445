package temporalx

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
)

// ClientOptions say how to reach a Temporal cluster. Empty fields fall back
// to the standard TEMPORAL_* environment variables (as the temporal CLI and
// SDK env config read them), then to the embedded server's defaults.
type ClientOptions struct {
	Address       string // TEMPORAL_ADDRESS, default 127.0.0.1:7233
	Namespace     string // TEMPORAL_NAMESPACE, default "default"
	APIKey        string // TEMPORAL_API_KEY (sent as a bearer token; implies TLS)
	TLS           bool   // TEMPORAL_TLS
	TLSCertFile   string // TEMPORAL_TLS_CLIENT_CERT_PATH
	TLSKeyFile    string // TEMPORAL_TLS_CLIENT_KEY_PATH
	TLSCAFile     string // TEMPORAL_TLS_SERVER_CA_CERT_PATH
	TLSServerName string // TEMPORAL_TLS_SERVER_NAME
	Logger        *slog.Logger
	// MetricsHandler receives the SDK's own metrics (nil: none).
	MetricsHandler client.MetricsHandler
}

// FromEnv fills the empty fields from the environment and the defaults.
func (o ClientOptions) FromEnv() ClientOptions {
	env := func(v *string, name, def string) {
		if *v == "" {
			*v = os.Getenv(name)
		}
		if *v == "" {
			*v = def
		}
	}
	env(&o.Address, "TEMPORAL_ADDRESS", "127.0.0.1:7233")
	env(&o.Namespace, "TEMPORAL_NAMESPACE", "default")
	env(&o.APIKey, "TEMPORAL_API_KEY", "")
	env(&o.TLSCertFile, "TEMPORAL_TLS_CLIENT_CERT_PATH", "")
	env(&o.TLSKeyFile, "TEMPORAL_TLS_CLIENT_KEY_PATH", "")
	env(&o.TLSCAFile, "TEMPORAL_TLS_SERVER_CA_CERT_PATH", "")
	env(&o.TLSServerName, "TEMPORAL_TLS_SERVER_NAME", "")
	if !o.TLS {
		o.TLS, _ = strconv.ParseBool(os.Getenv("TEMPORAL_TLS"))
	}
	return o
}

// TLSConfig builds the client TLS configuration, or nil for plain text.
func (o ClientOptions) TLSConfig() (*tls.Config, error) {
	if !o.TLS && o.APIKey == "" && o.TLSCertFile == "" && o.TLSCAFile == "" {
		return nil, nil
	}
	conf := &tls.Config{ServerName: o.TLSServerName, MinVersion: tls.VersionTLS12}
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		return nil, errors.New("temporal TLS: give both a client certificate and its key (--tls-cert and --tls-key)")
	}
	if o.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSCertFile, o.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("temporal TLS client certificate: %w", err)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	if o.TLSCAFile != "" {
		pem, err := os.ReadFile(o.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("temporal TLS CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("temporal TLS CA: no certificate in %s", o.TLSCAFile)
		}
		conf.RootCAs = pool
	}
	return conf, nil
}

// Dial connects to the cluster and checks it answers, naming the address
// in the error when it does not.
func Dial(o ClientOptions) (client.Client, error) {
	o = o.FromEnv()
	tlsConf, err := o.TLSConfig()
	if err != nil {
		return nil, err
	}
	opts := client.Options{HostPort: o.Address, Namespace: o.Namespace, ConnectionOptions: client.ConnectionOptions{TLS: tlsConf},
		MetricsHandler: o.MetricsHandler}
	if o.APIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(o.APIKey)
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts.Logger = sdklog.NewStructuredLogger(logger)
	c, err := client.Dial(opts)
	if err != nil {
		return nil, fmt.Errorf("cannot reach Temporal at %s (namespace %s): %w (start one with 'phonecheck up', or set --temporal-address / TEMPORAL_ADDRESS)", o.Address, o.Namespace, err)
	}
	return c, nil
}
