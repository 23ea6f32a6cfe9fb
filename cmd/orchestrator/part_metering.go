package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.temporal.io/sdk/worker"

	"github.com/fnchain/orchestrator/metering"
)

// The metering part meters every activity attempt into the ledger (worker
// role), answers GET /v1/usage and /metrics and reconciles readings from
// closed runs' histories (API role). It installs the process's
// OpenTelemetry meter provider, which later parts record into.
func init() {
	parts = append(parts, part{name: "metering", roles: roleAPI | roleWorker, setup: setupMetering})
}

// meteringLedger is set once metering is set up; runUsage reads it.
var meteringLedger atomic.Pointer[metering.Ledger]

// runUsage is a run's metered usage and cost, for the API's run views.
func runUsage(ctx context.Context, workflowID, runID string) (metering.Usage, error) {
	l := meteringLedger.Load()
	if l == nil {
		return metering.Usage{}, errors.New("metering is not set up in this process")
	}
	return l.RunUsage(ctx, workflowID, runID)
}

func setupMetering(ctx context.Context, s *stack) error {
	// The `metering` section of orchestrator.yaml; FNCHAIN_METERING may hold YAML
	// for the same section that overrides it, for containers without a file.
	cfg, err := metering.LoadConfig(&s.cfg.Metering, os.Getenv("FNCHAIN_METERING"))
	if err != nil {
		return err
	}
	metrics, err := metering.NewMetrics()
	if err != nil {
		return err
	}
	otel.SetMeterProvider(metrics.Provider())
	s.closers = append(s.closers, func() error { return metrics.Shutdown(context.Background()) })
	ledger, err := metering.NewLedger(ctx, s.db, cfg.Prices)
	if err != nil {
		return err
	}
	s.closers = append(s.closers, ledger.Close)
	meteringLedger.Store(ledger)

	if s.roles&roleWorker != 0 {
		writer := metering.NewWriter(ledger, s.logger)
		s.closers = append(s.closers, writer.Close)
		s.workerOptions.Interceptors = append(s.workerOptions.Interceptors, metering.NewInterceptor(cfg, writer, metrics, s.logger))
		s.registrars = append(s.registrars, func(w worker.Registry) { metering.RegisterActivities(w, ledger) })
	}
	if s.roles&roleAPI != 0 {
		metering.RegisterAPI(s.api, ledger)
		s.mux.Handle("GET /metrics", metrics.Handler())
		rec := metering.NewReconciler(s.client, s.cfg.Temporal.Namespace, ledger, cfg, s.logger)
		s.runners = append(s.runners, rec.Run)
	} else if cfg.MetricsListen != "" {
		s.runners = append(s.runners, func(ctx context.Context) error { return serveMetrics(ctx, cfg.MetricsListen, metrics.Handler()) })
	}
	return nil
}

// serveMetrics serves /metrics alone, for worker processes without an API.
func serveMetrics(ctx context.Context, addr string, h http.Handler) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving metrics on %s: %w", addr, err)
	}
	return nil
}
