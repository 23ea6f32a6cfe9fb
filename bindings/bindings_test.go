package bindings_test

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/fnchain/orchestrator/activities"
	"github.com/fnchain/orchestrator/bindings"
)

func TestReadBackThroughBindings(t *testing.T) {
	_, env := openEnv(t, nil, bindings.Connections{
		"db":     {Type: "postgres", URL: postgresURL},
		"cache":  {Type: "redis", URL: redisURL},
		"events": {Type: "nats", URL: natsURL},
		"broker": {Type: "amqp", URL: amqpURL},
		"files":  {Type: "blob", URL: "file://" + t.TempDir()},
	})

	t.Run("postgres.query", func(t *testing.T) {
		out := mustCall(t, env, "postgres.query", map[string]any{"connection": "db",
			"sql": "SELECT $1::int8 AS big, 'a' || $2 AS s, gen_random_uuid() AS id WHERE $3", "args": []any{9007199254740993, "b", true}})
		rows := out["rows"].([]any)
		row := rows[0].(map[string]any)
		if len(rows) != 1 || row["s"] != "ab" || len(row["id"].(string)) != 36 {
			t.Fatalf("rows = %v", rows)
		}
		_, err := callActivity(t, env, "postgres.query", map[string]any{"connection": "db", "sql": "SELEC 1"})
		wantAppError(t, err, bindings.TypePostgres, false, "42601")
	})

	t.Run("redis.get", func(t *testing.T) {
		key := unique(t)
		mustCall(t, env, "redis.set", map[string]any{"connection": "cache", "key": key, "value": "plain"})
		if out := mustCall(t, env, "redis.get", map[string]any{"connection": "cache", "key": key}); out["found"] != true || out["value"] != "plain" {
			t.Fatalf("get = %v", out)
		}
		if out := mustCall(t, env, "redis.get", map[string]any{"connection": "cache", "key": key + "-missing"}); out["found"] != false {
			t.Fatalf("missing key = %v", out)
		}
		_, err := callActivity(t, env, "redis.set", map[string]any{"connection": "cache", "key": key, "value": 1, "ttl": "soon"})
		wantAppError(t, err, activities.TypeValidation, false, `"ttl"`)
	})

	t.Run("nats core publish and request", func(t *testing.T) {
		nc, err := nats.Connect(natsURL)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		subject := "fnchain.core." + unique(t)
		sub, err := nc.SubscribeSync(subject)
		if err != nil {
			t.Fatal(err)
		}
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
		if out := mustCall(t, env, "nats.publish", map[string]any{"connection": "events", "subject": subject, "data": "hi"}); out["stream"] != "" {
			t.Fatalf("core publish reported a stream: %v", out)
		}
		if msg, err := sub.NextMsg(5 * time.Second); err != nil || string(msg.Data) != "hi" {
			t.Fatalf("received %v, %v", msg, err)
		}
		svc := "fnchain.svc." + unique(t)
		if _, err := nc.Subscribe(svc, func(m *nats.Msg) { _ = m.Respond([]byte(`{"echo":` + string(m.Data) + `}`)) }); err != nil {
			t.Fatal(err)
		}
		_ = nc.Flush()
		out := mustCall(t, env, "nats.request", map[string]any{"connection": "events", "subject": svc, "data": map[string]any{"x": 1}})
		if out["data"].(map[string]any)["echo"].(map[string]any)["x"] != float64(1) {
			t.Fatalf("reply = %v", out)
		}
		_, err = callActivity(t, env, "nats.request", map[string]any{"connection": "events", "subject": svc + ".nobody"})
		wantAppError(t, err, bindings.TypeNoResponders, true)
	})

	t.Run("nats retries are de-duplicated", func(t *testing.T) {
		ensureStream(t, "FNCHAIN_CONFORMANCE", "fnchain.conformance.>")
		with := map[string]any{"connection": "events", "subject": "fnchain.conformance." + unique(t), "data": "once", "msgId": unique(t)}
		first := mustCall(t, env, "nats.publish", with)
		second := mustCall(t, env, "nats.publish", with)
		if first["duplicate"] != false || second["duplicate"] != true || first["sequence"] != second["sequence"] {
			t.Fatalf("first %v, second %v", first, second)
		}
	})

	t.Run("amqp unknown exchange", func(t *testing.T) {
		_, err := callActivity(t, env, "amqp.publish", map[string]any{"connection": "broker", "exchange": unique(t), "routingKey": "x", "body": "b"})
		wantAppError(t, err, activities.TypeValidation, false, `"exchange"`)
		q := amqpQueue(t)
		mustCall(t, env, "amqp.publish", map[string]any{"connection": "broker", "routingKey": q, "body": "after"})
		if msg := amqpGet(t, q); string(msg.Body) != "after" {
			t.Fatalf("the connection did not recover after the channel closed: %q", msg.Body)
		}
	})

	t.Run("blob read list delete", func(t *testing.T) {
		mustCall(t, env, "blob.write", map[string]any{"connection": "files", "key": "a/1.txt", "data": "one"})
		mustCall(t, env, "blob.write", map[string]any{"connection": "files", "key": "a/2.bin", "data": "/w==", "encoding": "base64"})
		if out := mustCall(t, env, "blob.read", map[string]any{"connection": "files", "key": "a/1.txt"}); out["data"] != "one" {
			t.Fatalf("read = %v", out)
		}
		if out := mustCall(t, env, "blob.read", map[string]any{"connection": "files", "key": "a/2.bin", "as": "base64"}); out["data"] != "/w==" {
			t.Fatalf("read base64 = %v", out)
		}
		_, err := callActivity(t, env, "blob.read", map[string]any{"connection": "files", "key": "a/2.bin"})
		wantAppError(t, err, activities.TypeValidation, false, "base64")
		list := mustCall(t, env, "blob.list", map[string]any{"connection": "files", "prefix": "a/", "limit": 1})
		if objs := list["objects"].([]any); len(objs) != 1 || list["truncated"] != true {
			t.Fatalf("list = %v", list)
		}
		if out := mustCall(t, env, "blob.delete", map[string]any{"connection": "files", "key": "a/1.txt"}); out["deleted"] != true {
			t.Fatalf("delete = %v", out)
		}
		_, err = callActivity(t, env, "blob.read", map[string]any{"connection": "files", "key": "a/1.txt"})
		wantAppError(t, err, bindings.TypeNotFound, false, "a/1.txt")
	})
}
