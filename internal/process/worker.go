// Package process runs the long-lived parts of an orchestrator process, the
// worker and the HTTP API, the same way for `dev`, `serve` and `worker`.
package process

import (
	"context"
	"fmt"
	"log/slog"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/fnchain/orchestrator/internal/config"
)

// Registrar adds workflows or activities to a worker before it starts.
type Registrar func(worker.Registry)

// RunWorker polls cfg.TaskQueue until ctx ends, then stops polling and lets
// activities in flight finish for up to cfg.ShutdownTimeout before the
// worker exits, so a deploy never cuts a function call in half.
func RunWorker(ctx context.Context, c client.Client, cfg config.Worker, opts worker.Options, logger *slog.Logger, regs ...Registrar) error {
	opts.WorkerStopTimeout = cfg.ShutdownTimeout
	w := worker.New(c, cfg.TaskQueue, opts)
	for _, r := range regs {
		r(w)
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("starting the worker on task queue %s: %w", cfg.TaskQueue, err)
	}
	logger.Info("worker started", "taskQueue", cfg.TaskQueue)
	<-ctx.Done()
	logger.Info("worker draining", "taskQueue", cfg.TaskQueue, "timeout", cfg.ShutdownTimeout)
	w.Stop()
	return nil
}
