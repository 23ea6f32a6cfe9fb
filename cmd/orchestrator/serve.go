package main

import (
	"flag"

	"github.com/fnchain/orchestrator/internal/config"
)

func runServe(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	loader := config.Bind(fs, config.GroupTemporal|config.GroupAPI|config.GroupLog|config.GroupWorkflows|config.GroupDatabase)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loader.Load()
	if err != nil {
		return err
	}
	logger, err := newLogger(cfg.Log)
	if err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	l, err := listenAPI(cfg.API)
	if err != nil {
		return err
	}
	defer l.Close()
	return runStack(ctx, cfg, logger, roleAPI, l)
}

func runWorker(args []string) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	loader := config.Bind(fs, config.GroupTemporal|config.GroupWorker|config.GroupLog|config.GroupDatabase)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loader.Load()
	if err != nil {
		return err
	}
	logger, err := newLogger(cfg.Log)
	if err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	return runStack(ctx, cfg, logger, roleWorker, nil)
}
