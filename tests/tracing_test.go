package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/proto"

	"github.com/fnchain/orchestrator/activities"
	"github.com/fnchain/orchestrator/api"
	"github.com/fnchain/orchestrator/internal/catalog"
	"github.com/fnchain/orchestrator/internal/sqldb"
	"github.com/fnchain/orchestrator/internal/tracing"
	"github.com/fnchain/orchestrator/tests/harness"
	"github.com/fnchain/orchestrator/workflows"
)

const tracedYAML = `name: traced
input:
  type: object
  required: [target]
  properties:
    target: {type: string}
steps:
  - id: fetch
    name: fetch the order
    call: http.request
    with: {url: "${{ input.target + '/orders/1' }}"}
  - id: notify
    name: notify the shop
    call: http.request
    with: {method: POST, url: "${{ input.target + '/notify' }}", body: {ok: true}}
`

// TestTraceFromHTTPRequestToOutgoingCalls starts a run over the HTTP API and
// follows it into one trace: the request's span, the start and the run of
// the workflow, each step's activity and the traceparent the outgoing calls
// carried. Temporal is the shared embedded server (another process); the
// API, client and worker run here, on a task queue of their own, so their
// spans land in an in-memory exporter.
func TestTraceFromHTTPRequestToOutgoingCalls(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	exporter := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	prop := propagation.TraceContext{}
	// http.request injects with the global propagator, as the binary sets it.
	prev := otel.GetTextMapPropagator()
	otel.SetTextMapPropagator(prop)
	t.Cleanup(func() { otel.SetTextMapPropagator(prev) })
	tr, err := tracing.New(tp, prop)
	if err != nil {
		t.Fatal(err)
	}

	target := &traceparents{}
	callee := httptest.NewServer(target)
	defer callee.Close()

	c, err := client.Dial(client.Options{HostPort: shared.TemporalAddress, Namespace: "default", Interceptors: tr.ClientInterceptors()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	queue := "tracing-" + uuid.NewString()
	w := worker.New(c, queue, worker.Options{Interceptors: tr.WorkerInterceptors()})
	reg := activities.Builtin()
	workflows.New(workflows.Options{}).Register(w)
	reg.Register(w)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	db, err := sqldb.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "tracing.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cat, err := catalog.New(ctx, db, reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.Deploy(ctx, "traced.yaml", []byte(tracedYAML)); err != nil {
		t.Fatal(err)
	}
	mux, a := api.New(api.Options{Version: "test"})
	api.Register(a, &api.Backend{Catalog: cat, Registry: reg, Temporal: c, Namespace: "default", TaskQueue: queue})
	srv := httptest.NewServer(tr.Handler(mux))
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/v1/workflows/traced/runs", "application/json", strings.NewReader(fmt.Sprintf(`{"target": %q}`, callee.URL)))
	if err != nil {
		t.Fatal(err)
	}
	var run api.Run
	err = json.NewDecoder(resp.Body).Decode(&run)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("starting the run: status %d, %v", resp.StatusCode, err)
	}
	if err := c.GetWorkflow(ctx, run.ID, run.RunID).Get(ctx, nil); err != nil {
		t.Fatalf("run %s failed: %v", run.ID, err)
	}

	want := []string{"POST /v1/workflows/{name}/runs", "StartWorkflow:traced", "RunWorkflow:traced", "RunActivity:http.request"}
	spans := waitForSpans(t, exporter, want)
	root := only(t, spans, want[0])
	if root.Parent.IsValid() || root.SpanKind != trace.SpanKindServer {
		t.Errorf("the request's span should be a server span without parent, got parent %v kind %v", root.Parent, root.SpanKind)
	}
	traceID := root.SpanContext.TraceID()
	for _, s := range spans {
		if s.SpanContext.TraceID() != traceID {
			t.Errorf("span %s is in trace %s, want the request's trace %s", s.Name, s.SpanContext.TraceID(), traceID)
		}
	}
	start := only(t, spans, "StartWorkflow:traced")
	wantParent(t, start, root)
	wantParent(t, only(t, spans, "RunWorkflow:traced"), start)

	steps := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		if s.Name != "RunActivity:http.request" {
			continue
		}
		attrs := map[string]string{}
		for _, kv := range s.Attributes {
			attrs[string(kv.Key)] = kv.Value.Emit()
		}
		steps[attrs[string(tracing.AttrStepID)]] = s
		if attrs[string(tracing.AttrFunction)] != "http.request" {
			t.Errorf("step span %s: function attribute %q, want http.request", attrs[string(tracing.AttrStepID)], attrs[string(tracing.AttrFunction)])
		}
		wantName := map[string]string{"fetch": "fetch the order", "notify": "notify the shop"}[attrs[string(tracing.AttrStepID)]]
		if attrs[string(tracing.AttrStepName)] != wantName {
			t.Errorf("step span %s: name attribute %q, want %q", attrs[string(tracing.AttrStepID)], attrs[string(tracing.AttrStepName)], wantName)
		}
	}
	for path, step := range map[string]string{"/orders/1": "fetch", "/notify": "notify"} {
		s, ok := steps[step]
		if !ok {
			t.Errorf("no span of step %s among %v", step, names(spans))
			continue
		}
		got := target.get(path)
		if got.TraceID() != traceID || got.SpanID() != s.SpanContext.SpanID() {
			t.Errorf("the call to %s carried traceparent of trace %s span %s, want trace %s span %s (step %s)",
				path, got.TraceID(), got.SpanID(), traceID, s.SpanContext.SpanID(), step)
		}
	}
}

// traceparents answers every request and keeps the span context of the
// traceparent header each path received.
type traceparents struct {
	mu   sync.Mutex
	seen map[string]trace.SpanContext
}

func (p *traceparents) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), propagation.HeaderCarrier(r.Header)))
	p.mu.Lock()
	if p.seen == nil {
		p.seen = map[string]trace.SpanContext{}
	}
	p.seen[r.URL.Path] = sc
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"ok": true}`))
}

func (p *traceparents) get(path string) trace.SpanContext {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen[path]
}

// waitForSpans waits until a span of every wanted name was exported: the
// request's span ends after its response is sent, and the workflow's after
// the result the test waited for was recorded.
func waitForSpans(t *testing.T, e *tracetest.InMemoryExporter, want []string) tracetest.SpanStubs {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		spans := e.GetSpans()
		have := map[string]bool{}
		for _, s := range spans {
			have[s.Name] = true
		}
		missing := []string{}
		for _, n := range want {
			if !have[n] {
				missing = append(missing, n)
			}
		}
		if len(missing) == 0 {
			return spans
		}
		if time.Now().After(deadline) {
			t.Fatalf("no span named %v; spans: %v", missing, names(spans))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func only(t *testing.T, spans tracetest.SpanStubs, name string) tracetest.SpanStub {
	t.Helper()
	var found []tracetest.SpanStub
	for _, s := range spans {
		if s.Name == name {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d spans named %s, want 1; spans: %v", len(found), name, names(spans))
	}
	return found[0]
}

func wantParent(t *testing.T, child, parent tracetest.SpanStub) {
	t.Helper()
	if child.Parent.SpanID() != parent.SpanContext.SpanID() {
		t.Errorf("span %s has parent %s, want %s (%s)", child.Name, child.Parent.SpanID(), parent.SpanContext.SpanID(), parent.Name)
	}
}

func names(spans tracetest.SpanStubs) []string {
	out := make([]string, len(spans))
	for i, s := range spans {
		out[i] = s.Name
	}
	return out
}

// TestBinaryExportsTracesOverOTLP runs the real binary with only
// OTEL_EXPORTER_OTLP_ENDPOINT set and receives its spans as an OTLP/HTTP
// collector would: the API request, the start, the run and its steps arrive
// in one trace, named by step, and the outgoing call carried the step's span
// as its traceparent.
func TestBinaryExportsTracesOverOTLP(t *testing.T) {
	collector := &otlpCollector{}
	cs := httptest.NewServer(collector)
	defer cs.Close()
	target := &traceparents{}
	callee := httptest.NewServer(target)
	defer callee.Close()

	s := harness.Start(t, harness.Options{Memory: true, Env: []string{
		"OTEL_EXPORTER_OTLP_ENDPOINT=" + cs.URL,
		"OTEL_SERVICE_NAME=fnchain-test",
	}})
	deployOver(t, s.APIURL, "traced", tracedYAML)
	var run api.Run
	mustCall(t, http.StatusOK, &run, http.MethodPost, s.APIURL+"/v1/workflows/traced/runs?wait=30s", "application/json", fmt.Sprintf(`{"target": %q}`, callee.URL))
	if run.Status != "completed" {
		t.Fatalf("run %s is %s: %+v", run.ID, run.Status, run.Error)
	}
	// Stopping flushes the spans still batched.
	if err := s.Stop(harness.StopTimeout); err != nil {
		t.Fatal(err)
	}

	spans := collector.spans()
	var workflowTrace []byte
	runs := 0
	for _, sp := range spans {
		if sp.span.GetName() == "RunWorkflow:traced" && sp.attrs["temporalWorkflowID"] == run.ID {
			workflowTrace = sp.span.GetTraceId()
			runs++
		}
	}
	if runs != 1 {
		t.Fatalf("%d RunWorkflow:traced spans of run %s, want 1; got %d spans", runs, run.ID, len(spans))
	}
	// The request that started the run and the start itself are in the
	// run's trace.
	for _, name := range []string{"POST /v1/workflows/{name}/runs", "StartWorkflow:traced"} {
		n := 0
		for _, sp := range spans {
			if sp.span.GetName() == name && trace.TraceID(sp.span.GetTraceId()) == trace.TraceID(workflowTrace) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d spans named %s in the run's trace, want 1", n, name)
		}
	}
	for path, step := range map[string]string{"/orders/1": "fetch", "/notify": "notify"} {
		got := target.get(path)
		found := 0
		for _, sp := range spans {
			if sp.span.GetName() != "RunActivity:http.request" || sp.attrs[string(tracing.AttrStepID)] != step {
				continue
			}
			found++
			if sp.service != "fnchain-test" {
				t.Errorf("step %s: service.name %q, want fnchain-test from OTEL_SERVICE_NAME", step, sp.service)
			}
			if trace.TraceID(sp.span.GetTraceId()) != trace.TraceID(workflowTrace) {
				t.Errorf("step %s is in another trace than its run", step)
			}
			if got.TraceID() != trace.TraceID(sp.span.GetTraceId()) || got.SpanID() != trace.SpanID(sp.span.GetSpanId()) {
				t.Errorf("the call to %s carried trace %s span %s, not the span of step %s", path, got.TraceID(), got.SpanID(), step)
			}
		}
		if found != 1 {
			t.Errorf("%d RunActivity:http.request spans of step %s, want 1", found, step)
		}
	}
}

// otlpCollector receives OTLP/HTTP protobuf exports.
type otlpCollector struct {
	mu        sync.Mutex
	collected []collectedSpan
}

type collectedSpan struct {
	service string
	span    *tracepb.Span
	attrs   map[string]string
}

func (c *otlpCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	var req coltracepb.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(body, &req)
	}
	if r.URL.Path != "/v1/traces" || err != nil {
		http.Error(w, fmt.Sprintf("want a protobuf export on /v1/traces: %v", err), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	for _, rs := range req.GetResourceSpans() {
		service := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.GetKey() == "service.name" {
				service = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				attrs := map[string]string{}
				for _, kv := range sp.GetAttributes() {
					attrs[kv.GetKey()] = kv.GetValue().GetStringValue()
				}
				c.collected = append(c.collected, collectedSpan{service: service, span: sp, attrs: attrs})
			}
		}
	}
	c.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (c *otlpCollector) spans() []collectedSpan {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]collectedSpan(nil), c.collected...)
}
