package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	"golang.org/x/sync/errgroup"

	"github.com/fnchain/orchestrator/api"
	"github.com/fnchain/orchestrator/internal/config"
	"github.com/fnchain/orchestrator/internal/connect"
	"github.com/fnchain/orchestrator/internal/process"
)

// stackOptions say which long-lived parts this process runs.
type stackOptions struct {
	api    net.Listener // nil: no API
	worker bool
}

// runStack is the one code path of dev, serve and worker: connect to
// Temporal, make sure the namespace knows fnchain's search attributes, then
// run the API and the worker until ctx ends.
func runStack(ctx context.Context, cfg *config.Config, logger *slog.Logger, opts stackOptions) error {
	c, err := connect.Dial(ctx, cfg.Temporal, logger)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := connect.EnsureSearchAttributes(ctx, c, cfg.Temporal.Namespace, searchAttributes()); err != nil {
		return err
	}

	g, gctx := errgroup.WithContext(ctx)
	if opts.worker {
		g.Go(func() error {
			return process.RunWorker(gctx, c, cfg.Worker, logger, registrars(cfg, logger)...)
		})
	}
	if opts.api != nil {
		handler, _ := api.New(api.Options{
			Version: version,
			Checks:  []api.Check{{Name: "temporal", Check: temporalCheck(c)}},
		})
		g.Go(func() error { return api.Serve(gctx, opts.api, handler, 10*time.Second) })
		logger.Info("api listening", "address", opts.api.Addr().String())
	}
	err = g.Wait()
	logger.Info("stopped")
	return err
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
