package main

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/danielgtaylor/huma/v2"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"golang.org/x/sync/errgroup"

	"github.com/fnchain/orchestrator/activities"
	"github.com/fnchain/orchestrator/api"
	"github.com/fnchain/orchestrator/bindings"
	"github.com/fnchain/orchestrator/dsl"
	"github.com/fnchain/orchestrator/internal/catalog"
	"github.com/fnchain/orchestrator/internal/config"
	"github.com/fnchain/orchestrator/internal/connect"
	"github.com/fnchain/orchestrator/internal/process"
	"github.com/fnchain/orchestrator/internal/sqldb"
	"github.com/fnchain/orchestrator/internal/tracing"
	"github.com/fnchain/orchestrator/metering"
	"github.com/fnchain/orchestrator/workflows"
)

// role is what a process runs; dev runs both.
type role int

const (
	roleAPI    role = 1 << iota // the HTTP API and triggers (serve)
	roleWorker                  // workers (worker)
)

// stack is what the parts of one process share. Parts fill it in setup;
// runStack then runs the API, the worker and every runner until ctx ends.
type stack struct {
	cfg    *config.Config
	roles  role
	logger *slog.Logger
	client client.Client
	// tracing is off unless the OTEL_* variables turn it on.
	tracing *tracing.Tracing
	db      *sqldb.DB
	// connections is the decoded `connections:` section of the config.
	connections bindings.Connections
	// functions are the built-in and binding functions of this process;
	// workflow files are validated against them.
	functions *activities.Registry
	// catalog holds the deployed workflow definitions.
	catalog *catalog.Catalog

	// Set when the process serves the API.
	api huma.API
	mux *http.ServeMux

	// checks are run by /readyz.
	checks []api.Check
	// registrars fill the worker; workerOptions configure it.
	registrars    []process.Registrar
	workerOptions worker.Options
	// runners are long-lived loops (trigger reconcilers, controllers); an
	// error from one stops the process.
	runners []func(ctx context.Context) error
	// closers run in reverse order after everything stopped.
	closers []func() error
}

// part is one component of the product, wired in its own part_*.go file
// with an init() that appends to parts: runStack never names components.
type part struct {
	name  string
	roles role // the roles it applies to
	setup func(ctx context.Context, s *stack) error
}

var parts []part

// runStack is the one code path of dev, serve and worker: connect to
// Temporal and the database, set every part up, then run the API, the worker
// and the runners until ctx ends.
func runStack(ctx context.Context, cfg *config.Config, logger *slog.Logger, roles role, apiListener net.Listener) (err error) {
	if cfg.Database == "" {
		return fmt.Errorf("no database: give --database postgres://... (a cluster) or sqlite:///path/fnchain.db (one machine)")
	}
	s := &stack{cfg: cfg, roles: roles, logger: logger}
	defer func() {
		for i := len(s.closers) - 1; i >= 0; i-- {
			if cerr := s.closers[i](); cerr != nil {
				logger.Error("closing", "error", cerr)
			}
		}
	}()
	// Before the client: its interceptor carries spans into the runs it
	// starts. The first closer, so it runs last and flushes every span.
	if s.tracing, err = tracing.Setup(ctx); err != nil {
		return fmt.Errorf("setting up tracing: %w", err)
	}
	s.closers = append(s.closers, func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return s.tracing.Shutdown(sctx)
	})
	if s.client, err = connect.Dial(ctx, cfg.Temporal, logger, s.tracing.ClientInterceptors()...); err != nil {
		return err
	}
	s.closers = append(s.closers, func() error { s.client.Close(); return nil })
	if err := connect.EnsureSearchAttributes(ctx, s.client, cfg.Temporal.Namespace, searchAttributes()); err != nil {
		return err
	}
	if s.db, err = sqldb.Open(ctx, cfg.Database); err != nil {
		return err
	}
	s.closers = append(s.closers, s.db.Close)
	s.checks = append(s.checks, api.Check{Name: "temporal", Check: temporalCheck(s.client)}, api.Check{Name: "database", Check: s.db.PingContext})
	if err := s.setupFunctions(ctx); err != nil {
		return err
	}
	if s.catalog, err = catalog.New(ctx, s.db, s.functions); err != nil {
		return err
	}
	if roles&roleWorker != 0 {
		interpreter := workflows.New(workflows.Options{Resolve: s.resolve})
		s.registrars = append(s.registrars,
			func(w worker.Registry) { interpreter.Register(w) },
			func(w worker.Registry) { s.functions.Register(w) },
		)
	}
	if roles&roleAPI != 0 {
		s.mux, s.api = api.New(api.Options{Version: version, Checks: func() []api.Check { return s.checks }})
	}
	for _, p := range parts {
		if p.roles&roles == 0 {
			continue
		}
		if err := p.setup(ctx, s); err != nil {
			return fmt.Errorf("setting up %s: %w", p.name, err)
		}
	}

	g, gctx := errgroup.WithContext(ctx)
	if roles&roleWorker != 0 {
		g.Go(func() error {
			return process.RunWorker(gctx, s.client, cfg.Worker, s.workerOptions, logger, s.registrars...)
		})
	}
	if apiListener != nil {
		g.Go(func() error { return api.Serve(gctx, apiListener, s.tracing.Handler(s.mux), 10*time.Second) })
		logger.Info("api listening", "address", apiListener.Addr().String())
	}
	for _, run := range s.runners {
		g.Go(func() error { return run(gctx) })
	}
	err = g.Wait()
	logger.Info("stopped")
	return err
}

// setupFunctions opens the configured connections and builds the registry
// of built-in and binding functions over them.
func (s *stack) setupFunctions(ctx context.Context) error {
	var err error
	if s.connections, err = connections(s.cfg); err != nil {
		return err
	}
	pool, err := bindings.Open(ctx, s.connections)
	if err != nil {
		return err
	}
	s.closers = append(s.closers, pool.Close)
	if s.functions, err = bindings.NewRegistry(pool); err != nil {
		return err
	}
	if len(s.connections) > 0 {
		s.checks = append(s.checks, api.Check{Name: "connections", Check: pool.Check})
	}
	return nil
}

// plan returns the current definition of a deployed workflow.
func (s *stack) plan(ctx context.Context, name string) (*dsl.Workflow, error) {
	d, err := s.catalog.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	return d.Plan, nil
}

// resolve gives `workflow:` steps the current definition of a child
// workflow. The interpreter calls it in a local activity, so the plan a run
// got is in its history and replays never ask again.
func (s *stack) resolve(name string) (*dsl.Workflow, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.plan(ctx, name)
}

// searchAttributes are the custom search attributes fnchain sets on runs:
// the interpreter's and the billed time metering upserts.
func searchAttributes() map[string]enumspb.IndexedValueType {
	out := workflows.SearchAttributes()
	maps.Copy(out, metering.SearchAttributes())
	return out
}

func temporalCheck(c client.Client) func(context.Context) error {
	return func(ctx context.Context) error {
		if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
			return fmt.Errorf("temporal does not answer: %w", err)
		}
		return nil
	}
}

func listenAPI(cfg config.API) (net.Listener, error) { return api.Listen(cfg.Listen) }

// signalContext ends on SIGINT or SIGTERM; a second signal kills at once.
func signalContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-ch
		cancel()
		<-ch
		fmt.Fprintln(os.Stderr, "orchestrator: second signal, exiting now")
		os.Exit(130)
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}

func newLogger(cfg config.Log) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Level)); err != nil {
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", cfg.Level)
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch strings.ToLower(cfg.Format) {
	case "text", "":
		h = slog.NewTextHandler(os.Stderr, opts)
	case "json":
		h = slog.NewJSONHandler(os.Stderr, opts)
	default:
		return nil, fmt.Errorf("log format %q: use text or json", cfg.Format)
	}
	logger := slog.New(h)
	slog.SetDefault(logger)
	return logger, nil
}
