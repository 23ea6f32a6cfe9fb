package tests

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/nats-io/nats.go"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/redis/go-redis/v9"
	"go.temporal.io/api/temporalproto"

	historypb "go.temporal.io/api/history/v1"

	"github.com/fnchain/orchestrator/bindings"
	"github.com/fnchain/orchestrator/dsl"
	"github.com/fnchain/orchestrator/internal/sqldb"
	"github.com/fnchain/orchestrator/tests/harness"
	"github.com/fnchain/orchestrator/workflows"
)

// The password of the Postgres connection: the server trusts local
// connections and ignores it, so it can be any value, and it must appear
// nowhere but in the environment of the orchestrator.
const dbPassword = "pw-d0nt-l3ak-7f3a"

// Every binding, called by the interpreter on the embedded server, writes
// to its real service; the test reads the data back with the service's own
// client. The Postgres URL is a secret given as env:, and its password must
// not reach the run's history or the orchestrator's output.
func TestBindingsThroughTheInterpreter(t *testing.T) {
	ctx := context.Background()
	tag := fmt.Sprintf("b%d", time.Now().UnixNano())
	admin, err := sqldb.Open(ctx, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	table := tag + "_rows"
	if _, err := admin.Exec(ctx, "CREATE TABLE "+table+" (id TEXT PRIMARY KEY, v INT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	defer admin.Exec(ctx, "DROP TABLE "+table)

	// Subscribers first, so the messages the run publishes are seen.
	nc, err := nats.Connect(nats.DefaultURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	natsSub, err := nc.SubscribeSync(tag + ".events")
	if err != nil {
		t.Fatal(err)
	}
	mq := mqtt.NewClient(mqtt.NewClientOptions().AddBroker("tcp://127.0.0.1:1883").SetClientID(tag))
	if tok := mq.Connect(); tok.Wait() && tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer mq.Disconnect(100)
	mqttGot := make(chan string, 1)
	if tok := mq.Subscribe(tag+"/alerts", 1, func(_ mqtt.Client, m mqtt.Message) { mqttGot <- string(m.Payload()) }); tok.Wait() && tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	amqpConn, err := amqp.Dial("amqp://guest:guest@127.0.0.1:5672/")
	if err != nil {
		t.Fatal(err)
	}
	defer amqpConn.Close()
	ch, err := amqpConn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	queue := tag + "-jobs"
	if _, err := ch.QueueDeclare(queue, false, true, false, false, nil); err != nil {
		t.Fatal(err)
	}

	bucket := t.TempDir()
	conns := bindings.Connections{
		"db":      {Type: "postgres", URL: "env:FNCHAIN_TEST_DB_URL"},
		"cache":   {Type: "redis", URL: "redis://127.0.0.1:6379/0"},
		"events":  {Type: "nats", URL: "nats://127.0.0.1:4222"},
		"broker":  {Type: "amqp", URL: "amqp://guest:guest@127.0.0.1:5672/"},
		"sensors": {Type: "mqtt", URL: "tcp://127.0.0.1:1883"},
		"uploads": {Type: "blob", URL: "file://" + bucket},
	}
	cfg, _ := json.Marshal(map[string]any{"connections": conns})
	cfgPath := filepath.Join(t.TempDir(), "orchestrator.yaml")
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	s := harness.Start(t, harness.Options{
		Memory: true,
		Args:   []string{"--config", cfgPath, "--headless"},
		Env:    []string{"FNCHAIN_TEST_DB_URL=postgres://postgres:" + dbPassword + "@127.0.0.1:5432/test?sslmode=disable"},
	})
	c := s.Client(t)

	src := strings.ReplaceAll(`
name: bindings-roundtrip
steps:
  - call: postgres.exec
    with: {connection: db, sql: "insert into TAG_rows (id, v) values ($1, $2)", args: ["${{ input.id }}", 42]}
  - id: row
    call: postgres.query
    with: {connection: db, sql: "select v from TAG_rows where id = $1", args: ["${{ input.id }}"]}
  - call: redis.set
    with: {connection: cache, key: "TAG:greeting", value: {hello: "${{ input.id }}"}, ttl: 1m}
  - id: cached
    call: redis.get
    with: {connection: cache, key: "TAG:greeting"}
  - call: nats.publish
    with: {connection: events, subject: TAG.events, data: {id: "${{ input.id }}"}}
  - call: amqp.publish
    with: {connection: broker, routingKey: TAG-jobs, body: {job: "${{ input.id }}"}}
  - call: mqtt.publish
    with: {connection: sensors, topic: TAG/alerts, payload: "alert ${{ input.id }}"}
  - call: blob.write
    with: {connection: uploads, key: "in/${{ input.id }}.json", data: {v: "${{ steps.row.output.rows[0].v }}"}}
  - id: read
    call: blob.read
    with: {connection: uploads, key: "in/${{ input.id }}.json", as: json}
  - id: listed
    call: blob.list
    with: {connection: uploads, prefix: "in/"}
  - call: blob.write
    with: {connection: uploads, key: "tmp.txt", data: gone soon}
  - id: deleted
    call: blob.delete
    with: {connection: uploads, key: tmp.txt}
  # A failing query puts the connection's error in the worker's log.
  - try:
      - call: postgres.query
        with: {connection: db, sql: "select * from TAG_missing"}
    catch:
      - steps:
          - call: noop
output:
  pg: ${{ steps.row.output.rows[0].v }}
  redis: ${{ steps.cached.output.value.hello }}
  blob: ${{ steps.read.output.data.v }}
  listed: ${{ len(steps.listed.output.objects) }}
  deleted: ${{ steps.deleted.output.deleted }}
`, "TAG", tag)
	reg, err := bindings.NewRegistry(&bindings.Pool{})
	if err != nil {
		t.Fatal(err)
	}
	reg.SetConnections(conns)
	plans, err := dsl.Load("bindings.yaml", []byte(src), reg)
	if err != nil {
		t.Fatal(err)
	}
	run, err := workflows.Start(ctx, c, plans[0], map[string]any{"id": "r1"}, workflows.StartOptions{ID: tag, TaskQueue: "fnchain"})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var out map[string]any
	if err := run.Get(wctx, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, s.Output())
	}
	want := map[string]any{"pg": float64(42), "redis": "r1", "blob": float64(42), "listed": float64(1), "deleted": true}
	for k, v := range want {
		if out[k] != v {
			t.Errorf("output %s = %#v, want %#v (all: %v)", k, out[k], v, out)
		}
	}

	// Each service, asked with its own client.
	var v int
	if err := admin.QueryRow(ctx, "SELECT v FROM "+table+" WHERE id = ?", "r1").Scan(&v); err != nil || v != 42 {
		t.Errorf("postgres row: %d, %v", v, err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()
	if got, err := rdb.Get(ctx, tag+":greeting").Result(); err != nil || got != `{"hello":"r1"}` {
		t.Errorf("redis value %q, %v", got, err)
	}
	if ttl, _ := rdb.TTL(ctx, tag+":greeting").Result(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("redis ttl %s, want up to 1m", ttl)
	}
	if m, err := natsSub.NextMsg(10 * time.Second); err != nil || string(m.Data) != `{"id":"r1"}` {
		t.Errorf("nats message: %v %v", err, m)
	}
	if d, ok, err := ch.Get(queue, true); err != nil || !ok || string(d.Body) != `{"job":"r1"}` {
		t.Errorf("amqp message: ok=%v err=%v body=%s", ok, err, d.Body)
	}
	select {
	case p := <-mqttGot:
		if p != "alert r1" {
			t.Errorf("mqtt payload %q", p)
		}
	case <-time.After(10 * time.Second):
		t.Error("no mqtt message")
	}
	if data, err := os.ReadFile(filepath.Join(bucket, "in", "r1.json")); err != nil || string(data) != `{"v":42}` {
		t.Errorf("blob object %s, %v", data, err)
	}
	if _, err := os.Stat(filepath.Join(bucket, "tmp.txt")); !os.IsNotExist(err) {
		t.Errorf("deleted blob still there: %v", err)
	}

	// The secret stays in the worker: not in the run's history, not in the
	// output of the process.
	var events []*historypb.HistoryEvent
	it := c.GetWorkflowHistory(ctx, tag, "", false, 0)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, ev)
	}
	hist, err := temporalproto.CustomJSONMarshalOptions{}.Marshal(&historypb.History{Events: events})
	if err != nil {
		t.Fatal(err)
	}
	// Payloads are base64 in the JSON form: decode them all, so a secret
	// inside any input, result or failure would be found.
	text := string(hist)
	for _, m := range regexp.MustCompile(`"data":"([A-Za-z0-9+/=]+)"`).FindAllStringSubmatch(text, -1) {
		if raw, err := base64.StdEncoding.DecodeString(m[1]); err == nil {
			text += "\n" + string(raw)
		}
	}
	if !strings.Contains(text, `"connection":"db"`) {
		t.Fatalf("decoded history does not show this run's arguments: %.500s", text)
	}
	if !strings.Contains(s.Output(), tag+"_missing") {
		t.Fatalf("the failing query was not logged, so the log check proves nothing:\n%s", s.Output())
	}
	for what, text := range map[string]string{"the run's history": text, "the orchestrator's output": s.Output()} {
		if strings.Contains(text, dbPassword) {
			t.Errorf("the database password appears in %s", what)
		}
	}
}
