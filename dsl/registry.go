package dsl

import (
	"encoding/json"
	"slices"
)

// FunctionSpec describes a function that a `call` step may name.
type FunctionSpec struct {
	Name        string
	Description string
	Input       json.RawMessage // JSON Schema (2020-12) of `with`; nil accepts anything
	Output      json.RawMessage // JSON Schema of the output; nil = unknown
	Connection  string          // connection type required in with.connection ("postgres"); "" = none
}

// Registry is what the loader checks names against.
type Registry interface {
	Function(name string) (FunctionSpec, bool)
	FunctionNames() []string
	Connection(name string) (typ string, ok bool) // configured connection name -> its type
	ConnectionNames() []string
}

// StaticRegistry is a Registry held in memory: tests build one with exactly
// the functions and connections they need.
type StaticRegistry struct {
	Functions   map[string]FunctionSpec
	Connections map[string]string // connection name -> type
}

var _ Registry = (*StaticRegistry)(nil)

// Function returns the spec of a function.
func (r *StaticRegistry) Function(name string) (FunctionSpec, bool) {
	f, ok := r.Functions[name]
	return f, ok
}

// FunctionNames returns the function names, sorted.
func (r *StaticRegistry) FunctionNames() []string {
	return sortedKeys(r.Functions)
}

// Connection returns the type of a configured connection.
func (r *StaticRegistry) Connection(name string) (string, bool) {
	t, ok := r.Connections[name]
	return t, ok
}

// ConnectionNames returns the connection names, sorted.
func (r *StaticRegistry) ConnectionNames() []string {
	return sortedKeys(r.Connections)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestRegistry returns a StaticRegistry with the built-in functions and the
// bindings of the language (with argument schemas close to the real ones)
// and one connection per binding type: orders-db (postgres), cache (redis),
// events (nats), broker (amqp), sensors (mqtt), uploads (blob) and topic
// (pubsub). It serves tests and `orchestrator validate` until the function
// registry exists.
func TestRegistry() *StaticRegistry {
	r := &StaticRegistry{
		Functions: map[string]FunctionSpec{},
		Connections: map[string]string{
			"orders-db": "postgres",
			"cache":     "redis",
			"events":    "nats",
			"broker":    "amqp",
			"sensors":   "mqtt",
			"uploads":   "blob",
			"topic":     "pubsub",
		},
	}
	add := func(name, conn, desc, input string) {
		r.Functions[name] = FunctionSpec{Name: name, Description: desc, Connection: conn, Input: json.RawMessage(input)}
	}
	add("http.request", "", "send an HTTP request; output {status, headers, body} with JSON bodies decoded", `{
		"type": "object", "required": ["url"], "additionalProperties": false,
		"properties": {
			"method": {"enum": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]},
			"url": {"type": "string", "pattern": "^https?://"},
			"headers": {"type": "object", "additionalProperties": {"type": "string"}},
			"query": {"type": "object"},
			"body": {},
			"timeout": {"type": "string"}
		}}`)
	add("log", "", "write a message to the run's log", `{
		"type": "object", "required": ["message"], "additionalProperties": false,
		"properties": {"message": {"type": "string"}, "level": {"enum": ["debug", "info", "warn", "error"]}, "fields": {"type": "object"}}}`)
	add("noop", "", "do nothing; output is the input", "")
	conn := `"connection": {"type": "string"}`
	add("postgres.query", "postgres", "run a query; output is the rows", `{"type": "object", "required": ["connection", "sql"], "additionalProperties": false,
		"properties": {`+conn+`, "sql": {"type": "string"}, "args": {"type": "array"}}}`)
	add("postgres.exec", "postgres", "run a statement; output {rowsAffected}", `{"type": "object", "required": ["connection", "sql"], "additionalProperties": false,
		"properties": {`+conn+`, "sql": {"type": "string"}, "args": {"type": "array"}}}`)
	add("redis.get", "redis", "get a key", `{"type": "object", "required": ["connection", "key"], "additionalProperties": false,
		"properties": {`+conn+`, "key": {"type": "string"}}}`)
	add("redis.set", "redis", "set a key", `{"type": "object", "required": ["connection", "key", "value"], "additionalProperties": false,
		"properties": {`+conn+`, "key": {"type": "string"}, "value": {}, "ttl": {"type": "string"}}}`)
	add("redis.publish", "redis", "publish on a channel", `{"type": "object", "required": ["connection", "channel", "message"], "additionalProperties": false,
		"properties": {`+conn+`, "channel": {"type": "string"}, "message": {}}}`)
	add("nats.publish", "nats", "publish a message", `{"type": "object", "required": ["connection", "subject", "data"], "additionalProperties": false,
		"properties": {`+conn+`, "subject": {"type": "string"}, "data": {}, "headers": {"type": "object"}}}`)
	add("nats.request", "nats", "send a request and wait for the reply", `{"type": "object", "required": ["connection", "subject", "data"], "additionalProperties": false,
		"properties": {`+conn+`, "subject": {"type": "string"}, "data": {}, "timeout": {"type": "string"}}}`)
	add("amqp.publish", "amqp", "publish a message", `{"type": "object", "required": ["connection", "body"], "additionalProperties": false,
		"properties": {`+conn+`, "exchange": {"type": "string"}, "routingKey": {"type": "string"}, "body": {}, "headers": {"type": "object"}}}`)
	add("mqtt.publish", "mqtt", "publish a message", `{"type": "object", "required": ["connection", "topic", "payload"], "additionalProperties": false,
		"properties": {`+conn+`, "topic": {"type": "string"}, "payload": {}, "qos": {"enum": [0, 1, 2]}, "retain": {"type": "boolean"}}}`)
	add("blob.read", "blob", "read an object", `{"type": "object", "required": ["connection", "key"], "additionalProperties": false,
		"properties": {`+conn+`, "key": {"type": "string"}}}`)
	add("blob.write", "blob", "write an object", `{"type": "object", "required": ["connection", "key", "data"], "additionalProperties": false,
		"properties": {`+conn+`, "key": {"type": "string"}, "data": {}, "contentType": {"type": "string"}}}`)
	add("blob.list", "blob", "list objects", `{"type": "object", "required": ["connection"], "additionalProperties": false,
		"properties": {`+conn+`, "prefix": {"type": "string"}}}`)
	add("blob.delete", "blob", "delete an object", `{"type": "object", "required": ["connection", "key"], "additionalProperties": false,
		"properties": {`+conn+`, "key": {"type": "string"}}}`)
	add("pubsub.send", "pubsub", "send a message to a gocloud.dev topic", `{"type": "object", "required": ["connection", "body"], "additionalProperties": false,
		"properties": {`+conn+`, "body": {}, "metadata": {"type": "object"}}}`)
	return r
}
