package triggers

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/fnchain/orchestrator/dsl"
	"github.com/fnchain/orchestrator/internal/catalog"
	"github.com/fnchain/orchestrator/internal/secret"
)

// Temporal names of the consumer workflow and its activities. DSL workflow
// names are lowercase, so these can never collide with a deployed workflow.
const (
	ConsumerWorkflowName = "FnchainTriggerConsumer"
	consumeActivityName  = "FnchainTriggerConsume"
	cleanupActivityName  = "FnchainTriggerCleanup"
	errTypeRemoved       = "TriggerRemoved"
)

// consumerSlice is how long one consume activity runs before it returns and
// the workflow starts the next, so StartToClose stays meaningful.
const consumerSlice = time.Hour

// consumerConcurrency bounds the starts one consumer has in flight.
const consumerConcurrency = 32

// ConsumerInput names the trigger a consumer workflow serves and carries
// what removing it needs once its workflow is no longer deployed.
type ConsumerInput struct {
	Workflow   string          `json:"workflow"`
	Key        string          `json:"key"`
	Type       dsl.TriggerType `json:"type"`
	Connection string          `json:"connection"`
	// Subject is the NATS subject, for finding the stream on removal.
	Subject string `json:"subject,omitempty"`
}

// ConsumerID is the fixed workflow ID of a trigger's consumer.
func ConsumerID(workflow, key string) string { return "fnchain-trigger-" + workflow + "-" + key }

// source is one trigger's feed of events.
type source interface {
	// run delivers events until ctx ends or the feed fails. It acknowledges
	// an event only after deliver returned nil for it.
	run(ctx context.Context, deliver func(context.Context, Event) error) error
}

// sourceOpener prepares the source of a trigger; url is the resolved URL
// of its connection.
type sourceOpener struct {
	open    func(ctx context.Context, d declared, url string, m *Manager) (source, error)
	cleanup func(ctx context.Context, in ConsumerInput, url string, m *Manager) error
}

var sources = map[dsl.TriggerType]sourceOpener{}

func connectionOf(t *dsl.Trigger) (conn, subject string) {
	switch t.Type {
	case dsl.TriggerPostgres:
		return t.Postgres.Connection, ""
	case dsl.TriggerNATS:
		return t.NATS.Connection, t.NATS.Subject
	case dsl.TriggerAMQP:
		return t.AMQP.Connection, ""
	case dsl.TriggerBlob:
		return t.Blob.Connection, ""
	}
	return "", ""
}

// consumers runs the data-change triggers.
type consumers struct {
	m *Manager
}

// reconcile starts a consumer workflow for every data-change trigger and
// cancels those whose trigger is gone. Starting uses USE_EXISTING, so it is
// a no-op for a consumer already running, from this process or another.
func (c *consumers) reconcile(ctx context.Context, all []declared) error {
	var errs []error
	wanted := map[string]bool{}
	for _, d := range all {
		if _, ok := sources[d.trigger.Type]; !ok {
			continue
		}
		id := ConsumerID(d.plan.Name, d.key)
		wanted[id] = true
		conn, subject := connectionOf(d.trigger)
		in := ConsumerInput{Workflow: d.plan.Name, Key: d.key, Type: d.trigger.Type, Connection: conn, Subject: subject}
		_, err := c.m.opts.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID:                       id,
			TaskQueue:                c.m.opts.TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
			StaticSummary:            fmt.Sprintf("%s trigger %s of workflow %s", d.trigger.Type, d.key, d.plan.Name),
		}, ConsumerWorkflowName, in)
		if err != nil {
			errs = append(errs, fmt.Errorf("starting the consumer of %s trigger %s of %s: %w", d.trigger.Type, d.key, d.plan.Name, err))
		}
	}
	running, err := c.running(ctx)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, id := range running {
		if wanted[id] {
			continue
		}
		if err := c.m.opts.Client.CancelWorkflow(ctx, id, ""); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("stopping consumer %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

func (c *consumers) running(ctx context.Context) ([]string, error) {
	var ids []string
	var token []byte
	for {
		resp, err := c.m.opts.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query:         fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running'", ConsumerWorkflowName),
			NextPageToken: token,
		})
		if err != nil {
			return nil, fmt.Errorf("listing trigger consumers: %w", err)
		}
		for _, e := range resp.GetExecutions() {
			ids = append(ids, e.GetExecution().GetWorkflowId())
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			return ids, nil
		}
	}
}

// ConsumerWorkflow runs one data-change trigger: its activity consumes for
// a slice of time and is retried forever after a crash; when the trigger is
// removed (the workflow is cancelled, or the activity finds it undeployed)
// it removes what the trigger created at the source.
func ConsumerWorkflow(ctx workflow.Context, in ConsumerInput) error {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: consumerSlice + time.Minute,
		HeartbeatTimeout:    10 * time.Second,
		WaitForCancellation: true,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        15 * time.Second,
			NonRetryableErrorTypes: []string{errTypeRemoved},
		},
	})
	for range 50 {
		err := workflow.ExecuteActivity(actx, consumeActivityName, in).Get(actx, nil)
		var app *temporal.ApplicationError
		switch {
		case err == nil:
			continue
		case ctx.Err() != nil || (errors.As(err, &app) && app.Type() == errTypeRemoved):
			return cleanup(ctx, in)
		default:
			return err
		}
	}
	return workflow.NewContinueAsNewError(ctx, ConsumerWorkflowName, in)
}

func cleanup(ctx workflow.Context, in ConsumerInput) error {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	dctx = workflow.WithActivityOptions(dctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 5},
	})
	return workflow.ExecuteActivity(dctx, cleanupActivityName, in).Get(dctx, nil)
}

// register adds the consumer workflow and activities to a worker.
func (c *consumers) register(w worker.Registry) {
	w.RegisterWorkflowWithOptions(ConsumerWorkflow, workflow.RegisterOptions{Name: ConsumerWorkflowName})
	w.RegisterActivityWithOptions(c.consume, activity.RegisterOptions{Name: consumeActivityName})
	w.RegisterActivityWithOptions(c.cleanup, activity.RegisterOptions{Name: cleanupActivityName})
}

var errRemoved = errors.New("the trigger is no longer deployed")

// consume runs the trigger's source for one slice. It heartbeats, and
// follows redeploys: a changed input mapping applies to the next event; a
// removed trigger ends the activity with a non-retryable TriggerRemoved.
func (c *consumers) consume(ctx context.Context, in ConsumerInput) error {
	d, err := c.lookup(ctx, in)
	if errors.Is(err, errRemoved) {
		return temporal.NewNonRetryableApplicationError(err.Error(), errTypeRemoved, nil)
	}
	if err != nil {
		return err
	}
	url, err := c.m.connectionURL(in.Connection, in.Type)
	if err != nil {
		return err
	}
	var cur atomic.Pointer[declared]
	cur.Store(&d)
	src, err := sources[in.Type].open(ctx, d, url, c.m)
	if err != nil {
		c.m.st.status.fail(d, err)
		return err
	}
	ctx, cancel := context.WithTimeoutCause(ctx, consumerSlice, errSliceOver)
	defer cancel()
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	go c.follow(ctx, in, &cur, stop)
	go func() {
		// A draining worker would otherwise wait out its whole shutdown
		// timeout for this activity; the next attempt resumes the source.
		select {
		case <-activity.GetWorkerStopChannel(ctx):
			stop(errWorkerStopping)
		case <-ctx.Done():
		}
	}()
	logger := c.m.logger.With("workflow", in.Workflow, "trigger", in.Key, "type", in.Type)
	logger.Info("trigger consumer started")
	err = src.run(ctx, func(ctx context.Context, ev Event) error {
		err := c.m.st.startRetrying(ctx, *cur.Load(), ev)
		var me *MappingError
		if errors.As(err, &me) {
			logger.Error("event skipped: its mapping failed", "error", err)
			return nil
		}
		return err
	})
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errRemoved):
		return temporal.NewNonRetryableApplicationError(cause.Error(), errTypeRemoved, nil)
	case errors.Is(cause, errSliceOver):
		return nil
	case errors.Is(cause, errWorkerStopping):
		return cause
	case err != nil:
		logger.Error("trigger consumer failed", "error", err)
		c.m.st.status.fail(d, err)
	}
	return err
}

var (
	errSliceOver      = errors.New("slice over")
	errWorkerStopping = errors.New("the worker is stopping")
)

// follow heartbeats and reloads the trigger's plan until ctx ends.
func (c *consumers) follow(ctx context.Context, in ConsumerInput, cur *atomic.Pointer[declared], stop context.CancelCauseFunc) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		activity.RecordHeartbeat(ctx)
		d, err := c.lookup(ctx, in)
		switch {
		case errors.Is(err, errRemoved):
			stop(err)
			return
		case err == nil:
			cur.Store(&d)
		}
	}
}

// lookup finds the trigger in the current definition of its workflow.
func (c *consumers) lookup(ctx context.Context, in ConsumerInput) (declared, error) {
	plan, err := c.m.opts.Plans(ctx, in.Workflow)
	if errors.Is(err, catalog.ErrNotFound) {
		return declared{}, errRemoved
	}
	if err != nil {
		return declared{}, fmt.Errorf("reading workflow %s: %w", in.Workflow, err)
	}
	for i := range plan.Triggers {
		if Key(plan, i) == in.Key {
			return declared{plan: plan, trigger: plan.Triggers[i], key: in.Key}, nil
		}
	}
	return declared{}, errRemoved
}

// cleanup removes what a removed trigger created at its source.
func (c *consumers) cleanup(ctx context.Context, in ConsumerInput) error {
	url, err := c.m.connectionURL(in.Connection, in.Type)
	if err != nil {
		// The connection went with the trigger: nothing can be reached.
		c.m.logger.Warn("trigger removed; its source is not cleaned up", "workflow", in.Workflow, "trigger", in.Key, "error", err)
		return nil
	}
	if err := sources[in.Type].cleanup(ctx, in, url, c.m); err != nil {
		return fmt.Errorf("cleaning up %s trigger %s of %s: %w", in.Type, in.Key, in.Workflow, err)
	}
	c.m.logger.Info("trigger removed", "workflow", in.Workflow, "trigger", in.Key, "type", in.Type)
	return nil
}

// connectionURL resolves the URL of a configured connection of type typ.
func (m *Manager) connectionURL(name string, typ dsl.TriggerType) (string, error) {
	cfg, ok := m.opts.Connections[name]
	if !ok || cfg.Type != string(typ) {
		return "", fmt.Errorf("no %s connection named %q in the configuration: add it under connections:", typ, name)
	}
	url, err := secret.Resolve(cfg.URL)
	if err != nil {
		return "", fmt.Errorf("connection %q: %w", name, err)
	}
	return url, nil
}
