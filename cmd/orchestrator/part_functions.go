package main

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/worker"

	"github.com/fnchain/orchestrator/activities"
	"github.com/fnchain/orchestrator/api"
	"github.com/fnchain/orchestrator/bindings"
	"github.com/fnchain/orchestrator/workflows"
)

// The functions part opens the configured connections and serves the
// interpreter and every function (built-ins and bindings) on the worker.
func init() {
	parts = append(parts, part{name: "functions", roles: roleAPI | roleWorker, setup: setupFunctions})
}

// functions is the registry of this process, also what workflow files are
// validated against; set by setupFunctions.
var functions *activities.Registry

func setupFunctions(ctx context.Context, s *stack) error {
	var conns bindings.Connections
	if err := s.cfg.Connections.Decode(&conns); err != nil && !s.cfg.Connections.IsZero() {
		return fmt.Errorf("connections in the configuration: %w", err)
	}
	pool, err := bindings.Open(ctx, conns)
	if err != nil {
		return err
	}
	s.closers = append(s.closers, pool.Close)
	if functions, err = bindings.NewRegistry(pool); err != nil {
		return err
	}
	if len(conns) > 0 {
		s.checks = append(s.checks, api.Check{Name: "connections", Check: pool.Check})
	}
	if s.roles&roleWorker != 0 {
		interpreter := workflows.New(workflows.Options{})
		s.registrars = append(s.registrars,
			func(w worker.Registry) { interpreter.Register(w) },
			func(w worker.Registry) { functions.Register(w) },
		)
	}
	return nil
}

// searchAttributes are the custom search attributes fnchain sets on runs.
func searchAttributes() map[string]enumspb.IndexedValueType {
	return workflows.SearchAttributes()
}
