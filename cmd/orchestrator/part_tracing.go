package main

import "context"

// The tracing part puts the worker half of tracing (the spans of runs and
// steps) on the worker. runStack sets tracing up from the OTEL_* variables
// (docs/tracing.md) before it dials Temporal, because the client takes its
// half at dial time; with tracing off there is nothing to add.
func init() {
	parts = append(parts, part{name: "tracing", roles: roleWorker, setup: setupTracing})
}

func setupTracing(_ context.Context, s *stack) error {
	s.workerOptions.Interceptors = append(s.workerOptions.Interceptors, s.tracing.WorkerInterceptors()...)
	return nil
}
