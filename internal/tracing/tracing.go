// Package tracing follows a run with OpenTelemetry: one trace from the HTTP
// request or trigger event that starts it, through the Temporal workflow and
// each step's activity, into the outgoing calls of http.request. It is off
// unless the standard OTEL_* environment variables ask for an exporter, and
// when off it installs nothing, so untraced processes pay nothing.
package tracing

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
)

// instrumentation names fnchain's tracer, so backends can tell its spans
// from those of other libraries in the same process.
const instrumentation = "github.com/fnchain/orchestrator"

// Tracing is the tracing of one process. The zero value is tracing turned
// off: every method then returns its input or nothing.
type Tracing struct {
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
	temporal   interceptor.Interceptor
	shutdown   func(context.Context) error
}

// New traces into tp, carrying span context across processes with p.
// Setup calls it with the OTLP exporter's provider; tests call it with an
// in-memory one.
func New(tp trace.TracerProvider, p propagation.TextMapPropagator) (*Tracing, error) {
	tracer := tp.Tracer(instrumentation)
	ti, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{Tracer: tracer, TextMapPropagator: p})
	if err != nil {
		return nil, fmt.Errorf("creating the temporal tracing interceptor: %w", err)
	}
	return &Tracing{tracer: tracer, propagator: p, temporal: ti}, nil
}

// Enabled reports whether spans are recorded.
func (t *Tracing) Enabled() bool { return t.temporal != nil }

// ClientInterceptors go into the Temporal client's options, so that
// starting, signalling and querying a run carry the caller's span. They do
// not include the worker half: a worker built on the client would otherwise
// get it twice, once from the client and once from WorkerInterceptors.
func (t *Tracing) ClientInterceptors() []interceptor.ClientInterceptor {
	if !t.Enabled() {
		return nil
	}
	return []interceptor.ClientInterceptor{clientOnly{t.temporal}}
}

// WorkerInterceptors go into the worker's options: they make the spans of
// each run and each step's activity, the steps' spans named by step.
func (t *Tracing) WorkerInterceptors() []interceptor.WorkerInterceptor {
	if !t.Enabled() {
		return nil
	}
	return []interceptor.WorkerInterceptor{t.temporal, &stepAttributes{}}
}

// Shutdown flushes the spans still buffered and stops the exporter.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t.shutdown == nil {
		return nil
	}
	if err := t.shutdown(ctx); err != nil {
		return fmt.Errorf("flushing traces: %w", err)
	}
	return nil
}

// clientOnly hides the worker half of an interceptor that has both.
type clientOnly struct{ interceptor.ClientInterceptor }
