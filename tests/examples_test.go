package tests

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/fnchain/orchestrator/bindings"
	"github.com/fnchain/orchestrator/dsl"
	"github.com/fnchain/orchestrator/internal/connect"
	"github.com/fnchain/orchestrator/internal/sqldb"
	"github.com/fnchain/orchestrator/tests/harness"
	"github.com/fnchain/orchestrator/workflows"
)

// The examples run unchanged on the real embedded server, except for what
// a test machine cannot have: the example.com services become one local
// fake, and waits of minutes or days become milliseconds.

// fakeServices plays every example.com service the examples call and
// records what they were sent.
type fakeServices struct {
	*httptest.Server
	mu    sync.Mutex
	calls []string
	sent  []map[string]any
	// health answers 503 to the first healthFailures probes.
	healthFailures int
}

func newFakeServices(t *testing.T) *fakeServices {
	f := &fakeServices{}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServices) serve(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	data, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(data, &body)
	f.mu.Lock()
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	if body != nil {
		f.sent = append(f.sent, body)
	}
	probes := 0
	for _, c := range f.calls {
		if c == "GET /health" {
			probes++
		}
	}
	f.mu.Unlock()
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	path := r.URL.Path
	switch {
	case path == "/payments/charges":
		reply(200, map[string]any{"id": fmt.Sprint("ch_", body["orderId"])})
	case strings.HasPrefix(path, "/payments/charges/") && strings.HasSuffix(path, "/refund"):
		reply(200, map[string]any{"refunded": true})
	case path == "/carrier/shipments":
		if strings.HasPrefix(fmt.Sprint(body["orderId"]), "bad-address") {
			reply(400, map[string]any{"error": "unknown address"})
			return
		}
		reply(200, map[string]any{"tracking": fmt.Sprint("T-", body["orderId"])})
	case path == "/rates/eur":
		reply(200, map[string]any{"rate": 2})
	case strings.HasPrefix(path, "/api/orders/"):
		reply(200, map[string]any{"total": 10})
	case strings.HasPrefix(path, "/chat/"):
		reply(200, map[string]any{"ok": true})
	case path == "/sales/api/daily":
		reply(200, map[string]any{"region": r.URL.Query().Get("region"), "orders": []map[string]any{{"amount": 5}, {"amount": 7}}})
	case path == "/health":
		if probes <= f.healthFailures {
			reply(503, map[string]any{"status": "starting"})
			return
		}
		reply(200, map[string]any{"status": "ok"})
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeServices) called(call string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == call {
			n++
		}
	}
	return n
}

func (f *fakeServices) sentTo(text string) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]any
	for _, b := range f.sent {
		if strings.Contains(fmt.Sprint(b), text) {
			out = append(out, b)
		}
	}
	return out
}

// exampleEnv is one orchestrator with the connections the examples use,
// pointed at this machine's services, and the fake web services.
type exampleEnv struct {
	stack  *harness.Stack
	client client.Client
	fake   *fakeServices
	db     *sqldb.DB
	conns  bindings.Connections
	bucket string
}

const exampleQueue = "orders"

func newExampleEnv(t *testing.T) *exampleEnv {
	t.Helper()
	ctx := context.Background()
	schema := fmt.Sprintf("examples_%d", time.Now().UnixNano())
	admin, err := sqldb.Open(ctx, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	for _, stmt := range []string{
		"CREATE SCHEMA " + schema,
		"CREATE TABLE " + schema + ".stock (sku TEXT PRIMARY KEY, available INT NOT NULL, reserved INT NOT NULL DEFAULT 0)",
		"CREATE TABLE " + schema + ".customers (id TEXT PRIMARY KEY, vip BOOLEAN NOT NULL)",
		"CREATE TABLE " + schema + ".expenses (id TEXT PRIMARY KEY, approved BOOLEAN NOT NULL DEFAULT false)",
		"INSERT INTO " + schema + ".stock VALUES ('sku-1', 5, 0)",
		"INSERT INTO " + schema + ".customers VALUES ('c1', true), ('c2', false)",
		"INSERT INTO " + schema + ".expenses VALUES ('e-1', false)",
	} {
		if _, err := admin.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	t.Cleanup(func() { admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	db, err := sqldb.Open(ctx, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable&search_path="+schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	bucket := t.TempDir()
	conns := bindings.Connections{
		"orders-db": {Type: "postgres", URL: "postgres://postgres@127.0.0.1:5432/test?sslmode=disable&search_path=" + schema},
		"events":    {Type: "nats", URL: "nats://127.0.0.1:4222"},
		"sensors":   {Type: "mqtt", URL: "tcp://127.0.0.1:1883"},
		"uploads":   {Type: "blob", URL: "file://" + bucket},
	}
	cfg, err := json.Marshal(map[string]any{"connections": conns})
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(t.TempDir(), "orchestrator.yaml")
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil { // JSON is YAML
		t.Fatal(err)
	}
	s := harness.Start(t, harness.Options{Memory: true, Args: []string{"--config", cfgPath, "--task-queue", exampleQueue, "--headless"}})
	return &exampleEnv{stack: s, client: s.Client(t), fake: newFakeServices(t), db: db, conns: conns, bucket: bucket}
}

// load reads an example, points its web services at the fake and applies
// the replacements, then compiles it against the examples' connections.
func (e *exampleEnv) load(t *testing.T, file string, replace ...string) *dsl.Workflow {
	t.Helper()
	data, err := os.ReadFile(repoPath(t, filepath.Join("examples", file)))
	if err != nil {
		t.Fatal(err)
	}
	src := string(data)
	for _, svc := range []string{"payments", "carrier", "rates", "api", "chat", "sales"} {
		src = strings.ReplaceAll(src, "https://"+svc+".example.com", e.fake.URL+"/"+svc)
	}
	src = strings.NewReplacer(replace...).Replace(src)
	reg, err := bindings.NewRegistry(&bindings.Pool{})
	if err != nil {
		t.Fatal(err)
	}
	reg.SetConnections(e.conns)
	plans, err := dsl.Load(file, []byte(src), reg)
	if err != nil {
		t.Fatalf("loading %s:\n%v", file, err)
	}
	// What a deploy does: the namespace learns the plan's search attributes.
	if err := connect.EnsureSearchAttributes(context.Background(), e.client, "default", workflows.PlanSearchAttributes(plans[0])); err != nil {
		t.Fatal(err)
	}
	return plans[0]
}

func (e *exampleEnv) run(t *testing.T, plan *dsl.Workflow, id string, input any) client.WorkflowRun {
	t.Helper()
	r, err := workflows.Start(context.Background(), e.client, plan, input, workflows.StartOptions{ID: id, TaskQueue: exampleQueue})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func result(t *testing.T, r client.WorkflowRun) (map[string]any, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out map[string]any
	err := r.Get(ctx, &out)
	return out, err
}

var recordHistories = flag.String("record-histories", "", "write the history of every example run into this directory, for the replay tests of package workflows")

func TestExamples(t *testing.T) {
	e := newExampleEnv(t)
	if *recordHistories != "" {
		t.Cleanup(func() {
			for _, id := range []string{"saga-ok", "saga-fail", "fan-out-1", "approve-1", "approve-timeout", "monitor-1", "report-1", "saga-older-definition"} {
				e.writeHistory(t, id, *recordHistories)
			}
		})
	}
	t.Run("order saga completes", func(t *testing.T) {
		nc, err := nats.Connect(nats.DefaultURL)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		shipped, err := nc.SubscribeSync("orders.shipped")
		if err != nil {
			t.Fatal(err)
		}
		plan := e.load(t, "order-saga.yaml")
		out, err := result(t, e.run(t, plan, "saga-ok", map[string]any{"orderId": "o-1", "amount": 12.5, "sku": "sku-1"}))
		if err != nil {
			t.Fatal(err)
		}
		if out["chargeId"] != "ch_o-1" || out["tracking"] != "T-o-1" {
			t.Fatalf("output %v", out)
		}
		msg, err := shipped.NextMsg(10 * time.Second)
		if err != nil || !strings.Contains(string(msg.Data), `"tracking":"T-o-1"`) {
			t.Fatalf("orders.shipped: %v %s", err, msg.Data)
		}
		e.expectReserved(t, 1)
	})

	t.Run("order saga compensates in reverse order", func(t *testing.T) {
		plan := e.load(t, "order-saga.yaml")
		_, err := result(t, e.run(t, plan, "saga-fail", map[string]any{"orderId": "bad-address-1", "amount": 3, "sku": "sku-1"}))
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) || appErr.Type() != "HTTPError" {
			t.Fatalf("run error %v, want the carrier's HTTPError", err)
		}
		if n := e.fake.called("POST /payments/charges/ch_bad-address-1/refund"); n != 1 {
			t.Fatalf("refund called %d times, want 1", n)
		}
		e.expectReserved(t, 1) // the reservation was taken back
		order := compensationOrder(t, e, "saga-fail")
		if strings.Join(order, ",") != "call-4,call-2" {
			t.Fatalf("compensations ran as %v, want the reservation undone before the refund", order)
		}
	})

	// A run of an older definition of the saga (no shipping notice, no
	// search attribute): its history must keep replaying after the file
	// changed, since the run carries the definition it started with.
	t.Run("older definition", func(t *testing.T) {
		plan := e.load(t, "order-saga.yaml", "  - call: nats.publish", "  - call: noop", "search:\n  OrderId: ${{ input.orderId }}\n", "")
		if _, err := result(t, e.run(t, plan, "saga-older-definition", map[string]any{"orderId": "o-2", "amount": 1, "sku": "sku-1"})); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("fan-out and fan-in", func(t *testing.T) {
		plan := e.load(t, "fan-out.yaml")
		orders := []map[string]any{{"id": "a"}, {"id": "b"}, {"id": "c"}}
		r := e.run(t, plan, "fan-out-1", map[string]any{"orders": orders})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var n int
		if err := r.Get(ctx, &n); err != nil || n != 3 {
			t.Fatalf("output %d, %v", n, err)
		}
		data, err := os.ReadFile(filepath.Join(e.bucket, "batches", "fan-out-1.json"))
		if err != nil {
			t.Fatal(err)
		}
		var written []map[string]any
		if err := json.Unmarshal(data, &written); err != nil {
			t.Fatalf("%v: %s", err, data)
		}
		if len(written) != 3 || written[2]["id"] != "c" || written[2]["total"] != float64(20) {
			t.Fatalf("batch file %s", data)
		}
	})

	t.Run("approval by signal", func(t *testing.T) {
		plan := e.load(t, "approval.yaml")
		r := e.run(t, plan, "approve-1", map[string]any{"expenseId": "e-1", "amount": 90, "manager": "ada"})
		waitForStep(t, e.client, "approve-1", "decision")
		if err := e.client.SignalWorkflow(context.Background(), "approve-1", "", "approve", map[string]any{"approved": true}); err != nil {
			t.Fatal(err)
		}
		out, err := result(t, r)
		if err != nil || out["approved"] != true {
			t.Fatalf("output %v, %v", out, err)
		}
		var approved bool
		if err := e.db.QueryRow(context.Background(), "SELECT approved FROM expenses WHERE id = ?", "e-1").Scan(&approved); err != nil || !approved {
			t.Fatalf("expense approved = %v, %v", approved, err)
		}
		if len(e.fake.sentTo("Approve expense e-1 of 90")) != 1 {
			t.Fatal("the manager was not asked")
		}
	})

	t.Run("approval times out", func(t *testing.T) {
		plan := e.load(t, "approval.yaml", "timeout: 48h", "timeout: 1s")
		out, err := result(t, e.run(t, plan, "approve-timeout", map[string]any{"expenseId": "e-2", "amount": 5, "manager": "bob"}))
		if err != nil || out["approved"] != false || out["reason"] != "timeout" {
			t.Fatalf("output %v, %v", out, err)
		}
	})

	t.Run("monitor loop", func(t *testing.T) {
		e.fake.healthFailures = 2
		plan := e.load(t, "monitor.yaml", "sleep: 1m", "sleep: 50ms")
		out, err := result(t, e.run(t, plan, "monitor-1", map[string]any{"url": e.fake.URL + "/health"}))
		if err != nil || out["checks"] != float64(5) {
			t.Fatalf("output %v, %v; want 2 failures then 3 healthy checks", out, err)
		}
	})

	t.Run("scheduled report", func(t *testing.T) {
		plan := e.load(t, "daily-report.yaml")
		if _, err := result(t, e.run(t, plan, "report-1", map[string]any{"region": "eu"})); err != nil {
			t.Fatal(err)
		}
		if len(e.fake.sentTo("Sales eu: 2 orders, 12 EUR")) != 1 {
			t.Fatalf("report not posted; sent %v", e.fake.sent)
		}
	})
}

func (e *exampleEnv) expectReserved(t *testing.T, want int) {
	t.Helper()
	var reserved int
	if err := e.db.QueryRow(context.Background(), "SELECT reserved FROM stock WHERE sku = ?", "sku-1").Scan(&reserved); err != nil || reserved != want {
		t.Fatalf("stock reserved = %d, %v; want %d", reserved, err, want)
	}
}

// writeHistory stores a run's history as JSON in the format the SDK's
// replayer reads.
func (e *exampleEnv) writeHistory(t *testing.T, id, dir string) {
	var events []*historypb.HistoryEvent
	it := e.client.GetWorkflowHistory(context.Background(), id, "", false, 0)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Errorf("reading history of %s: %v", id, err)
			return
		}
		events = append(events, ev)
	}
	data, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(&historypb.History{Events: events})
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "example-"+id+".json"), data, 0o644)
	}
	if err != nil {
		t.Errorf("writing history of %s: %v", id, err)
	}
}

// compensationOrder lists, in scheduling order, the activities of a run
// whose ids are the saga's two compensation steps (generated ids: the
// refund is the file's second step, the stock release its fourth).
func compensationOrder(t *testing.T, e *exampleEnv, id string) []string {
	t.Helper()
	var ids []string
	it := e.client.GetWorkflowHistory(context.Background(), id, "", false, 0)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil && (a.GetActivityId() == "call-2" || a.GetActivityId() == "call-4") {
			ids = append(ids, a.GetActivityId())
		}
	}
	return ids
}

// waitForStep polls the run's progress query until step is running.
func waitForStep(t *testing.T, c client.Client, id, step string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		v, err := c.QueryWorkflow(context.Background(), id, "", workflows.QueryProgress)
		if err == nil {
			var p workflows.Progress
			if v.Get(&p) == nil {
				for _, w := range p.Waiting {
					if w.Step == step {
						return
					}
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("step %s of %s never started waiting", step, id)
}
