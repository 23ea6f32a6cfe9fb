package workflows

import (
	"errors"
	"fmt"
	"maps"
	"strconv"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/fnchain/orchestrator/dsl"
)

// foreach runs the body once per element, at most Concurrency at once;
// lists longer than the batch size run in child runs (see runBatch).
func (r *run) foreach(ctx workflow.Context, f *frame, s *dsl.Step) (any, error) {
	v, err := s.Foreach.Items.Eval(r.scope(f))
	if err != nil {
		return nil, userError(ErrExpression, "evaluating items: %v", err)
	}
	var items []any
	switch l := v.(type) {
	case nil:
	case []any:
		items = l
	default:
		return nil, userError(ErrValidation, "foreach needs a list, got %s", dsl.TypeName(v))
	}
	if len(items) > r.interp.opts.ForeachBatchSize {
		return r.foreachBatches(ctx, f, s, items)
	}
	return r.foreachInline(ctx, f, s, items, 0, s.Foreach.Concurrency)
}

// foreachInline runs the body for items, the first of which has index
// offset. The first failure cancels the iterations in flight and starts no
// more.
func (r *run) foreachInline(ctx workflow.Context, f *frame, s *dsl.Step, items []any, offset, concurrency int) ([]any, error) {
	fe := s.Foreach
	concurrency = max(concurrency, 1)
	outs := make([]any, len(items))
	ictx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	running := 0
	var firstErr error
	for i, item := range items {
		if err := workflow.Await(ctx, func() bool { return running < concurrency || firstErr != nil }); err != nil {
			break
		}
		if firstErr != nil {
			break
		}
		index := offset + i
		locals := make(map[string]any, len(f.locals)+2)
		maps.Copy(locals, f.locals)
		locals[fe.As] = item
		locals[fe.IndexAs] = index
		itf := f.iteration("["+strconv.Itoa(index)+"]", locals)
		running++
		workflow.Go(ictx, func(gctx workflow.Context) {
			defer func() { running-- }()
			out, err := r.sequence(gctx, itf, fe.Steps)
			if err != nil {
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				return
			}
			outs[i] = out
		})
	}
	awaitAll(ctx, func() bool { return running == 0 })
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return outs, nil
}

// batch is what a foreach batch run executes: the foreach step's body over
// a slice of its list, in the scope the step had in the parent.
type batch struct {
	Step        string         `json:"step"`
	Offset      int            `json:"offset"`
	Items       []any          `json:"items"`
	Concurrency int            `json:"concurrency"`
	Suffix      string         `json:"suffix,omitempty"`
	Steps       map[string]any `json:"steps,omitempty"`
	Vars        map[string]any `json:"vars,omitempty"`
	Locals      map[string]any `json:"locals,omitempty"`
	Error       *dsl.ErrorInfo `json:"error,omitempty"`
}

// batchResult is a batch run's output. The parent takes over the batch's
// compensations, and a return step in the batch ends the parent.
type batchResult struct {
	Outputs       []any          `json:"outputs"`
	Compensations []compensation `json:"compensations,omitempty"`
	Returned      bool           `json:"returned,omitempty"`
	Return        any            `json:"return,omitempty"`
}

// foreachBatches splits items into batches run as child runs of this plan.
// The step's concurrency is shared out: each batch runs up to
// min(concurrency, batch size) elements at once, and concurrency / batch
// size batches (at least one) run at once.
func (r *run) foreachBatches(ctx workflow.Context, f *frame, s *dsl.Step, items []any) (any, error) {
	size := r.interp.opts.ForeachBatchSize
	inner := min(s.Foreach.Concurrency, size)
	parallel := max(s.Foreach.Concurrency/size, 1)
	outs := make([]any, len(items))
	bctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	running := 0
	var firstErr error
	var returned *returnSignal
	for lo := 0; lo < len(items); lo += size {
		if err := workflow.Await(ctx, func() bool { return running < parallel || firstErr != nil || returned != nil }); err != nil {
			break
		}
		if firstErr != nil || returned != nil {
			break
		}
		hi := min(lo+size, len(items))
		b := &batch{Step: s.ID, Offset: lo, Items: items[lo:hi], Concurrency: inner, Suffix: f.suffix,
			Steps: f.steps, Vars: r.vars, Locals: f.locals, Error: f.err}
		cctx := workflow.WithChildOptions(bctx, r.childOptions(r.prog, fmt.Sprintf("%s%s[%d-%d]", s.ID, f.suffix, lo, hi-1),
			fmt.Sprintf("%s: elements %d to %d", summary(s), lo, hi-1), "", 0))
		running++
		workflow.Go(bctx, func(gctx workflow.Context) {
			defer func() { running-- }()
			var res batchResult
			err := workflow.ExecuteChildWorkflow(cctx, r.prog.plan.Name, r.input, &resume{Batch: b}).Get(gctx, &res)
			if err != nil {
				err = r.adoptBatchFailure(err)
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				return
			}
			r.comps = append(r.comps, res.Compensations...)
			if res.Returned && returned == nil {
				returned = &returnSignal{value: res.Return}
				cancel()
			}
			copy(outs[lo:hi], res.Outputs)
		})
	}
	awaitAll(ctx, func() bool { return running == 0 })
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case returned != nil:
		return nil, returned
	case firstErr != nil:
		return nil, firstErr
	}
	return outs, nil
}

// adoptBatchFailure takes over the compensations of a failed batch and
// turns its failure back into the error of the step that failed in it, so a
// catch in the parent sees the same type, message and step.
func (r *run) adoptBatchFailure(err error) error {
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || !ae.HasDetails() {
		return err
	}
	var fd failure
	if ae.Details(&fd) != nil || fd.Step == "" {
		return err
	}
	r.comps = append(r.comps, fd.Compensations...)
	return &stepError{step: fd.Step, err: temporal.NewNonRetryableApplicationError(ae.Message(), ae.Type(), nil)}
}

// runBatch is the workflow of a foreach batch run.
func (r *run) runBatch(ctx workflow.Context, b *batch) (any, error) {
	s, ok := r.prog.steps[b.Step]
	if !ok || s.Kind != dsl.KindForeach {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("batch names step %q, which is not a foreach step of this plan", b.Step), ErrPlan, nil)
	}
	if b.Steps == nil {
		b.Steps = map[string]any{}
	}
	if b.Vars != nil {
		r.vars = b.Vars
	}
	f := &frame{steps: b.Steps, locals: b.Locals, err: b.Error, suffix: b.Suffix}
	outs, err := r.foreachInline(ctx, f, s, b.Items, b.Offset, b.Concurrency)
	if rs, ok := err.(*returnSignal); ok {
		return batchResult{Compensations: r.comps, Returned: true, Return: rs.value}, nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		info := describe(err)
		return nil, temporal.NewApplicationErrorWithOptions(info.Message, info.Type, temporal.ApplicationErrorOptions{
			NonRetryable: true, Cause: failureCause(err),
			Details: []any{failure{Step: info.Step, Compensations: r.comps}},
		})
	}
	return batchResult{Outputs: outs, Compensations: r.comps}, nil
}
