package workflows

import (
	"fmt"
	"maps"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/fnchain/orchestrator/dsl"
)

// run is the state of one workflow execution of a plan. Workflow code runs
// one coroutine at a time, so the maps need no locks.
type run struct {
	interp *Interpreter
	prog   *program
	input  any
	info   dsl.RunInfo
	now    func() time.Time
	vars   map[string]any
	// steps holds the outputs of steps outside foreach bodies.
	steps    map[string]any
	comps    []compensation
	mail     *mailboxes
	progress *tracker
	// topIndex is the position of the top-level step running now; a loop
	// there continues as new from it.
	topIndex int
}

// frame is where a step runs: which step outputs it sees and writes, the
// foreach bindings around it, the error a catch handles, and the suffix that
// makes its Temporal ids unique.
type frame struct {
	steps  map[string]any
	locals map[string]any
	err    *dsl.ErrorInfo
	suffix string
}

func newRun(ctx workflow.Context, i *Interpreter, prog *program, input any) *run {
	info := workflow.GetInfo(ctx)
	return &run{
		interp: i,
		prog:   prog,
		input:  input,
		info: dsl.RunInfo{
			ID:         info.WorkflowExecution.RunID,
			WorkflowID: info.WorkflowExecution.ID,
			StartedAt:  info.WorkflowStartTime,
			Attempt:    int(info.Attempt),
		},
		now:      func() time.Time { return workflow.Now(ctx) },
		vars:     map[string]any{},
		steps:    map[string]any{},
		progress: newTracker(prog.plan),
	}
}

func (r *run) scope(f *frame) dsl.Scope {
	return dsl.Scope{
		Input:  r.input,
		Steps:  f.steps,
		Vars:   r.vars,
		Locals: f.locals,
		Error:  f.err,
		Run:    r.info,
		Now:    r.now,
	}
}

// main runs the top-level steps, from the start or from where the previous
// run continued as new, and the run's output.
func (r *run) main(ctx workflow.Context, cont *continuation) (any, error) {
	f := &frame{steps: r.steps}
	start := 0
	var last any
	if cont != nil {
		r.restore(cont)
		start = cont.Resume
		last = cont.Last
	}
	for i := start; i < len(r.prog.plan.Steps); i++ {
		r.topIndex = i
		s := r.prog.plan.Steps[i]
		var out any
		var ran bool
		var err error
		if cont != nil && i == cont.Resume {
			out, ran, err = r.resumeLoop(ctx, f, s, cont)
		} else {
			out, ran, err = r.step(ctx, f, s)
		}
		if err != nil {
			if rs, ok := err.(*returnSignal); ok {
				return rs.value, nil
			}
			return nil, r.fail(ctx, err)
		}
		if ran {
			last = out
		}
	}
	if r.prog.plan.Output == nil {
		return last, nil
	}
	sc := r.scope(f)
	sc.Result = last
	out, err := r.prog.plan.Output.Eval(sc)
	if err != nil {
		return nil, r.fail(ctx, &stepError{step: "output", err: userError(ErrExpression, "evaluating the workflow output: %v", err)})
	}
	return out, nil
}

// sequence runs steps in order; its output is that of the last step that
// ran.
func (r *run) sequence(ctx workflow.Context, f *frame, steps []*dsl.Step) (any, error) {
	var last any
	for _, s := range steps {
		out, ran, err := r.step(ctx, f, s)
		if err != nil {
			return nil, err
		}
		if ran {
			last = out
		}
	}
	return last, nil
}

// step runs one step unless its `if` is false, and records its output.
func (r *run) step(ctx workflow.Context, f *frame, s *dsl.Step) (any, bool, error) {
	ok, err := s.If.EvalBool(r.scope(f))
	if err != nil {
		return nil, false, &stepError{step: s.ID, err: userError(ErrExpression, "evaluating if: %v", err)}
	}
	id := s.ID + f.suffix
	if !ok {
		f.steps[s.ID] = nil
		r.progress.skip(id)
		return nil, false, nil
	}
	r.progress.start(id, s)
	raw, err := r.exec(ctx, f, s)
	r.progress.stop(id)
	return r.finish(f, s, id, raw, err)
}

// finish reshapes a step's raw output, stores it and, for a call step with
// compensation, pushes the compensation.
func (r *run) finish(f *frame, s *dsl.Step, id string, raw any, err error) (any, bool, error) {
	if err != nil {
		if passesThrough(err) {
			return nil, false, err
		}
		if _, ok := err.(*stepError); !ok {
			err = &stepError{step: s.ID, err: err}
		}
		return nil, false, err
	}
	out := raw
	if s.Output != nil {
		sc := r.scope(f)
		sc.Result = raw
		out, err = s.Output.Eval(sc)
		if err != nil {
			return nil, false, &stepError{step: s.ID, err: userError(ErrExpression, "evaluating output: %v", err)}
		}
	}
	f.steps[s.ID] = out
	r.progress.done(id, out)
	if s.Kind == dsl.KindCall && s.Call.Compensate != nil {
		r.comps = append(r.comps, compensation{Step: s.ID, Suffix: f.suffix, Output: out, Locals: f.locals})
	}
	return out, true, nil
}

func (r *run) exec(ctx workflow.Context, f *frame, s *dsl.Step) (any, error) {
	switch s.Kind {
	case dsl.KindCall:
		return r.call(ctx, f, s)
	case dsl.KindSet:
		return r.set(f, s)
	case dsl.KindSwitch:
		return r.switchStep(ctx, f, s)
	case dsl.KindParallel:
		return r.parallel(ctx, f, s)
	case dsl.KindForeach:
		return r.foreach(ctx, f, s)
	case dsl.KindLoop:
		return r.loop(ctx, f, s, 0, nil)
	case dsl.KindSleep:
		return r.sleep(ctx, f, s)
	case dsl.KindWait:
		return r.wait(ctx, f, s)
	case dsl.KindWorkflow:
		return r.child(ctx, f, s)
	case dsl.KindTry:
		return r.try(ctx, f, s)
	case dsl.KindFail:
		return r.failStep(f, s)
	case dsl.KindReturn:
		return r.returnStep(f, s)
	}
	return nil, userError(ErrPlan, "unknown step kind %q", s.Kind)
}

// fail ends a failed run: it compensates, then turns err into the run's
// failure, which names the failed step and keeps the error type.
func (r *run) fail(ctx workflow.Context, err error) error {
	if workflow.IsContinueAsNewError(err) {
		return err
	}
	r.compensate(ctx)
	if ctx.Err() != nil {
		return err
	}
	info := describe(err)
	return temporal.NewApplicationErrorWithOptions(
		fmt.Sprintf("step %q: %s", info.Step, info.Message), info.Type,
		temporal.ApplicationErrorOptions{NonRetryable: true, Cause: failureCause(err), Details: []any{failure{Step: info.Step}}},
	)
}

// failure is the detail of a run's failure.
type failure struct {
	Step string `json:"step"`
	// Compensations are set by foreach batch runs: the parent owns them.
	Compensations []compensation `json:"compensations,omitempty"`
}

// failureCause keeps what the run's failure does not already say: the
// activity or child failure behind a step error, not a copy of a message.
func failureCause(err error) error {
	se, ok := err.(*stepError)
	if !ok {
		return nil
	}
	if _, ok := se.err.(*temporal.ApplicationError); ok {
		return nil
	}
	return se.err
}

// iteration is the frame of one repeat of a block: its own step outputs
// (so concurrent repeats do not see each other's), more locals, a suffix.
func (f *frame) iteration(suffix string, locals map[string]any) *frame {
	return &frame{steps: maps.Clone(f.steps), locals: locals, err: f.err, suffix: f.suffix + suffix}
}
