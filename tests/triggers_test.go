package tests

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	amqp "github.com/rabbitmq/amqp091-go"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/fnchain/orchestrator/tests/harness"
	"github.com/fnchain/orchestrator/triggers"
	"github.com/fnchain/orchestrator/workflows"
)

const (
	testPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	testNATSURL     = "nats://127.0.0.1:4222"
	testAMQPURL     = "amqp://guest:guest@127.0.0.1:5672/"
)

// triggerEnv is an `orchestrator dev` with the machine's services as
// connections and a watched workflow directory.
type triggerEnv struct {
	dir, workflows, config string
	env                    []string
	stack                  *harness.Stack
}

func newTriggerEnv(t testing.TB, env ...string) *triggerEnv {
	t.Helper()
	dir := t.TempDir()
	e := &triggerEnv{dir: dir, workflows: filepath.Join(dir, "workflows"), config: filepath.Join(dir, "orchestrator.yaml"), env: env}
	if err := os.MkdirAll(e.workflows, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("connections:\n  pg: {type: postgres, url: %q}\n  bus: {type: nats, url: %q}\n  broker: {type: amqp, url: %q}\n",
		testPostgresURL, testNATSURL, testAMQPURL)
	if err := os.WriteFile(e.config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *triggerEnv) write(t testing.TB, name, src string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(e.workflows, name), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

// start runs the orchestrator on the env's data directory, so a restart
// keeps Temporal's state and the catalog.
func (e *triggerEnv) start(t testing.TB) *harness.Stack {
	t.Helper()
	e.stack = harness.Start(t, harness.Options{DataDir: filepath.Join(e.dir, "data"),
		Args: []string{"--config", e.config, "--workflows", e.workflows}, Env: e.env})
	return e.stack
}

// countRuns counts the runs of a workflow, in any state.
func countRuns(t testing.TB, c client.Client, workflow string) int64 {
	t.Helper()
	resp, err := c.CountWorkflow(context.Background(), &workflowservice.CountWorkflowExecutionsRequest{Query: fmt.Sprintf("%s = '%s'", workflows.SearchWorkflow, workflow)})
	if err != nil {
		t.Fatalf("counting runs of %s: %v", workflow, err)
	}
	return resp.GetCount()
}

// waitRuns waits until a workflow has exactly want runs, then checks for a
// while that no more appear.
func waitRuns(t testing.TB, c client.Client, workflow string, want int64, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	var n int64
	for n = countRuns(t, c, workflow); n < want; n = countRuns(t, c, workflow) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d runs after %s, want %d", workflow, n, within, want)
		}
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(3 * time.Second)
	if n = countRuns(t, c, workflow); n != want {
		t.Fatalf("%s: %d runs, want exactly %d", workflow, n, want)
	}
}

func waitFor(t testing.TB, what string, within time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func postJSON(t testing.TB, url string, body any, headers map[string]string) (int, map[string]any, http.Header) {
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		raw = b
	default:
		raw, _ = json.Marshal(b)
	}
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(out, &m)
	return resp.StatusCode, m, resp.Header
}

func pgConn(t testing.TB) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), testPostgresURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func unique(prefix string) string { return fmt.Sprintf("%s_%d", prefix, time.Now().UnixNano()%1e9) }

// A schedule starts runs, a pause stops them, and removing the trigger
// deletes the Temporal Schedule.
func TestTriggerSchedule(t *testing.T) {
	e := newTriggerEnv(t)
	e.write(t, "tick.yaml", `
name: tick
triggers:
  - schedule: {cron: "@every 2s", overlap: allowAll, input: {from: schedule}}
steps:
  - return: ${{ input.from }}
`)
	s := e.start(t)
	c := s.Client(t)
	id := triggers.ScheduleID("tick", "schedule-1")
	waitFor(t, "two scheduled runs", time.Minute, func() bool { return countRuns(t, c, "tick") >= 2 })

	if code, body, _ := postJSON(t, s.APIURL+"/v1/schedules/"+id+"/pause", map[string]any{"note": "test"}, nil); code != http.StatusNoContent {
		t.Fatalf("pause: %d %v", code, body)
	}
	time.Sleep(time.Second)
	paused := countRuns(t, c, "tick")
	time.Sleep(5 * time.Second)
	if n := countRuns(t, c, "tick"); n != paused {
		t.Fatalf("paused schedule started runs: %d then %d", paused, n)
	}
	var list struct{ Schedules []triggers.ScheduleInfo }
	getJSON(t, s.APIURL+"/v1/schedules", &list)
	if len(list.Schedules) != 1 || list.Schedules[0].ID != id || !list.Schedules[0].Paused || list.Schedules[0].Workflow != "tick" {
		t.Fatalf("schedules = %+v", list.Schedules)
	}
	if code, _, _ := postJSON(t, s.APIURL+"/v1/schedules/"+id+"/trigger", nil, nil); code != http.StatusNoContent {
		t.Fatalf("trigger now: %d", code)
	}
	waitFor(t, "the triggered run", 20*time.Second, func() bool { return countRuns(t, c, "tick") == paused+1 })
	if code, _, _ := postJSON(t, s.APIURL+"/v1/schedules/fnchain-nope-schedule-1/pause", nil, nil); code != http.StatusNotFound {
		t.Fatalf("pausing an unknown schedule: %d, want 404", code)
	}
	if code, _, _ := postJSON(t, s.APIURL+"/v1/schedules/"+id+"/backfill", map[string]any{"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, nil); code != http.StatusUnprocessableEntity {
		t.Fatalf("backfill with end before start: %d, want 422", code)
	}

	e.write(t, "tick.yaml", "name: tick\nsteps:\n  - return: done\n")
	waitFor(t, "the schedule deleted", 30*time.Second, func() bool {
		_, err := c.ScheduleClient().GetHandle(context.Background(), id).Describe(context.Background())
		return err != nil
	})
}

func githubSig(body []byte, secret string) string {
	return "sha256=" + hex.EncodeToString(triggers.Sign(body, secret))
}

// Webhooks: a good GitHub or Stripe signature starts a run and, with wait,
// answers its result; a bad or missing one is refused; the same id twice
// is one run; a malformed body is refused with a clear message.
func TestTriggerWebhook(t *testing.T) {
	const secret = "hook-secret-123"
	e := newTriggerEnv(t, "TEST_HOOK_SECRET="+secret)
	e.write(t, "hook.yaml", `
name: hook
triggers:
  - http: {path: /hooks/orders, secret: env:TEST_HOOK_SECRET, wait: 20s}
    input: ${{ event.body }}
    id: ${{ event.body.order }}
  - http: {path: /hooks/async, secret: env:TEST_HOOK_SECRET}
    input: ${{ event.body }}
steps:
  - return: {order: "${{ input.order }}", total: "${{ input.total * 2 }}"}
`)
	s := e.start(t)
	c := s.Client(t)
	url := s.APIURL + "/hooks/orders"
	waitFor(t, "the webhook route", 30*time.Second, func() bool {
		code, _, _ := postJSON(t, url, []byte(`{}`), nil)
		return code != http.StatusNotFound
	})

	body := []byte(`{"order":"A-1","total":21}`)
	code, got, _ := postJSON(t, url, body, map[string]string{"X-Hub-Signature-256": githubSig(body, secret)})
	if code != http.StatusOK || got["status"] != "completed" || got["output"].(map[string]any)["total"] != 42.0 {
		t.Fatalf("good signature: %d %v", code, got)
	}
	first := got["workflowId"]
	if first != triggers.RunID("hook", triggers.Key(loadPlan(t, "name: hook\ntriggers:\n  - http: {path: /hooks/orders, secret: env:X, wait: 20s}\nsteps:\n  - return: 1\n"), 0), "A-1") {
		t.Fatalf("workflow id %v is not derived from the id mapping", first)
	}

	// Replayed: same id, same run.
	code, again, _ := postJSON(t, url, body, map[string]string{"X-Hub-Signature-256": githubSig(body, secret)})
	if code != http.StatusOK || again["workflowId"] != first || again["runId"] != got["runId"] {
		t.Fatalf("replay started another run: %d %v, first %v", code, again, got)
	}

	// Stripe style, with a fresh timestamp and then a stale one.
	body2 := []byte(`{"order":"A-2","total":1}`)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	stripe := "t=" + ts + ",v1=" + hex.EncodeToString(triggers.Sign([]byte(ts+"."+string(body2)), secret))
	if code, got, _ := postJSON(t, url, body2, map[string]string{"Stripe-Signature": stripe}); code != http.StatusOK || got["status"] != "completed" {
		t.Fatalf("stripe signature: %d %v", code, got)
	}
	old := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)
	staleSig := "t=" + old + ",v1=" + hex.EncodeToString(triggers.Sign([]byte(old+"."+string(body2)), secret))
	if code, got, _ := postJSON(t, url, body2, map[string]string{"Stripe-Signature": staleSig}); code != http.StatusUnauthorized {
		t.Fatalf("stale stripe signature: %d %v, want 401", code, got)
	}

	for name, h := range map[string]map[string]string{
		"bad signature": {"X-Hub-Signature-256": githubSig(body, "wrong")},
		"no signature":  nil,
		"bad bearer":    {"Authorization": "Bearer wrong"},
	} {
		if code, got, _ := postJSON(t, url, []byte(`{"order":"B-1","total":1}`), h); code != http.StatusUnauthorized {
			t.Fatalf("%s: %d %v, want 401", name, code, got)
		}
	}

	bad := []byte(`{"order": "C-1",`)
	code, got, _ = postJSON(t, url, bad, map[string]string{"X-Hub-Signature-256": githubSig(bad, secret)})
	if code != http.StatusBadRequest || !bytes.Contains([]byte(fmt.Sprint(got["detail"])), []byte("not valid JSON")) {
		t.Fatalf("malformed body: %d %v, want 400 naming the JSON", code, got)
	}

	// Bearer secret, no wait: 202 with the run's location.
	code, got, hdr := postJSON(t, s.APIURL+"/hooks/async", []byte(`{"order":"D-1","total":2}`), map[string]string{"Authorization": "Bearer " + secret})
	if code != http.StatusAccepted || hdr.Get("Location") != "/v1/runs/"+got["workflowId"].(string)+"/"+got["runId"].(string) {
		t.Fatalf("async webhook: %d %v %v", code, got, hdr)
	}
	if code, _, _ := postJSON(t, s.APIURL+"/hooks/none", []byte(`{}`), nil); code != http.StatusNotFound {
		t.Fatalf("unknown hook: %d, want 404", code)
	}
	// Visibility trails the starts: wait for the third run, then make sure
	// no fourth (a second A-1) appears.
	waitFor(t, "three webhook runs", 10*time.Second, func() bool { return countRuns(t, c, "hook") >= 3 })
	if n := countRuns(t, c, "hook"); n != 3 {
		t.Fatalf("%d runs, want 3 (A-1 once, A-2, D-1)", n)
	}
	waitFor(t, "webhook status", 10*time.Second, func() bool {
		var st struct{ Triggers []triggers.Status }
		getJSON(t, s.APIURL+"/v1/triggers", &st)
		for _, tr := range st.Triggers {
			if tr.Source == "POST /hooks/orders" {
				return tr.Runs >= 3 && tr.Failed >= 5 && tr.LastError != ""
			}
		}
		return false
	})
}

// feed is one data-change source under test.
type feed struct {
	workflow string
	trigger  string
	// ready reports whether the trigger's consumer is attached.
	ready func(t testing.TB) bool
	// publish sends events from..from+n-1, each naming its number as "n".
	publish func(t testing.TB, from, n int)
}

// testExactlyOnce proves the no-loss, no-duplicate promise of a source:
// 1,000 events sent while the orchestrator is down start 1,000 runs when it
// is back, and a SIGKILL in the middle of a second burst still ends with one
// run per event.
func testExactlyOnce(t *testing.T, f feed) {
	e := newTriggerEnv(t)
	e.write(t, f.workflow+".yaml", fmt.Sprintf(`
name: %s
triggers:
  - %s
steps:
  - return: ${{ input }}
`, f.workflow, f.trigger))
	s := e.start(t)
	waitFor(t, "the consumer attached", time.Minute, func() bool { return f.ready(t) })
	if err := s.Stop(harness.StopTimeout); err != nil {
		t.Fatal(err)
	}
	f.publish(t, 0, 1000)
	s = e.start(t)
	c := s.Client(t)
	waitRuns(t, c, f.workflow, 1000, 3*time.Minute)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); f.publish(t, 1000, 1000) }()
	waitFor(t, "the burst started", time.Minute, func() bool { return countRuns(t, c, f.workflow) >= 1100 })
	s.Kill()
	wg.Wait()
	s = e.start(t)
	waitRuns(t, s.Client(t), f.workflow, 2000, 4*time.Minute)
}

func TestTriggerPostgresExactlyOnce(t *testing.T) {
	table := unique("orders")
	conn := pgConn(t)
	ctx := context.Background()
	if _, err := conn.Exec(ctx, "CREATE TABLE "+table+" (id serial PRIMARY KEY, n int NOT NULL, note text)"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = conn.Exec(context.Background(), "DROP TABLE IF EXISTS "+table) })
	testExactlyOnce(t, feed{
		workflow: "pg-orders",
		trigger:  fmt.Sprintf("postgres: {connection: pg, table: public.%s, operations: [insert]}\n    input: {n: \"${{ event.row.n }}\", op: \"${{ event.operation }}\"}", table),
		ready: func(t testing.TB) bool {
			var active bool
			err := conn.QueryRow(ctx, `SELECT s.active FROM pg_publication_tables p JOIN pg_replication_slots s ON s.slot_name = p.pubname WHERE p.tablename = $1`, table).Scan(&active)
			return err == nil && active
		},
		publish: func(t testing.TB, from, n int) {
			for i := from; i < from+n; i++ {
				if _, err := conn.Exec(ctx, "INSERT INTO "+table+" (n, note) VALUES ($1, 'x')", i); err != nil {
					t.Error(err)
					return
				}
			}
		},
	})
}

func TestTriggerNATSExactlyOnce(t *testing.T) {
	subject := "fnchain.test." + unique("orders")
	nc, err := nats.Connect(testNATSURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t.Cleanup(func() {
		if name, err := js.StreamNameBySubject(ctx, subject); err == nil {
			_ = js.DeleteStream(ctx, name)
		}
	})
	testExactlyOnce(t, feed{
		workflow: "nats-orders",
		trigger:  "nats: {connection: bus, subject: " + subject + "}\n    input: ${{ event.data }}",
		ready: func(t testing.TB) bool {
			name, err := js.StreamNameBySubject(ctx, subject)
			if err != nil {
				return false
			}
			st, err := js.Stream(ctx, name)
			return err == nil && st.CachedInfo().State.Consumers > 0
		},
		publish: func(t testing.TB, from, n int) {
			for i := from; i < from+n; i++ {
				if _, err := js.Publish(ctx, subject, []byte(fmt.Sprintf(`{"n":%d}`, i))); err != nil {
					t.Error(err)
					return
				}
			}
		},
	})
}

func TestTriggerAMQPExactlyOnce(t *testing.T) {
	queue := unique("fnchain-orders")
	conn, err := amqp.Dial(testAMQPURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare(queue, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = ch.QueueDelete(queue, false, false, false) })
	testExactlyOnce(t, feed{
		workflow: "amqp-orders",
		trigger:  "amqp: {connection: broker, queue: " + queue + "}\n    input: ${{ event.body }}",
		ready: func(t testing.TB) bool {
			q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
			return err == nil && q.Consumers > 0
		},
		publish: func(t testing.TB, from, n int) {
			for i := from; i < from+n; i++ {
				err := ch.PublishWithContext(context.Background(), "", queue, false, false, amqp.Publishing{
					MessageId: fmt.Sprintf("m-%d", i), DeliveryMode: amqp.Persistent, Timestamp: time.Now(),
					ContentType: "application/json", Body: []byte(fmt.Sprintf(`{"n":%d}`, i)),
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		},
	})
}

// BenchmarkTriggerThroughput measures, per source, how fast a burst of b.N
// events becomes started runs (events/s, from the first event sent to the
// last run started) and the lag from each event to its run's start.
// Run it as: go test ./tests -run '^$' -bench TriggerThroughput -benchtime 500x
func BenchmarkTriggerThroughput(b *testing.B) {
	ctx := context.Background()
	b.Run("postgres", func(b *testing.B) {
		table := unique("bench")
		conn := pgConn(b)
		if _, err := conn.Exec(ctx, "CREATE TABLE "+table+" (id serial PRIMARY KEY, n int NOT NULL)"); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _, _ = conn.Exec(ctx, "DROP TABLE IF EXISTS "+table) })
		benchFeed(b, "bench-pg", fmt.Sprintf("postgres: {connection: pg, table: %s}\n    id: ${{ event.row.n }}", table),
			func() bool {
				var active bool
				err := conn.QueryRow(ctx, `SELECT s.active FROM pg_publication_tables p JOIN pg_replication_slots s ON s.slot_name = p.pubname WHERE p.tablename = $1`, table).Scan(&active)
				return err == nil && active
			},
			func(i int) error {
				_, err := conn.Exec(ctx, "INSERT INTO "+table+" (n) VALUES ($1)", i)
				return err
			})
	})
	b.Run("nats", func(b *testing.B) {
		subject := "fnchain.bench." + unique("events")
		nc, err := nats.Connect(testNATSURL)
		if err != nil {
			b.Fatal(err)
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		b.Cleanup(func() {
			if name, err := js.StreamNameBySubject(ctx, subject); err == nil {
				_ = js.DeleteStream(ctx, name)
			}
		})
		benchFeed(b, "bench-nats", "nats: {connection: bus, subject: "+subject+"}\n    id: ${{ event.data.n }}",
			func() bool {
				name, err := js.StreamNameBySubject(ctx, subject)
				if err != nil {
					return false
				}
				st, err := js.Stream(ctx, name)
				return err == nil && st.CachedInfo().State.Consumers > 0
			},
			func(i int) error {
				_, err := js.Publish(ctx, subject, []byte(fmt.Sprintf(`{"n":%d}`, i)))
				return err
			})
	})
}

func benchFeed(b *testing.B, workflow, trigger string, ready func() bool, send func(i int) error) {
	e := newTriggerEnv(b)
	e.write(b, workflow+".yaml", fmt.Sprintf("name: %s\ntriggers:\n  - %s\nsteps:\n  - return: ${{ input }}\n", workflow, trigger))
	s := e.start(b)
	c := s.Client(b)
	waitFor(b, "the consumer attached", time.Minute, ready)
	sent := make([]time.Time, b.N)
	b.ResetTimer()
	for i := range b.N {
		if err := send(i); err != nil {
			b.Fatal(err)
		}
		sent[i] = time.Now()
	}
	waitFor(b, "every run started", 10*time.Minute, func() bool { return countRuns(b, c, workflow) >= int64(b.N) })
	b.StopTimer()

	prefix := workflow + "-"
	var lags []time.Duration
	var last time.Time
	var token []byte
	for {
		resp, err := c.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("%s = '%s'", workflows.SearchWorkflow, workflow), NextPageToken: token, PageSize: 1000,
		})
		if err != nil {
			b.Fatal(err)
		}
		for _, ex := range resp.GetExecutions() {
			id := ex.GetExecution().GetWorkflowId()
			n, err := strconv.Atoi(id[strings.LastIndex(id, "-")+1:])
			if err != nil || !strings.HasPrefix(id, prefix) || n >= b.N {
				b.Fatalf("unexpected run %s", id)
			}
			started := ex.GetStartTime().AsTime()
			lags = append(lags, started.Sub(sent[n]))
			if started.After(last) {
				last = started
			}
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	p50, p99 := percentiles(lags)
	b.ReportMetric(float64(b.N)/last.Sub(sent[0]).Seconds(), "events/s")
	b.ReportMetric(ms(p50), "p50-lag-ms")
	b.ReportMetric(ms(p99), "p99-lag-ms")
}
