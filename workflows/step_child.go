package workflows

import (
	"encoding/json"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/fnchain/orchestrator/dsl"
)

// child runs another deployed workflow as a child run. Its plan comes from
// Options.Resolve through a local activity, so a replay sees the plan the
// original run got even after a new deployment.
func (r *run) child(ctx workflow.Context, f *frame, s *dsl.Step) (any, error) {
	w := s.Workflow
	with, err := r.object(f, w.With, "with")
	if err != nil {
		return nil, err
	}
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
		Summary:             "resolve " + w.Workflow,
	})
	var raw json.RawMessage
	if err := workflow.ExecuteLocalActivity(lctx, r.interp.resolvePlan, w.Workflow).Get(lctx, &raw); err != nil {
		return nil, err
	}
	prog, err := r.interp.compile(raw)
	if err != nil {
		return nil, userError(ErrPlan, "workflow %s: %v", w.Workflow, err)
	}
	timeout := w.Timeout
	if timeout == 0 {
		timeout = prog.plan.Timeout
	}
	queue := w.TaskQueue
	if queue == "" {
		queue = prog.plan.TaskQueue
	}
	opts := r.childOptions(prog, s.ID+f.suffix, s.Name, queue, timeout)
	sa, err := runSearchAttributes(prog.plan, with, r.now)
	if err != nil {
		return nil, userError(ErrValidation, "workflow %s: %v", w.Workflow, err)
	}
	opts.TypedSearchAttributes = sa
	var out any
	if err := workflow.ExecuteChildWorkflow(workflow.WithChildOptions(ctx, opts), prog.plan.Name, with).Get(ctx, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// childOptions are the options of a child run of prog: the memo convention
// of Start, an id under the parent's and the summary. An empty queue keeps
// the parent's.
func (r *run) childOptions(prog *program, id, summary, queue string, timeout time.Duration) workflow.ChildWorkflowOptions {
	return workflow.ChildWorkflowOptions{
		WorkflowID:               r.info.WorkflowID + "/" + id,
		TaskQueue:                queue,
		WorkflowExecutionTimeout: timeout,
		Memo:                     map[string]any{MemoPlan: prog.raw},
		TypedSearchAttributes: temporal.NewSearchAttributes(
			keyWorkflow.ValueSet(prog.plan.Name),
			keyDefinition.ValueSet(prog.plan.ShortHash()),
		),
		StaticSummary: summary,
	}
}
