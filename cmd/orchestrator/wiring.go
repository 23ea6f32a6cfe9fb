package main

import (
	"log/slog"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/worker"

	"github.com/fnchain/orchestrator/activities"
	"github.com/fnchain/orchestrator/internal/config"
	"github.com/fnchain/orchestrator/internal/process"
	"github.com/fnchain/orchestrator/workflows"
)

// registrars are what a worker of this binary serves: the interpreter, which
// runs every workflow defined in YAML, and the functions its steps call.
func registrars(cfg *config.Config, logger *slog.Logger) []process.Registrar {
	interpreter := workflows.New(workflows.Options{})
	fns := activities.Builtin()
	return []process.Registrar{
		func(w worker.Registry) { interpreter.Register(w) },
		func(w worker.Registry) { fns.Register(w) },
	}
}

// searchAttributes are the custom search attributes fnchain sets on runs.
func searchAttributes() map[string]enumspb.IndexedValueType {
	return workflows.SearchAttributes()
}
