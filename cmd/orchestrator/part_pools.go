package main

import (
	"context"
	"os"

	"go.opentelemetry.io/otel"

	"github.com/fnchain/orchestrator/internal/config"
	"github.com/fnchain/orchestrator/internal/pools"
	"github.com/fnchain/orchestrator/internal/process"
)

// The pools part sizes each task queue's activity slots from its backlog.
// Worker processes resize real slots; API processes compute the replicas
// to recommend and serve them (GET /v1/pools...) for HPA and KEDA.
func init() {
	parts = append(parts, part{name: "pools", roles: roleAPI | roleWorker, setup: setupPools})
}

func setupPools(ctx context.Context, s *stack) error {
	// The `pools` section of orchestrator.yaml; FNCHAIN_POOLS may hold YAML
	// for the same section that overrides it, for containers without a file.
	settings, err := pools.LoadSettings(&s.cfg.Pools, os.Getenv("FNCHAIN_POOLS"))
	if err != nil {
		return err
	}
	m, err := pools.New(settings, s.cfg.Worker.TaskQueue, pools.Options{
		Client:    s.client,
		Namespace: s.cfg.Temporal.Namespace,
		Logger:    s.logger,
		Meter:     otel.Meter("github.com/fnchain/orchestrator/internal/pools"),
		Local:     s.roles&roleWorker != 0,
	})
	if err != nil {
		return err
	}
	if s.roles&roleWorker != 0 {
		for _, q := range m.Queues() {
			if q == s.cfg.Worker.TaskQueue {
				if s.workerOptions, err = m.WorkerOptions(q, s.workerOptions); err != nil {
					return err
				}
				continue
			}
			// Other queues get their own worker, built when the runners
			// start so that it has every part's registrars and options.
			s.runners = append(s.runners, func(ctx context.Context) error {
				opts, err := m.WorkerOptions(q, s.workerOptions)
				if err != nil {
					return err
				}
				return process.RunWorker(ctx, s.client, config.Worker{TaskQueue: q, ShutdownTimeout: s.cfg.Worker.ShutdownTimeout}, opts, s.logger, s.registrars...)
			})
		}
	}
	if s.roles&roleAPI != 0 {
		pools.RegisterAPI(s.api, m)
	}
	s.runners = append(s.runners, m.Run)
	return nil
}
