package main

import (
	"flag"
	"fmt"
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

	// Bind the API first: a port in use should fail before the server starts.
	apiListener, err := listenAPI(cfg.API)
	if err != nil {
		return err
	}
	defer apiListener.Close()

	uiPort := cfg.Dev.UIPort
	if cfg.Dev.Headless {
		uiPort = -1
	}
	srv, err := devserver.Start(devserver.Options{
		DataDir:      cfg.Dev.DataDir,
		Memory:       cfg.Dev.Memory,
		IP:           cfg.Dev.IP,
		FrontendPort: cfg.Dev.TemporalPort,
		UIPort:       uiPort,
		Namespace:    cfg.Temporal.Namespace,
		LogLevel:     cfg.Dev.ServerLog,
		Logger:       logger,
	})
	if err != nil {
		return err
	}
	defer func() {
		if err := srv.Stop(); err != nil {
			logger.Error("stopping the temporal server", "error", err)
		}
		logger.Info("temporal server stopped")
	}()

	cfg.Temporal.Address = srv.FrontendAddress()
	if cfg.Database == "" {
		cfg.Database = "sqlite://" + filepath.Join(cfg.Dev.DataDir, "fnchain.db")
		if cfg.Dev.Memory {
			cfg.Database = "sqlite::memory:"
		}
	}
	store := cfg.Dev.DataDir
	if cfg.Dev.Memory {
		store = "memory (nothing is kept)"
	}
	fmt.Fprintf(os.Stderr, "fnchain dev %s\n  Temporal  %s  (namespace %s, data %s)\n  UI        %s\n  API       http://%s  (docs /docs, spec /openapi.json)\n",
		version, srv.FrontendAddress(), cfg.Temporal.Namespace, store, orNone(srv.UIAddress()), apiListener.Addr())
	return runStack(ctx, cfg, logger, roleAPI|roleWorker, apiListener)
}

func orNone(s string) string {
	if s == "" {
		return "off (--headless)"
	}
	return s
}
