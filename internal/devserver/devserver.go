// Package devserver embeds a single-node Temporal server (SQLite persistence)
// and Temporal UI in the orchestrator process, for `orchestrator dev`.
//
// It is the only package that links go.temporal.io/server: importing it costs
// a multi-minute build, so only cmd/orchestrator and tests/ may depend on it.
package devserver

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/metrics"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

// Options configure the embedded server. Zero values select the defaults of
// `orchestrator dev`.
type Options struct {
	// DataDir holds the SQLite database and the server log. Ignored with Memory.
	DataDir string
	// Memory keeps all state in memory: nothing survives the process.
	Memory bool
	// Postgres, a postgres:// URL, keeps the server's state in that database
	// and in one named after it with the suffix _visibility, both created
	// and upgraded at start, instead of SQLite. DataDir then holds only the
	// server log.
	Postgres string
	// IP is the address every listener binds to (default 127.0.0.1).
	IP string
	// FrontendPort is the Temporal gRPC frontend port (default 7233).
	FrontendPort int
	// UIPort is Temporal UI's HTTP port (default 8233); negative disables the UI.
	UIPort int
	// Namespace is created on first start (default "default").
	Namespace string
	// LogLevel of the server's own log (default "warn").
	LogLevel string
	// Logger receives the orchestrator's own messages about the server.
	Logger *slog.Logger
}

// Server is a running embedded Temporal server and UI.
type Server struct {
	opts     Options
	temporal temporal.Server
	ui       *uiserver.Server
	uiDone   chan struct{}
}

// ServerVersion is the version of the embedded Temporal server, recorded in the
// data directory so that a newer or older build refuses files it cannot read.
const ServerVersion = "1.32.1"

// dataFormat versions our own layout of the data directory.
const dataFormat = 1

func (o *Options) applyDefaults() {
	if o.IP == "" {
		o.IP = "127.0.0.1"
	}
	if o.FrontendPort == 0 {
		o.FrontendPort = 7233
	}
	if o.UIPort == 0 {
		o.UIPort = 8233
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if o.LogLevel == "" {
		o.LogLevel = "warn"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Start prepares the data directory, creates the schema and namespace when the
// database is new, and starts the Temporal services and the UI. On error
// nothing is left running.
func Start(opts Options) (*Server, error) {
	opts.applyDefaults()
	if err := checkPort(opts.IP, opts.FrontendPort, "the Temporal frontend", "--temporal-port"); err != nil {
		return nil, err
	}
	if opts.UIPort > 0 {
		if err := checkPort(opts.IP, opts.UIPort, "Temporal UI", "--ui-port"); err != nil {
			return nil, err
		}
	}

	persistence, err := preparePersistence(opts)
	if err != nil {
		return nil, err
	}
	// The helper is SQLite's, but it writes through the configured plugin,
	// so it serves Postgres too.
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, opts.Namespace, false, nil)
	if err != nil {
		return nil, fmt.Errorf("configuring namespace %q: %w", opts.Namespace, err)
	}
	if err := sqliteschema.CreateNamespaces(persistence.DataStores[persistence.DefaultStore].SQL, ns); err != nil {
		return nil, fmt.Errorf("creating namespace %q: %w", opts.Namespace, err)
	}

	cfg, hosts, err := serverConfig(opts, persistence)
	if err != nil {
		return nil, err
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		// Static hosts replace ringpop membership: one process needs no
		// gossip, and after a crash ringpop would spend half a minute trying
		// to join the dead process's addresses before serving again.
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(serverLogger(opts)),
		temporal.WithDynamicConfigClient(dynamicConfig()),
		temporal.WithCustomMetricsHandler(metrics.NoopMetricsHandler),
	)
	if err != nil {
		return nil, fmt.Errorf("creating temporal server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("starting temporal server: %w", err)
	}
	s := &Server{opts: opts, temporal: srv}
	if opts.UIPort > 0 {
		s.startUI()
	}
	return s, nil
}

// FrontendAddress is the host:port SDK clients dial.
func (s *Server) FrontendAddress() string {
	return net.JoinHostPort(s.opts.IP, strconv.Itoa(s.opts.FrontendPort))
}

// UIAddress is Temporal UI's base URL, or "" when the UI is disabled.
func (s *Server) UIAddress() string {
	if s.ui == nil {
		return ""
	}
	return "http://" + net.JoinHostPort(s.opts.IP, strconv.Itoa(s.opts.UIPort))
}

// Stop stops the UI, then the Temporal services. SQLite commits every
// transaction before the server acknowledges it, so the database is
// consistent whenever Stop returns, and also if it is never called.
func (s *Server) Stop() error {
	if s.ui != nil {
		s.ui.Stop()
		<-s.uiDone
	}
	return s.temporal.Stop()
}

const clusterName = "active"

func (s *Server) startUI() {
	cfg := &uiconfig.Config{
		Host:                s.opts.IP,
		Port:                s.opts.UIPort,
		TemporalGRPCAddress: s.FrontendAddress(),
		EnableUI:            true,
		DefaultNamespace:    s.opts.Namespace,
		HideLogs:            true,
		DisableNewsFetch:    true,
		CORS:                uiconfig.CORS{CookieInsecure: true},
	}
	s.ui = uiserver.NewServer(uioptions.WithConfigProvider(staticUIConfig{cfg}))
	s.uiDone = make(chan struct{})
	go func() {
		defer close(s.uiDone)
		if err := s.ui.Start(); err != nil {
			s.opts.Logger.Error("temporal ui stopped", "error", err)
		}
	}()
}

type staticUIConfig struct{ cfg *uiconfig.Config }

func (c staticUIConfig) GetConfig() (*uiconfig.Config, error) { return c.cfg, nil }

// checkPort turns the server's late, verbose bind failure into one line that
// says which port and how to change it.
func checkPort(ip string, port int, what, flag string) error {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("port %d for %s is in use on %s: stop the process holding it or choose another with %s", port, what, ip, flag)
	}
	return l.Close()
}

// freePort asks the kernel for an unused port for the internal services
// (history, matching, worker and membership), which users never dial.
func freePort(ip string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// preparePersistence readies the SQLite file or the Postgres databases.
func preparePersistence(opts Options) (config.Persistence, error) {
	if opts.Postgres == "" {
		sqlCfg, shards, err := prepareStore(opts)
		if err != nil {
			return config.Persistence{}, err
		}
		return config.Persistence{
			DefaultStore:     sqliteplugin.PluginName,
			VisibilityStore:  sqliteplugin.PluginName,
			NumHistoryShards: shards,
			DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: sqlCfg}},
		}, nil
	}
	if opts.Memory {
		return config.Persistence{}, errors.New("--memory keeps nothing and --temporal-db keeps everything in Postgres: give one of them")
	}
	if err := checkWritable(opts.DataDir); err != nil {
		return config.Persistence{}, err
	}
	store, visibility, err := preparePostgres(opts.Postgres, serverLogger(opts))
	if err != nil {
		return config.Persistence{}, err
	}
	return config.Persistence{
		DefaultStore:     "temporal",
		VisibilityStore:  "visibility",
		NumHistoryShards: postgresShards,
		DataStores:       map[string]config.DataStore{"temporal": {SQL: store}, "visibility": {SQL: visibility}},
	}, nil
}

func serverConfig(opts Options, persistence config.Persistence) (*config.Config, map[primitives.ServiceName]static.Hosts, error) {
	services := map[string]config.Service{}
	hosts := map[primitives.ServiceName]static.Hosts{}
	for _, name := range temporal.DefaultServices {
		rpc := config.RPC{BindOnIP: opts.IP}
		var err error
		if rpc.MembershipPort, err = freePort(opts.IP); err != nil {
			return nil, nil, err
		}
		if name == "frontend" {
			rpc.GRPCPort = opts.FrontendPort
		} else if rpc.GRPCPort, err = freePort(opts.IP); err != nil {
			return nil, nil, err
		}
		services[name] = config.Service{RPC: rpc}
		hosts[primitives.ServiceName(name)] = static.SingleLocalHost(net.JoinHostPort(opts.IP, strconv.Itoa(rpc.GRPCPort)))
	}
	frontend := net.JoinHostPort(opts.IP, strconv.Itoa(opts.FrontendPort))
	return &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: opts.IP},
		},
		Persistence: persistence,
		ClusterMetadata: &cluster.Config{
			FailoverVersionIncrement: 10,
			MasterClusterName:        clusterName,
			CurrentClusterName:       clusterName,
			ClusterInformation: map[string]cluster.ClusterInformation{
				clusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontend},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services:            services,
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{
			Archival: config.ArchivalNamespaceDefaults{
				History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
				Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
			},
		},
		PublicClient: config.PublicClient{HostPort: frontend},
	}, hosts, nil
}

// dynamicConfig tunes the server for one process on one machine: a single
// task-queue partition lets every poll match its task synchronously instead of
// waiting on a partition no poller watches, search attributes registered at
// start are usable at once, and task-queue statistics are at most a second
// old, so the pool controller sees a backlog as it forms.
func dynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		dynamicconfig.MatchingNumTaskqueueReadPartitions.Key():                 1,
		dynamicconfig.MatchingNumTaskqueueWritePartitions.Key():                1,
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key():            true,
		dynamicconfig.FrontendEnableUpdateWorkflowExecution.Key():              true,
		dynamicconfig.FrontendEnableUpdateWorkflowExecutionAsyncAccepted.Key(): true,
		dynamicconfig.TaskQueueInfoByBuildIdTTL.Key():                          time.Second,
	}
}

func serverLogger(opts Options) log.Logger {
	cfg := log.Config{Level: opts.LogLevel, Format: "json"}
	if !opts.Memory {
		cfg.OutputFile = filepath.Join(opts.DataDir, "temporal.log")
	}
	return log.NewZapLogger(log.BuildZapLogger(cfg))
}

// errIncompatible marks a data directory this build cannot open.
var errIncompatible = errors.New("incompatible data directory")

// prepareStore returns the SQLite configuration and history shard count.
// On disk it checks that the directory is writable and was written by a
// compatible build, and creates the schema the first time.
func prepareStore(opts Options) (*config.SQL, int32, error) {
	cfg := &config.SQL{
		PluginName:        sqliteplugin.PluginName,
		ConnectAttributes: sqlitePragmas(),
		// WAL lets readers (visibility, polls) run beside the single writer.
		MaxConns:     4,
		MaxIdleConns: 4,
	}
	if opts.Memory {
		cfg.DatabaseName = "fnchain-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		cfg.ConnectAttributes["mode"] = "memory"
		cfg.ConnectAttributes["cache"] = "shared"
		// WAL needs a file; an in-memory database keeps its own journal.
		delete(cfg.ConnectAttributes, "journal_mode")
		cfg.MaxConns, cfg.MaxIdleConns = 1, 1
		return cfg, sqliteShards, nil
	}
	if err := checkWritable(opts.DataDir); err != nil {
		return nil, 0, err
	}
	cfg.DatabaseName = filepath.Join(opts.DataDir, "temporal.db")
	cfg.ConnectAttributes["mode"] = "rwc"
	marker := filepath.Join(opts.DataDir, markerName)
	_, statErr := os.Stat(cfg.DatabaseName)
	switch {
	case statErr == nil:
		shards, err := checkCompatible(opts.DataDir, cfg.DatabaseName)
		return cfg, shards, err
	case errors.Is(statErr, os.ErrNotExist):
		if err := sqliteschema.SetupSchema(cfg); err != nil {
			_ = os.Remove(cfg.DatabaseName)
			return nil, 0, fmt.Errorf("creating the temporal schema in %s: %w", cfg.DatabaseName, err)
		}
		if err := writeMarker(marker, sqliteShards); err != nil {
			return nil, 0, err
		}
		return cfg, sqliteShards, nil
	default:
		return nil, 0, fmt.Errorf("reading data directory %s: %w", opts.DataDir, statErr)
	}
}

// sqliteShards is the history shard count of new SQLite stores. Writes are
// serialized by SQLite either way, but work queued per shard is not: with
// four shards a one-activity run's p50 drops from ~50 ms to ~30 ms on a
// file and ~20 ms in memory (docs/benchmarks.md).
const sqliteShards = 4

// sqlitePragmas: WAL with synchronous=NORMAL keeps every committed
// transaction across a process crash (only an OS crash may lose the last
// ones), at a fraction of FULL's fsync cost; busy_timeout makes concurrent
// writers wait instead of failing with SQLITE_BUSY.
func sqlitePragmas() map[string]string {
	return map[string]string{
		"journal_mode": "wal",
		"synchronous":  "normal",
		"busy_timeout": "10000",
		"cache_size":   "-65536",
		"temp_store":   "memory",
	}
}

func checkWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("data directory %s cannot be created: %v: choose another with --data-dir", dir, rootCause(err))
	}
	probe, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("data directory %s is not writable: %v: fix its permissions or choose another with --data-dir", dir, rootCause(err))
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// rootCause drops the *PathError wrapper whose path the caller already names.
func rootCause(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
