package triggers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/fnchain/orchestrator/bindings"
	"github.com/fnchain/orchestrator/dsl"
	"github.com/fnchain/orchestrator/internal/sqldb"
)

// Options configure a Manager.
type Options struct {
	Client client.Client
	// DB holds trigger status and blob cursors.
	DB *sqldb.DB
	// TaskQueue is where runs of plans without a taskQueue, and the consumer
	// workflows, go.
	TaskQueue string
	// Connections are the configured connections; sources open their own
	// clients from them.
	Connections bindings.Connections
	// Plans returns the current definition of a workflow, or an error
	// wrapping catalog.ErrNotFound when it is not deployed.
	Plans func(ctx context.Context, name string) (*dsl.Workflow, error)
	// BlobPollInterval is how often blob triggers list their prefix;
	// zero means DefaultBlobPollInterval.
	BlobPollInterval time.Duration
	Logger           *slog.Logger
}

// Manager runs the triggers of the deployed workflows. One process may use
// any part of it: Apply and Handler in processes that serve the API,
// Register in workers, Run in both.
type Manager struct {
	opts      Options
	logger    *slog.Logger
	st        *starter
	hooks     *webhooks
	schedules *schedules
	consumers *consumers

	mu       sync.Mutex
	declared []declared
}

// New prepares a Manager and migrates its tables.
func New(ctx context.Context, opts Options) (*Manager, error) {
	if opts.Client == nil || opts.DB == nil || opts.Plans == nil || opts.TaskQueue == "" {
		return nil, errors.New("triggers.New: Client, DB, Plans and TaskQueue are required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.BlobPollInterval < 0 {
		return nil, fmt.Errorf("triggers.New: BlobPollInterval is %s: make it positive, or zero for the default %s", opts.BlobPollInterval, DefaultBlobPollInterval)
	}
	if opts.BlobPollInterval == 0 {
		opts.BlobPollInterval = DefaultBlobPollInterval
	}
	rec, err := newRecorder(ctx, opts.DB)
	if err != nil {
		return nil, err
	}
	if err := migrateBlob(ctx, opts.DB); err != nil {
		return nil, err
	}
	m := &Manager{opts: opts, logger: opts.Logger}
	m.st = &starter{client: opts.Client, taskQueue: opts.TaskQueue, status: rec}
	m.hooks = &webhooks{starter: m.st, logger: opts.Logger}
	m.schedules = &schedules{client: opts.Client, taskQueue: opts.TaskQueue}
	m.consumers = &consumers{m: m}
	return m, nil
}

// Handler serves the http triggers; mount it at WebhookPrefix.
func (m *Manager) Handler() http.Handler { return m.hooks }

// Register adds the consumer workflow and its activities to a worker.
func (m *Manager) Register(w worker.Registry) { m.consumers.register(w) }

// Apply makes the triggers of plans, the whole deployed set, take effect:
// webhook routes, Temporal Schedules and consumer workflows. It is
// idempotent and safe to run in several processes at once. Every problem is
// returned; the triggers without one still take effect.
func (m *Manager) Apply(ctx context.Context, plans []*dsl.Workflow) error {
	all := triggersOf(plans)
	m.mu.Lock()
	m.declared = all
	m.mu.Unlock()
	errs := m.hooks.set(all)
	if err := m.schedules.reconcile(ctx, all); err != nil {
		errs = append(errs, err)
	}
	if err := m.consumers.reconcile(ctx, all); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Run writes status every second until ctx ends.
func (m *Manager) Run(ctx context.Context) error { return m.st.status.run(ctx, time.Second) }

// Status lists the triggers of the last Apply with what they did.
func (m *Manager) Status(ctx context.Context) ([]Status, error) {
	if err := m.st.status.flush(ctx); err != nil {
		return nil, err
	}
	m.mu.Lock()
	all := m.declared
	m.mu.Unlock()
	out := make([]Status, 0, len(all))
	for _, d := range all {
		out = append(out, Status{Workflow: d.plan.Name, Key: d.key, Type: string(d.trigger.Type), Source: describeSource(d.trigger)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Workflow != out[j].Workflow {
			return out[i].Workflow < out[j].Workflow
		}
		return out[i].Key < out[j].Key
	})
	if err := m.st.status.load(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

func describeSource(t *dsl.Trigger) string {
	switch t.Type {
	case dsl.TriggerHTTP:
		return t.HTTP.Method + " " + t.HTTP.Path
	case dsl.TriggerSchedule:
		return t.Schedule.Cron
	case dsl.TriggerPostgres:
		return t.Postgres.Connection + ": " + t.Postgres.Table
	case dsl.TriggerNATS:
		return t.NATS.Connection + ": " + t.NATS.Subject
	case dsl.TriggerAMQP:
		return t.AMQP.Connection + ": " + t.AMQP.Queue
	case dsl.TriggerBlob:
		return fmt.Sprintf("%s: %s*", t.Blob.Connection, t.Blob.Prefix)
	}
	return ""
}
