package metering

import (
	"context"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// Metrics is the process's OpenTelemetry meter provider, exported for
// Prometheus on its own registry (the embedded Temporal server keeps its
// metrics apart).
type Metrics struct {
	provider *sdkmetric.MeterProvider
	registry *prometheus.Registry

	activityDuration metric.Float64Histogram
	runsStarted      metric.Int64Counter
	runsFinished     metric.Int64Counter
}

// NewMetrics builds the meter provider and the instruments metering records.
func NewMetrics() (*Metrics, error) {
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, fmt.Errorf("creating the prometheus exporter: %w", err)
	}
	m := &Metrics{provider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter)), registry: reg}
	meter := m.Meter("github.com/fnchain/orchestrator/metering")
	if m.activityDuration, err = meter.Float64Histogram("fnchain.activity.duration",
		metric.WithUnit("s"),
		metric.WithDescription("Duration of activity attempts, by function and outcome."),
		metric.WithExplicitBucketBoundaries(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)); err != nil {
		return nil, err
	}
	if m.runsStarted, err = meter.Int64Counter("fnchain.runs.started",
		metric.WithDescription("Runs started, by workflow.")); err != nil {
		return nil, err
	}
	if m.runsFinished, err = meter.Int64Counter("fnchain.runs.finished",
		metric.WithDescription("Runs finished, by workflow and status.")); err != nil {
		return nil, err
	}
	return m, nil
}

// Meter returns a meter of the provider, for other components' instruments.
func (m *Metrics) Meter(name string) metric.Meter { return m.provider.Meter(name) }

// Provider is the meter provider, to install as the global one.
func (m *Metrics) Provider() metric.MeterProvider { return m.provider }

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Shutdown flushes and stops the provider.
func (m *Metrics) Shutdown(ctx context.Context) error { return m.provider.Shutdown(ctx) }

func (m *Metrics) recordAttempt(r *Reading) {
	if m == nil {
		return
	}
	m.activityDuration.Record(context.Background(), float64(r.DurationUs)/1e6, metric.WithAttributes(
		attribute.String("function", r.Function), attribute.String("outcome", string(r.Outcome))))
}

func (m *Metrics) runStarted(workflow string) {
	if m == nil {
		return
	}
	m.runsStarted.Add(context.Background(), 1, metric.WithAttributes(attribute.String("workflow", workflow)))
}

func (m *Metrics) runFinished(workflow, status string) {
	if m == nil {
		return
	}
	m.runsFinished.Add(context.Background(), 1, metric.WithAttributes(attribute.String("workflow", workflow), attribute.String("status", status)))
}
