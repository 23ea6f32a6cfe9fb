package workflows

import (
	"maps"
	"strconv"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/fnchain/orchestrator/dsl"
)

// continuation is the state a run hands to the run it continues as new
// with: where to resume and everything a later expression or compensation
// may read.
type continuation struct {
	// Resume is the index of the top-level loop step to resume.
	Resume int `json:"resume"`
	// Iteration is the next iteration of that loop.
	Iteration int `json:"iteration"`
	// Last is the output of the loop's last iteration.
	Last          any              `json:"last,omitempty"`
	Steps         map[string]any   `json:"steps,omitempty"`
	Vars          map[string]any   `json:"vars,omitempty"`
	Compensations []compensation   `json:"compensations,omitempty"`
	Signals       map[string][]any `json:"signals,omitempty"`
	StartedAt     time.Time        `json:"startedAt"`
}

// loop repeats the body while its condition holds, from iteration start.
// A loop among the top-level steps continues as new when the history grows
// large; elsewhere it keeps going in this run.
func (r *run) loop(ctx workflow.Context, f *frame, s *dsl.Step, start int, last any) (any, error) {
	l := s.Loop
	top := r.prog.plan.Steps[r.topIndex] == s
	for iter := start; ; iter++ {
		ok, err := l.While.EvalBool(r.scope(f))
		if err != nil {
			return nil, userError(ErrExpression, "evaluating while: %v", err)
		}
		if !ok {
			return last, nil
		}
		if l.MaxIterations > 0 && iter >= l.MaxIterations {
			return nil, userError(ErrMaxIterations, "still looping after %d iterations (maxIterations)", l.MaxIterations)
		}
		itf := *f
		itf.suffix = f.suffix + "#" + strconv.Itoa(iter)
		last, err = r.sequence(ctx, &itf, l.Steps)
		if err != nil {
			return nil, err
		}
		if top && r.continueSuggested(ctx, iter+1-start) {
			return nil, r.continueAsNew(ctx, iter+1, last)
		}
	}
}

func (r *run) continueSuggested(ctx workflow.Context, iterations int) bool {
	return iterations >= r.interp.opts.LoopIterationsPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
}

// continueAsNew ends this run and starts the next with the same input, the
// state in a continuation, and (copied by the SDK) the same memo and search
// attributes. Update handlers finish first; buffered signals are carried.
func (r *run) continueAsNew(ctx workflow.Context, next int, last any) error {
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	cont := &continuation{
		Resume:        r.topIndex,
		Iteration:     next,
		Last:          last,
		Steps:         r.steps,
		Vars:          r.vars,
		Compensations: r.comps,
		Signals:       r.mail.drain(ctx),
		StartedAt:     r.info.StartedAt,
	}
	return workflow.NewContinueAsNewError(ctx, workflow.GetInfo(ctx).WorkflowType.Name, r.input, &resume{Continue: cont})
}

// restore loads the state the previous run handed over.
func (r *run) restore(c *continuation) {
	maps.Copy(r.steps, c.Steps)
	maps.Copy(r.vars, c.Vars)
	r.comps = c.Compensations
	r.mail.carry(c.Signals)
	r.info.StartedAt = c.StartedAt
}

// resumeLoop continues the top-level loop the previous run stopped in; its
// `if` was already true.
func (r *run) resumeLoop(ctx workflow.Context, f *frame, s *dsl.Step, c *continuation) (any, bool, error) {
	if s.Kind != dsl.KindLoop {
		return nil, false, userError(ErrPlan, "continued run resumes at step %q, which is not a loop", s.ID)
	}
	id := s.ID + f.suffix
	r.progress.start(id, s)
	raw, err := r.loop(ctx, f, s, c.Iteration, c.Last)
	r.progress.stop(id)
	return r.finish(f, s, id, raw, err)
}
