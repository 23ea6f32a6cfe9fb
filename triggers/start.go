package triggers

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/fnchain/orchestrator/dsl"
	"github.com/fnchain/orchestrator/workflows"
)

// Event is one delivery of a source, before mapping.
type Event struct {
	// Data is `event` in the trigger's input and id mappings.
	Data any
	// ID is the source's own delivery identity, the dedupe key when the
	// trigger sets no `id:`; empty means the source has none and every
	// delivery starts a run.
	ID string
	// At is when the event happened at its source (commit time, publish
	// time); zero when unknown. It gives the lag to the run's start.
	At time.Time
}

// MappingError is an event the trigger's `input:` or `id:` cannot map.
// Retrying cannot help, so consumers record it and move on.
type MappingError struct{ Err error }

func (e *MappingError) Error() string { return e.Err.Error() }
func (e *MappingError) Unwrap() error { return e.Err }

// starter starts the runs of events.
type starter struct {
	client    client.Client
	taskQueue string
	status    *recorder
}

// start maps ev with the trigger's mappings and starts its run, or finds the
// run the same event id already started. When it returns nil the run
// exists, so the event may be acknowledged.
func (s *starter) start(ctx context.Context, d declared, ev Event) (client.WorkflowRun, error) {
	s.status.event(d, ev.At)
	input, id, err := mapEvent(d.trigger, ev)
	if err != nil {
		err = &MappingError{Err: fmt.Errorf("trigger %s of %s: %w", d.key, d.plan.Name, err)}
		s.status.fail(d, err)
		return nil, err
	}
	opts := workflows.StartOptions{TaskQueue: s.taskQueue}
	if id != "" {
		opts.ID = RunID(d.plan.Name, d.key, id)
		opts.IDReusePolicy = enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE
		opts.IDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
	}
	run, err := workflows.Start(ctx, s.client, d.plan, input, opts)
	if err != nil {
		s.status.fail(d, err)
		return nil, err
	}
	s.status.started(d, ev.At)
	return run, nil
}

// startRetrying calls start until it succeeds, ctx ends or the event cannot
// be mapped: a source must not move past an event whose run may not exist.
func (s *starter) startRetrying(ctx context.Context, d declared, ev Event) error {
	wait := 100 * time.Millisecond
	for {
		_, err := s.start(ctx, d, ev)
		var me *MappingError
		if err == nil || errors.As(err, &me) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 10*time.Second)
	}
}

// mapEvent evaluates the trigger's input (default: the event itself) and
// dedupe id (default: the source's delivery id).
func mapEvent(t *dsl.Trigger, ev Event) (input any, id string, err error) {
	scope := dsl.Scope{Event: ev.Data, Now: time.Now}
	input = ev.Data
	if t.Input != nil {
		if input, err = t.Input.Eval(scope); err != nil {
			return nil, "", fmt.Errorf("evaluating input: %w", err)
		}
	}
	id = ev.ID
	if t.ID != nil {
		v, err := t.ID.Eval(scope)
		if err != nil {
			return nil, "", fmt.Errorf("evaluating id: %w", err)
		}
		switch v := v.(type) {
		case nil:
			return nil, "", errors.New("id evaluated to null: make the id expression name a field every event has")
		case string:
			id = v
		case float64:
			id = fmt.Sprintf("%.0f", v)
			if float64(int64(v)) != v {
				id = fmt.Sprint(v)
			}
		default:
			id = fmt.Sprint(v)
		}
		if id == "" {
			return nil, "", errors.New("id evaluated to an empty string: make the id expression name a field every event has")
		}
	}
	return input, id, nil
}
