package main

import (
	"flag"

	"github.com/fnchain/orchestrator/internal/config"
)

func runServe(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg, logger, err := configure(fs, config.GroupTemporal|config.GroupAPI|config.GroupLog|config.GroupWorkflows|config.GroupDatabase, args)
	if err != nil {
		return err
	}
	l, err := listenAPI(cfg.API)
	if err != nil {
		return err
	}
	defer l.Close()
	ctx, stop := signalContext()
	defer stop()
	return runStack(ctx, cfg, logger, roleAPI, l)
}

func runWorker(args []string) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	cfg, logger, err := configure(fs, config.GroupTemporal|config.GroupWorker|config.GroupLog|config.GroupDatabase, args)
	if err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	return runStack(ctx, cfg, logger, roleWorker, nil)
}
