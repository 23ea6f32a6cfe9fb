package tracing

import (
	"context"
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
)

// defaultServiceName names the process when OTEL_SERVICE_NAME does not.
const defaultServiceName = "fnchain-orchestrator"

// Setup reads the standard OTEL_* environment variables and, when they ask for traces, installs an OTLP exporter as
// the process's global tracer provider and W3C trace context as its global
// propagator. Otherwise it returns tracing turned off and touches nothing.
//
// Traces are on when OTEL_TRACES_EXPORTER is otlp, or when it is unset and
// OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set;
// OTEL_SDK_DISABLED=true turns them off whatever else is set. Unlike the
// OpenTelemetry default, an unconfigured process exports nothing, because
// the embedded default has no collector to send to.
func Setup(ctx context.Context) (*Tracing, error) {
	getenv := os.Getenv
	on, err := enabled(getenv)
	if err != nil {
		return nil, err
	}
	if !on {
		return &Tracing{}, nil
	}
	exporter, err := newExporter(ctx, getenv)
	if err != nil {
		return nil, err
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(defaultServiceName)),
		resource.WithTelemetrySDK(),
		// Last, so OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win.
		resource.WithFromEnv(),
	)
	if err != nil {
		return nil, fmt.Errorf("reading OTEL_RESOURCE_ATTRIBUTES: %w: write it as key=value pairs separated by commas", err)
	}
	// The SDK reads OTEL_TRACES_SAMPLER and OTEL_BSP_* itself.
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	t, err := New(tp, prop)
	if err != nil {
		return nil, err
	}
	t.shutdown = tp.Shutdown
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(prop)
	return t, nil
}

func enabled(getenv func(string) string) (bool, error) {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return false, nil
	}
	switch v := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))); v {
	case "":
		return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "", nil
	case "none":
		return false, nil
	case "otlp":
		return true, nil
	default:
		return false, fmt.Errorf("OTEL_TRACES_EXPORTER=%q is not supported: set it to otlp (with OTEL_EXPORTER_OTLP_ENDPOINT) or none", v)
	}
}

// newExporter picks the OTLP transport the way the specification says:
// the traces-specific protocol variable, then the general one, then
// http/protobuf. Each exporter reads its endpoint, headers, timeout,
// compression and certificates from the OTEL_EXPORTER_OTLP_* variables.
func newExporter(ctx context.Context, getenv func(string) string) (sdktrace.SpanExporter, error) {
	name := "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	protocol := strings.TrimSpace(getenv(name))
	if protocol == "" {
		name = "OTEL_EXPORTER_OTLP_PROTOCOL"
		protocol = strings.TrimSpace(getenv(name))
	}
	var (
		exp sdktrace.SpanExporter
		err error
	)
	switch protocol {
	case "", "http/protobuf":
		exp, err = otlptracehttp.New(ctx)
	case "grpc":
		exp, err = otlptracegrpc.New(ctx)
	default:
		return nil, fmt.Errorf("%s=%q is not supported: set it to http/protobuf or grpc", name, protocol)
	}
	if err != nil {
		return nil, fmt.Errorf("creating the otlp trace exporter: %w", err)
	}
	return exp, nil
}
