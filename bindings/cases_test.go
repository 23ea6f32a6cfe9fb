package bindings_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/redis/go-redis/v9"
	"gocloud.dev/pubsub"
)

const (
	postgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	redisURL    = "redis://127.0.0.1:6379/0"
	natsURL     = "nats://127.0.0.1:4222"
	amqpURL     = "amqp://guest:guest@127.0.0.1:5672/"
	mqttURL     = "mqtt://127.0.0.1:1883"
)

func conformanceCases() []bindingCase {
	var blobDir string
	var topicURL string
	var sub *pubsub.Subscription
	return []bindingCase{
		{
			typ: "blob",
			url: func(t *testing.T) string {
				blobDir = t.TempDir()
				return "file://" + blobDir
			},
			fn: "blob.write",
			with: func(t *testing.T) map[string]any {
				return map[string]any{"key": "in/" + unique(t) + ".json", "data": map[string]any{"a": []any{1, 2}}}
			},
			verify: func(t *testing.T, with, result map[string]any) {
				key := with["key"].(string)
				got, err := os.ReadFile(filepath.Join(blobDir, filepath.FromSlash(key)))
				if err != nil || string(got) != `{"a":[1,2]}` || result["size"] != float64(len(got)) {
					t.Fatalf("file holds %q (%v), result %v", got, err, result)
				}
			},
			badArg: "key",
		},
		{
			typ: "pubsub",
			url: func(t *testing.T) string {
				topicURL = "mem://" + unique(t)
				return topicURL
			},
			fn: "pubsub.send",
			with: func(t *testing.T) map[string]any {
				if sub == nil {
					var err error
					// The topic exists once the pool is open, and a mem topic
					// delivers only to subscriptions that exist before the send.
					if sub, err = pubsub.OpenSubscription(context.Background(), topicURL); err != nil {
						t.Fatal(err)
					}
				}
				return map[string]any{"body": "ping", "metadata": map[string]any{"k": "v"}}
			},
			verify: func(t *testing.T, with, result map[string]any) {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				msg, err := sub.Receive(ctx)
				if err != nil || string(msg.Body) != "ping" || msg.Metadata["k"] != "v" || result["sent"] != true {
					t.Fatalf("received %v (%v), result %v", msg, err, result)
				}
				msg.Ack()
			},
			badArg: "metadata",
		},
		{
			typ: "postgres",
			url: func(t *testing.T) string {
				pgExec(t, `CREATE TABLE IF NOT EXISTS fnchain_conformance (id text PRIMARY KEY, n int8, doc jsonb)`)
				return postgresURL
			},
			downURL: func(_ *testing.T, port int) string {
				return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/test?sslmode=disable&connect_timeout=2", port)
			},
			fn: "postgres.exec",
			with: func(t *testing.T) map[string]any {
				return map[string]any{
					"sql":  `INSERT INTO fnchain_conformance (id, n, doc) VALUES ($1, $2, $3)`,
					"args": []any{unique(t), 9007199254740993, map[string]any{"k": "v"}},
				}
			},
			verify: func(t *testing.T, with, result map[string]any) {
				if result["rowsAffected"] != float64(1) {
					t.Fatalf("result = %v", result)
				}
				var n int64
				var doc map[string]any
				id := with["args"].([]any)[0]
				if err := pgConn(t).QueryRow(context.Background(), `SELECT n, doc FROM fnchain_conformance WHERE id = $1`, id).Scan(&n, &doc); err != nil {
					t.Fatal(err)
				}
				if n != 9007199254740993 || doc["k"] != "v" {
					t.Fatalf("row = %d %v", n, doc)
				}
			},
			badArg: "sql",
		},
		{
			typ:     "redis",
			url:     func(*testing.T) string { return redisURL },
			downURL: func(_ *testing.T, port int) string { return fmt.Sprintf("redis://127.0.0.1:%d/0", port) },
			fn:      "redis.set",
			with: func(t *testing.T) map[string]any {
				return map[string]any{"key": unique(t), "value": map[string]any{"a": 1}, "ttl": "1m"}
			},
			verify: func(t *testing.T, with, result map[string]any) {
				rc := redisClient(t)
				key := with["key"].(string)
				got, err := rc.Get(context.Background(), key).Result()
				if err != nil || got != `{"a":1}` || result["key"] != key {
					t.Fatalf("stored %q (%v), result %v", got, err, result)
				}
				if ttl := rc.TTL(context.Background(), key).Val(); ttl <= 0 || ttl > time.Minute {
					t.Fatalf("ttl = %v", ttl)
				}
			},
			badArg: "key",
		},
		{
			typ: "nats",
			url: func(t *testing.T) string {
				ensureStream(t, "FNCHAIN_CONFORMANCE", "fnchain.conformance.>")
				return natsURL
			},
			downURL: func(_ *testing.T, port int) string { return fmt.Sprintf("nats://127.0.0.1:%d", port) },
			fn:      "nats.publish",
			with: func(t *testing.T) map[string]any {
				id := unique(t)
				return map[string]any{"subject": "fnchain.conformance." + id, "data": map[string]any{"n": 1}, "msgId": id}
			},
			verify: func(t *testing.T, with, result map[string]any) {
				if result["stream"] != "FNCHAIN_CONFORMANCE" || result["sequence"] == float64(0) {
					t.Fatalf("result = %v", result)
				}
				msg, err := natsStream(t, "FNCHAIN_CONFORMANCE").GetLastMsgForSubject(context.Background(), with["subject"].(string))
				if err != nil || string(msg.Data) != `{"n":1}` {
					t.Fatalf("stored %v, %v", msg, err)
				}
			},
			badArg: "subject",
		},
		{
			typ:     "amqp",
			url:     func(*testing.T) string { return amqpURL },
			downURL: func(_ *testing.T, port int) string { return fmt.Sprintf("amqp://guest:guest@127.0.0.1:%d/", port) },
			fn:      "amqp.publish",
			with: func(t *testing.T) map[string]any {
				return map[string]any{"routingKey": amqpQueue(t), "body": map[string]any{"order": "o-1"}, "headers": map[string]any{"attempt": 1}}
			},
			verify: func(t *testing.T, with, result map[string]any) {
				if result["confirmed"] != true {
					t.Fatalf("result = %v", result)
				}
				msg := amqpGet(t, with["routingKey"].(string))
				if string(msg.Body) != `{"order":"o-1"}` || msg.ContentType != "application/json" || msg.DeliveryMode != amqp.Persistent || msg.Headers["attempt"] != int64(1) {
					t.Fatalf("delivered %+v", msg)
				}
			},
			badArg: "routingKey",
		},
		{
			typ:     "mqtt",
			url:     func(*testing.T) string { return mqttURL },
			downURL: func(_ *testing.T, port int) string { return fmt.Sprintf("mqtt://127.0.0.1:%d", port) },
			fn:      "mqtt.publish",
			with: func(t *testing.T) map[string]any {
				return map[string]any{"topic": "fnchain/conformance/" + unique(t), "payload": "hello", "retain": true}
			},
			verify: func(t *testing.T, with, result map[string]any) {
				topic := with["topic"].(string)
				if result["topic"] != topic {
					t.Fatalf("result = %v", result)
				}
				if got := mqttRetained(t, topic); got != "hello" {
					t.Fatalf("retained message = %q", got)
				}
			},
			badArg: "topic",
		},
	}
}

func pgConn(t *testing.T) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), postgresURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

func pgExec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := pgConn(t).Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

func redisClient(t *testing.T) *redis.Client {
	t.Helper()
	rc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	t.Cleanup(func() { _ = rc.Close() })
	return rc
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func natsJetStream(t *testing.T) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

func ensureStream(t *testing.T, name string, subjects ...string) {
	t.Helper()
	_, err := natsJetStream(t).CreateOrUpdateStream(context.Background(), jetstream.StreamConfig{Name: name, Subjects: subjects, MaxMsgs: 10000})
	if err != nil {
		t.Fatal(err)
	}
}

func natsStream(t *testing.T, name string) jetstream.Stream {
	t.Helper()
	s, err := natsJetStream(t).Stream(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func amqpChannel(t *testing.T) *amqp.Channel {
	t.Helper()
	conn, err := amqp.Dial(amqpURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// amqpQueue declares a queue that removes itself when the test ends.
func amqpQueue(t *testing.T) string {
	t.Helper()
	name := unique(t)
	ch := amqpChannel(t)
	if _, err := ch.QueueDeclare(name, false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = amqpChannel(t).QueueDelete(name, false, false, false) })
	return name
}

func amqpGet(t *testing.T, queue string) amqp.Delivery {
	t.Helper()
	msg, ok, err := amqpChannel(t).Get(queue, true)
	if err != nil || !ok {
		t.Fatalf("getting from %s: ok=%v err=%v", queue, ok, err)
	}
	return msg
}

// mqttRetained subscribes to topic and returns the retained message, then
// clears it.
func mqttRetained(t *testing.T, topic string) string {
	t.Helper()
	client := mqtt.NewClient(mqtt.NewClientOptions().AddBroker("tcp://127.0.0.1:1883").SetClientID(unique(t)))
	if tok := client.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connecting to mosquitto: %v", tok.Error())
	}
	defer client.Disconnect(100)
	got := make(chan string, 1)
	tok := client.Subscribe(topic, 1, func(_ mqtt.Client, m mqtt.Message) {
		select {
		case got <- string(m.Payload()):
		default:
		}
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribing: %v", tok.Error())
	}
	defer client.Publish(topic, 1, true, []byte{}).WaitTimeout(time.Second)
	select {
	case m := <-got:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no retained message")
		return ""
	}
}
