// Package devserver runs the embedded single-process Temporal server that
// `phonecheck up` uses. It is apart from temporalx, which only dials, so
// that what dials a cluster (the Terraform provider, the short commands)
// does not link the server and pay its start-up.
package devserver

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"

	"github.com/phonecheck/phonecheck/internal/freeport"
	"github.com/phonecheck/phonecheck/temporalx"
)

// Options configure the embedded server.
type Options struct {
	// DatabaseFile is the SQLite file that holds every workflow; it is
	// created with the schema on first start and reused afterwards.
	DatabaseFile string
	// FrontendAddress is host:port of the gRPC frontend (default 127.0.0.1:7233).
	FrontendAddress string
	// Namespace is registered on start (default "default").
	Namespace string
	// SearchAttributes are registered with the namespace on first start.
	SearchAttributes map[string]enumspb.IndexedValueType
	// LogLevel of the server's own log, on stderr (default "error").
	LogLevel string
}

// Server is a running embedded Temporal server.
type Server struct {
	server  temporal.Server
	address string
}

const clusterName = "active"

// Start starts all four Temporal services in this process on an
// SQLite file. It returns once the frontend accepts connections.
func Start(opt Options) (*Server, error) {
	if opt.DatabaseFile == "" {
		return nil, errors.New("devserver: no database file")
	}
	temporalx.BuildID() // the server's own workers then read no MD5 of the executable
	if opt.FrontendAddress == "" {
		opt.FrontendAddress = "127.0.0.1:7233"
	}
	if opt.Namespace == "" {
		opt.Namespace = "default"
	}
	if opt.LogLevel == "" {
		opt.LogLevel = "error"
	}
	host, portText, err := net.SplitHostPort(opt.FrontendAddress)
	if err != nil {
		return nil, fmt.Errorf("devserver: frontend address %q: %w", opt.FrontendAddress, err)
	}
	frontendPort, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("devserver: frontend port %q: %w", portText, err)
	}
	if err := checkFree(opt.FrontendAddress); err != nil {
		return nil, err
	}

	sqlConf := &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: opt.DatabaseFile,
		// The plugin passes every attribute but a few URI parameters on as
		// "PRAGMA key=value" (unknown pragmas are silently ignored, so the
		// names must be exact). WAL with synchronous=normal commits without
		// an fsync each (a commit survives a killed process, the last ones
		// may not survive a power cut); without it every transaction of the
		// one shared connection waited for the disk.
		ConnectAttributes: map[string]string{"mode": "rwc", "journal_mode": "wal", "synchronous": "normal",
			"busy_timeout": "10000", "cache_size": "-65536", "temp_store": "memory"},
	}
	if err := os.MkdirAll(filepath.Dir(opt.DatabaseFile), 0o755); err != nil {
		return nil, fmt.Errorf("devserver: %w", err)
	}
	if _, err := os.Stat(opt.DatabaseFile); errors.Is(err, os.ErrNotExist) {
		if err := sqliteschema.SetupSchema(sqlConf); err != nil {
			os.Remove(opt.DatabaseFile)
			return nil, fmt.Errorf("devserver: setting up the schema in %s: %w", opt.DatabaseFile, err)
		}
	}
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, opt.Namespace, false, opt.SearchAttributes)
	if err != nil {
		return nil, fmt.Errorf("devserver: %w", err)
	}
	if err := sqliteschema.CreateNamespaces(sqlConf, ns); err != nil {
		return nil, fmt.Errorf("devserver: registering namespace %q: %w", opt.Namespace, err)
	}

	// The other three services listen on free loopback ports; static hosts
	// replace ringpop membership, which a single process does not need.
	services := map[string]config.Service{}
	hosts := map[primitives.ServiceName]static.Hosts{}
	for _, name := range []primitives.ServiceName{primitives.FrontendService, primitives.HistoryService, primitives.MatchingService, primitives.WorkerService} {
		var svc config.Service
		if name == primitives.FrontendService {
			svc.RPC.GRPCPort = frontendPort
			svc.RPC.BindOnIP = host
		} else {
			port, err := freePort()
			if err != nil {
				return nil, err
			}
			svc.RPC.GRPCPort = port
			svc.RPC.BindOnLocalHost = true
		}
		services[string(name)] = svc
		addr := net.JoinHostPort(bindHost(svc), strconv.Itoa(svc.RPC.GRPCPort))
		hosts[name] = static.Hosts{All: []string{addr}, Self: addr}
	}

	conf := &config.Config{
		Persistence: config.Persistence{
			DefaultStore:     "sqlite",
			VisibilityStore:  "sqlite",
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{"sqlite": {SQL: sqlConf}},
		},
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        clusterName,
			CurrentClusterName:       clusterName,
			ClusterInformation: map[string]cluster.ClusterInformation{clusterName: {
				Enabled:                true,
				InitialFailoverVersion: 1,
				RPCAddress:             opt.FrontendAddress,
				ClusterID:              "phonecheck-embedded",
			}},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services:            services,
		PublicClient:        config.PublicClient{HostPort: opt.FrontendAddress},
	}
	// The services' start is bounded by twice this (15 s otherwise): on a
	// loaded host the worker service took longer, and the whole server
	// failed to start. The hosts are static, so no ring is joined.
	conf.Global.Membership.MaxJoinDuration = time.Minute
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"

	logger := log.NewZapLogger(log.BuildZapLogger(log.Config{Level: opt.LogLevel, Format: "json"}))
	server, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
		temporal.WithDynamicConfigClient(dynamicconfig.StaticClient{
			// Search attributes registered above are visible at once.
			dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): true,
			// One partition per task queue: with several, a task can land
			// on a partition no poller waits on and sit until forwarded,
			// which costs hundreds of ms per activity on a single host.
			dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():  1,
			dynamicconfig.MatchingNumTaskqueueWritePartitions.Key(): 1,
			// The shard's queues are polled at most this often (default 20
			// per second): each task dispatch waits up to 50 ms for its
			// turn, which is most of an activity's cost on one host.
			dynamicconfig.TransferProcessorMaxPollRPS.Key():   1000,
			dynamicconfig.TimerProcessorMaxPollRPS.Key():      1000,
			dynamicconfig.VisibilityProcessorMaxPollRPS.Key(): 1000,
			// An activity on the workflow's own task queue (the billed
			// upload) goes back to the worker in the workflow task's
			// answer, not through matching.
			dynamicconfig.EnableActivityEagerExecution.Key(): true,
			// A timer fires no earlier than this past its creation (1 s by
			// default, for clocks that differ between hosts a shard moves
			// across): a 250 ms poll wait took a second. One process has
			// one clock.
			dynamicconfig.TimerProcessorMaxTimeShift.Key(): 20 * time.Millisecond,
			// A closed run asked to be deleted (`temporal workflow delete`)
			// goes only once the transfer queue's ack level, saved this
			// often (30 s by default), has passed the run's close; until
			// then the deletion is retried. One shard's ack level is one
			// small write.
			dynamicconfig.TransferProcessorUpdateAckInterval.Key(): time.Second,
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("devserver: %w", err)
	}
	if err := server.Start(); err != nil {
		return nil, fmt.Errorf("devserver: starting the server: %w", err)
	}
	return &Server{server: server, address: opt.FrontendAddress}, nil
}

// Address is the frontend's host:port.
func (s *Server) Address() string { return s.address }

// Stop stops every service; the SQLite file keeps all state for the next start.
func (s *Server) Stop() error { return s.server.Stop() }

func bindHost(svc config.Service) string {
	if svc.RPC.BindOnIP != "" {
		return svc.RPC.BindOnIP
	}
	return "127.0.0.1"
}

// freePort is a port for a service that binds it later, below the range
// outbound connections take theirs from, so that none takes it meanwhile.
func freePort() (int, error) {
	p, err := freeport.Port()
	if err != nil {
		return 0, fmt.Errorf("devserver: %w", err)
	}
	return p, nil
}

// checkFree fails early, with the address, when something already listens there.
func checkFree(addr string) error {
	return checkFreeFor(addr, "", "is another Temporal server or phonecheck up running? use --temporal-listen")
}

// checkFreeFor is checkFree for what (a name in the message, "" for the
// Temporal frontend), with a hint of what to do.
func checkFreeFor(addr, what, hint string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		if what != "" {
			return fmt.Errorf("devserver: cannot listen on %s for %s (%s): %w", addr, what, hint, err)
		}
		return fmt.Errorf("devserver: cannot listen on %s (%s): %w", addr, hint, err)
	}
	l.Close()
	time.Sleep(10 * time.Millisecond)
	return nil
}
