package bindings

import (
	"errors"

	"github.com/fnchain/orchestrator/activities"
)

// binder gives binding functions their pool.
type binder struct {
	pool *Pool
}

// Register adds every binding function to reg, bound to the connections of
// pool, and tells reg which connections are configured.
func Register(reg *activities.Registry, pool *Pool) error {
	reg.SetConnections(pool)
	b := binder{pool: pool}
	pg := activities.WithConnection("postgres")
	rd := activities.WithConnection("redis")
	nt := activities.WithConnection("nats")
	bl := activities.WithConnection("blob")
	return errors.Join(
		activities.Register(reg, "postgres.query", "Run a SQL query with parameters and return its rows.", b.postgresQuery, pg),
		activities.Register(reg, "postgres.exec", "Run a SQL statement with parameters and return the number of rows it changed.", b.postgresExec, pg),
		activities.Register(reg, "redis.get", "Read a key.", b.redisGet, rd),
		activities.Register(reg, "redis.set", "Write a key, optionally with a time to live.", b.redisSet, rd),
		activities.Register(reg, "redis.publish", "Publish a message on a channel.", b.redisPublish, rd),
		activities.Register(reg, "nats.publish", "Publish a message. When a JetStream stream holds the subject, "+
			"the publish waits for the stream's ack and is de-duplicated across retries; otherwise it is a core NATS publish.", b.natsPublish, nt),
		activities.Register(reg, "nats.request", "Send a request and wait for one reply.", b.natsRequest, nt),
		activities.Register(reg, "amqp.publish", "Publish a message and wait for the broker's confirm.", b.amqpPublish, activities.WithConnection("amqp")),
		activities.Register(reg, "blob.write", "Write an object.", b.blobWrite, bl),
		activities.Register(reg, "blob.read", "Read an object.", b.blobRead, bl),
		activities.Register(reg, "blob.list", "List objects by key prefix.", b.blobList, bl),
		activities.Register(reg, "blob.delete", "Delete an object; deleting a missing object succeeds with deleted false.", b.blobDelete, bl),
		activities.Register(reg, "pubsub.send", "Send a message to a gocloud.dev topic.", b.pubsubSend, activities.WithConnection("pubsub")),
		activities.Register(reg, "mqtt.publish", "Publish a message; with QoS 1 (the default) the step ends when the broker acknowledged it.", b.mqttPublish, activities.WithConnection("mqtt")),
	)
}

// NewRegistry returns the registry a worker serves: the built-in functions
// and every binding function over pool.
func NewRegistry(pool *Pool) (*activities.Registry, error) {
	reg := activities.Builtin()
	if err := Register(reg, pool); err != nil {
		return nil, err
	}
	return reg, nil
}
