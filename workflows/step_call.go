package workflows

import (
	"encoding/json"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/fnchain/orchestrator/dsl"
)

// call runs the step's function as an activity whose type is the function
// name and whose single argument is the evaluated `with` map.
func (r *run) call(ctx workflow.Context, f *frame, s *dsl.Step) (any, error) {
	c := s.Call
	with, err := r.object(f, c.With, "with")
	if err != nil {
		return nil, err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		ActivityID:             s.ID + f.suffix,
		TaskQueue:              c.TaskQueue,
		StartToCloseTimeout:    c.Timeout,
		ScheduleToStartTimeout: c.ScheduleTimeout,
		HeartbeatTimeout:       c.Heartbeat,
		RetryPolicy:            retryPolicy(c.Retry),
		Summary:                s.Name,
	})
	var out any
	if err := workflow.ExecuteActivity(ctx, c.Function, with).Get(ctx, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// object evaluates a `with` value, which must be a map; absent is empty.
func (r *run) object(f *frame, v *dsl.Value, what string) (map[string]any, error) {
	out, err := v.Eval(r.scope(f))
	if err != nil {
		return nil, userError(ErrExpression, "evaluating %s: %v", what, err)
	}
	switch m := out.(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		return m, nil
	}
	return nil, userError(ErrValidation, "%s must be a map, got %s", what, dsl.TypeName(out))
}

func retryPolicy(p *dsl.RetryPolicy) *temporal.RetryPolicy {
	if p == nil {
		return nil
	}
	return &temporal.RetryPolicy{
		InitialInterval:        p.InitialInterval,
		BackoffCoefficient:     p.Backoff,
		MaximumInterval:        p.MaxInterval,
		MaximumAttempts:        int32(p.MaxAttempts),
		NonRetryableErrorTypes: p.NonRetryable,
	}
}

// set evaluates every value against the scope before the step, then
// assigns them all; its output is the map of what it assigned.
func (r *run) set(f *frame, s *dsl.Step) (any, error) {
	sc := r.scope(f)
	out := make(map[string]any, len(s.Set.Vars))
	for _, v := range s.Set.Vars {
		val, err := v.Value.Eval(sc)
		if err != nil {
			return nil, userError(ErrExpression, "evaluating %s: %v", v.Name, err)
		}
		out[v.Name] = val
	}
	for k, v := range out {
		r.vars[k] = v
	}
	return out, nil
}

// failStep fails with the step's type and message; a message that is not a
// string is written as JSON.
func (r *run) failStep(f *frame, s *dsl.Step) (any, error) {
	msg, err := s.Fail.Message.Eval(r.scope(f))
	if err != nil {
		return nil, userError(ErrExpression, "evaluating message: %v", err)
	}
	text, ok := msg.(string)
	if !ok && msg != nil {
		data, err := json.Marshal(msg)
		if err != nil {
			return nil, userError(ErrValidation, "encoding message: %v", err)
		}
		text = string(data)
	}
	if text == "" {
		text = "failed"
	}
	typ := s.Fail.Type
	if typ == "" {
		typ = errGeneric
	}
	return nil, temporal.NewNonRetryableApplicationError(text, typ, nil)
}

func (r *run) returnStep(f *frame, s *dsl.Step) (any, error) {
	v, err := s.Return.Value.Eval(r.scope(f))
	if err != nil {
		return nil, userError(ErrExpression, "evaluating return value: %v", err)
	}
	return nil, &returnSignal{value: v}
}

// sleep waits on a durable timer for a duration or until a time; a time in
// the past does not wait.
func (r *run) sleep(ctx workflow.Context, f *frame, s *dsl.Step) (any, error) {
	d := s.Sleep.Duration
	if s.Sleep.Until != nil {
		v, err := s.Sleep.Until.Eval(r.scope(f))
		if err != nil {
			return nil, userError(ErrExpression, "evaluating until: %v", err)
		}
		t, err := asTime(v)
		if err != nil {
			return nil, userError(ErrValidation, "until: %v", err)
		}
		d = t.Sub(workflow.Now(ctx))
	}
	if d <= 0 {
		return nil, nil
	}
	return nil, workflow.NewTimerWithOptions(ctx, d, workflow.TimerOptions{Summary: summary(s)}).Get(ctx, nil)
}

// summary names a step in Temporal UI: its name, else its id.
func summary(s *dsl.Step) string {
	if s.Name != "" {
		return s.Name
	}
	return s.ID
}
