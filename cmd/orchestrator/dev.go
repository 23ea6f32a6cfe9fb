package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/fnchain/orchestrator/internal/config"
	"github.com/fnchain/orchestrator/internal/devserver"
)

const temporalServerVersion = devserver.ServerVersion

func runDev(args []string) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	cfg, logger, err := configure(fs, config.GroupDev|config.GroupAPI|config.GroupWorker|config.GroupLog|config.GroupWorkflows|config.GroupDatabase, args)
	if err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()

	if cfg.Dev.TemporalOnly {
		return runTemporalOnly(ctx, cfg, logger)
	}
	// Bind the API first: a port in use should fail before the server starts.
	apiListener, err := listenAPI(cfg.API)
	if err != nil {
		return err
	}
	defer apiListener.Close()

	srv, err := startServer(cfg, logger)
	if err != nil {
		return err
	}
	defer stopServer(srv, logger)

	cfg.Temporal.Address = srv.FrontendAddress()
	if cfg.Database == "" {
		cfg.Database = "sqlite://" + filepath.Join(cfg.Dev.DataDir, "fnchain.db")
		if cfg.Dev.Memory {
			cfg.Database = "sqlite::memory:"
		}
	}
	fmt.Fprintf(os.Stderr, "fnchain dev %s\n  Temporal  %s  (namespace %s, data %s)\n  UI        %s\n  API       http://%s  (docs /docs, spec /openapi.json)\n",
		version, srv.FrontendAddress(), cfg.Temporal.Namespace, storeName(cfg.Dev), orNone(srv.UIAddress()), apiListener.Addr())
	return runStack(ctx, cfg, logger, roleAPI|roleWorker, apiListener)
}

// runTemporalOnly serves only Temporal (and its UI) to the serve and worker
// processes of a cluster, which would compete with an API or worker here.
func runTemporalOnly(ctx context.Context, cfg *config.Config, logger *slog.Logger) error {
	srv, err := startServer(cfg, logger)
	if err != nil {
		return err
	}
	defer stopServer(srv, logger)
	fmt.Fprintf(os.Stderr, "fnchain dev %s (--temporal-only)\n  Temporal  %s  (namespace %s, data %s)\n  UI        %s\n",
		version, srv.FrontendAddress(), cfg.Temporal.Namespace, storeName(cfg.Dev), orNone(srv.UIAddress()))
	<-ctx.Done()
	return nil
}

func startServer(cfg *config.Config, logger *slog.Logger) (*devserver.Server, error) {
	uiPort := cfg.Dev.UIPort
	if cfg.Dev.Headless {
		uiPort = -1
	}
	return devserver.Start(devserver.Options{
		DataDir:      cfg.Dev.DataDir,
		Memory:       cfg.Dev.Memory,
		Postgres:     cfg.Dev.TemporalDB,
		IP:           cfg.Dev.IP,
		FrontendPort: cfg.Dev.TemporalPort,
		UIPort:       uiPort,
		Namespace:    cfg.Temporal.Namespace,
		LogLevel:     cfg.Dev.ServerLog,
		Logger:       logger,
	})
}

func stopServer(srv *devserver.Server, logger *slog.Logger) {
	if err := srv.Stop(); err != nil {
		logger.Error("stopping the temporal server", "error", err)
	}
	logger.Info("temporal server stopped")
}

func storeName(dev config.Dev) string {
	switch {
	case dev.Memory:
		return "memory (nothing is kept)"
	case dev.TemporalDB != "":
		return devserver.Redact(dev.TemporalDB)
	}
	return dev.DataDir
}

func orNone(s string) string {
	if s == "" {
		return "off (--headless)"
	}
	return s
}
