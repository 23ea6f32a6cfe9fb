// Package triggers starts runs from outside events: HTTP webhooks, Temporal
// Schedules and data changes (Postgres logical replication, NATS JetStream,
// AMQP queues, blob buckets), as the `triggers:` of deployed workflows say.
//
// # Keys and dedupe
//
// Every trigger has a stable key (Key) derived from its type and what it
// listens to, so a redeploy that only changes `input:` keeps the key while
// a new table, subject or path makes a new trigger. A run started by an
// event gets the workflow ID "<workflow>-<key>-<event id>", where the event
// id is the trigger's `id:` mapping or, without one, the source's own
// delivery identity (the WAL position of a row change, the JetStream stream
// sequence, the AMQP message-id, the object key and modification time).
// Starts use the conflict policy USE_EXISTING and the reuse policy
// REJECT_DUPLICATE, so an event delivered twice starts one run.
//
// # Acknowledgement
//
// An event is acknowledged to its source (the replication slot's confirmed
// flush position, a JetStream ack, an AMQP ack, the blob cursor) only after
// the start call returned, so the run exists or already existed: a crash
// between the two redelivers the event and the dedupe keeps it to one run.
//
// # Where each part runs
//
// Webhooks and the reconcilers (Manager.Apply) run in processes that serve
// the API. Data-change consumers run once per cluster as the Temporal
// workflow ConsumerWorkflow with a fixed ID per trigger and one long,
// heartbeating activity, registered on the worker by Manager.Register:
// Temporal keeps a single instance and restarts it on another worker after a
// crash.
package triggers
