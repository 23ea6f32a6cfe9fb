package tracing

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.temporal.io/sdk/interceptor"
)

// otelVars are every variable Setup reads; each test starts from none.
var otelVars = []string{
	"OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
	"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES",
}

func setenv(t *testing.T, kv map[string]string) {
	t.Helper()
	for _, k := range otelVars {
		t.Setenv(k, kv[k])
	}
}

// keepGlobals restores the global provider and propagator Setup replaces.
func keepGlobals(t *testing.T) {
	tp, prop := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	t.Cleanup(func() {
		if otel.GetTracerProvider() != tp {
			otel.SetTracerProvider(tp)
			otel.SetTextMapPropagator(prop)
		}
	})
}

func TestSetupIsOffWithoutConfiguration(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"nothing set":   {},
		"exporter none": {"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"},
		"sdk disabled":  {"OTEL_SDK_DISABLED": "TRUE", "OTEL_TRACES_EXPORTER": "otlp"},
		"service only":  {"OTEL_SERVICE_NAME": "orders"},
	} {
		t.Run(name, func(t *testing.T) {
			setenv(t, env)
			keepGlobals(t)
			tp := otel.GetTracerProvider()
			tr, err := Setup(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if tr.Enabled() || tr.ClientInterceptors() != nil || tr.WorkerInterceptors() != nil {
				t.Fatalf("tracing is on: enabled %v, %d client and %d worker interceptors", tr.Enabled(), len(tr.ClientInterceptors()), len(tr.WorkerInterceptors()))
			}
			mux := http.NewServeMux()
			if h, ok := tr.Handler(mux).(*http.ServeMux); !ok || h != mux {
				t.Error("the handler is wrapped although tracing is off")
			}
			if otel.GetTracerProvider() != tp {
				t.Error("the global tracer provider was replaced although tracing is off")
			}
			if err := tr.Shutdown(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestSetupTurnsOnWithAnOTLPEndpoint(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"endpoint alone":        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"},
		"traces endpoint alone": {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"},
		"otlp over grpc":        {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_SERVICE_NAME": "orders"},
	} {
		t.Run(name, func(t *testing.T) {
			setenv(t, env)
			keepGlobals(t)
			tr, err := Setup(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !tr.Enabled() || len(tr.ClientInterceptors()) != 1 || len(tr.WorkerInterceptors()) != 2 {
				t.Fatalf("tracing is off: enabled %v, %d client and %d worker interceptors", tr.Enabled(), len(tr.ClientInterceptors()), len(tr.WorkerInterceptors()))
			}
			if _, both := tr.ClientInterceptors()[0].(interceptor.WorkerInterceptor); both {
				t.Error("the client interceptor also intercepts workers, which would trace each step twice")
			}
			// No span was made, so shutting down sends nothing and cannot fail.
			if err := tr.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSetupRejectsUnsupportedSettings(t *testing.T) {
	for name, c := range map[string]struct {
		env  map[string]string
		want string
	}{
		"zipkin exporter": {map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, `OTEL_TRACES_EXPORTER="zipkin" is not supported: set it to otlp`},
		"two exporters":   {map[string]string{"OTEL_TRACES_EXPORTER": "otlp,console"}, `OTEL_TRACES_EXPORTER="otlp,console"`},
		"thrift protocol": {map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "thrift"}, `OTEL_EXPORTER_OTLP_PROTOCOL="thrift" is not supported: set it to http/protobuf or grpc`},
		"traces protocol": {map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"}, `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL="http/json"`},
		"bad resource":    {map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_RESOURCE_ATTRIBUTES": "team"}, "OTEL_RESOURCE_ATTRIBUTES"},
	} {
		t.Run(name, func(t *testing.T) {
			setenv(t, c.env)
			keepGlobals(t)
			tr, err := Setup(context.Background())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, %v; want an error containing %q", tr, err, c.want)
			}
		})
	}
}
