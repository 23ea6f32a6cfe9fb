package tracing

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

func newTestTracing(t *testing.T) (*Tracing, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tr, err := New(sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp)), propagation.TraceContext{})
	if err != nil {
		t.Fatal(err)
	}
	return tr, exp
}

func TestHandlerNamesSpansByRouteAndJoinsTheCallersTrace(t *testing.T) {
	tr, exp := newTestTracing(t)
	mux := http.NewServeMux()
	var inHandler trace.SpanContext
	mux.HandleFunc("POST /v1/runs/{id}/cancel", func(w http.ResponseWriter, r *http.Request) {
		inHandler = trace.SpanContextFromContext(r.Context())
		w.WriteHeader(http.StatusInternalServerError)
	})
	srv := httptest.NewServer(tr.Handler(mux))
	defer srv.Close()

	const caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/runs/r-1/cancel", nil)
	req.Header.Set("traceparent", caller)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	srv.Close() // waits for the handler, so its span has ended

	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1", len(spans))
	}
	s := spans[0]
	if s.Name != "POST /v1/runs/{id}/cancel" || s.SpanKind != trace.SpanKindServer {
		t.Errorf("span %q of kind %v, want POST /v1/runs/{id}/cancel of kind server", s.Name, s.SpanKind)
	}
	if s.SpanContext.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || s.Parent.SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("span in trace %s under %s, want the caller's trace and span", s.SpanContext.TraceID(), s.Parent.SpanID())
	}
	if inHandler.SpanID() != s.SpanContext.SpanID() {
		t.Error("the handler's context does not hold the request's span")
	}
	if s.Status.Code != codes.Error {
		t.Errorf("status %v for a 500 answer, want error", s.Status.Code)
	}
	attrs := map[string]string{}
	for _, kv := range s.Attributes {
		attrs[string(kv.Key)] = kv.Value.Emit()
	}
	if attrs["http.route"] != "/v1/runs/{id}/cancel" || attrs["http.response.status_code"] != "500" || attrs["url.path"] != "/v1/runs/r-1/cancel" {
		t.Errorf("attributes %v", attrs)
	}
}

func TestHandlerKeepsStreaming(t *testing.T) {
	tr, _ := newTestTracing(t)
	flushed := false
	h := tr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flushing through the traced writer: %v", err)
		}
		_, flushed = w.(http.Flusher)
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/v1/runs/r-1/events", nil))
	if !flushed {
		t.Error("the traced writer is no http.Flusher, so server-sent events would stall")
	}
}
