package main

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/fnchain/orchestrator/api"
)

// The API part serves workflows and runs over HTTP, behind API keys unless
// it is the embedded default on loopback or told --insecure.
func init() {
	parts = append(parts, part{name: "api", roles: roleAPI, setup: setupAPI})
}

func setupAPI(ctx context.Context, s *stack) error {
	keys, err := api.NewKeys(ctx, s.db)
	if err != nil {
		return err
	}
	b := &api.Backend{
		Catalog:   s.catalog,
		Registry:  s.functions,
		Temporal:  s.client,
		Namespace: s.cfg.Temporal.Namespace,
		TaskQueue: s.cfg.Worker.TaskQueue,
		UIURL:     s.cfg.API.UIURL,
		RateLimit: float64(s.cfg.API.RateLimit),
		Usage:     meteredUsage{},
	}
	dev := s.roles&roleWorker != 0
	if dev && b.UIURL == "" && !s.cfg.Dev.Headless {
		b.UIURL = "http://" + net.JoinHostPort(s.cfg.Dev.IP, strconv.Itoa(s.cfg.Dev.UIPort))
	}
	haveKeys, err := keys.Any(ctx)
	if err != nil {
		return err
	}
	switch {
	case s.cfg.API.Insecure:
		s.logger.Warn("the api answers without authentication (--insecure)")
	case haveKeys:
		b.Keys = keys
	case dev && loopback(s.cfg.API.Listen):
		s.logger.Info("no api keys: the api answers local requests without authentication")
	default:
		return fmt.Errorf("the api on %s would answer anyone: create a key with `orchestrator keys create --database <this database> --scope admin`, or pass --insecure to serve without authentication", s.cfg.API.Listen)
	}
	api.Register(s.api, b)
	return nil
}

func loopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// meteredUsage gives the API each run's usage from the metering ledger,
// which the metering part sets up after this one.
type meteredUsage struct{}

func (meteredUsage) RunUsage(ctx context.Context, workflowID, runID string) (any, error) {
	return runUsage(ctx, workflowID, runID)
}
