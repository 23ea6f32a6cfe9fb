package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/fnchain/orchestrator/dsl"
)

// switchStep runs the first case whose condition holds, else otherwise.
func (r *run) switchStep(ctx workflow.Context, f *frame, s *dsl.Step) (any, error) {
	for i, c := range s.Switch.Cases {
		ok, err := c.When.EvalBool(r.scope(f))
		if err != nil {
			return nil, userError(ErrExpression, "evaluating case %d: %v", i+1, err)
		}
		if ok {
			return r.sequence(ctx, f, c.Steps)
		}
	}
	return r.sequence(ctx, f, s.Switch.Otherwise)
}

// parallel runs the branches as coroutines. Without failFast or race every
// branch finishes and the first failure (in completion order) fails the
// step. With failFast the first failure cancels the other branches; with
// race the first success does, and the step fails only if all branches do.
func (r *run) parallel(ctx workflow.Context, f *frame, s *dsl.Step) (any, error) {
	p := s.Parallel
	bctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	outs := make(map[string]any, len(p.Branches))
	var firstErr error
	winner := ""
	pending := len(p.Branches)
	for _, b := range p.Branches {
		workflow.Go(bctx, func(gctx workflow.Context) {
			defer func() { pending-- }()
			out, err := r.sequence(gctx, f, b.Steps)
			switch {
			case err == nil && p.Race:
				if winner == "" {
					winner = b.Name
					outs[b.Name] = out
					cancel()
				}
			case err == nil:
				outs[b.Name] = out
			case winner != "" && p.Race:
				// A loser cancelled by the winner.
			default:
				if firstErr == nil {
					firstErr = err
				}
				if p.FailFast || passesThrough(err) {
					cancel()
				}
			}
		})
	}
	awaitAll(ctx, func() bool { return pending == 0 })
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p.Race {
		if winner == "" {
			return nil, firstErr
		}
		return map[string]any{"winner": winner, "output": outs[winner]}, nil
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return outs, nil
}

// awaitAll blocks until cond holds, even when ctx is cancelled: coroutines
// that were cancelled must still finish their bookkeeping (outputs,
// compensations) before the step returns.
func awaitAll(ctx workflow.Context, cond func() bool) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	_ = workflow.Await(dctx, cond)
}

// try runs the steps; on a failure the first matching catch runs with the
// error in scope; finally always runs, even when the run is being
// cancelled, and its own failure replaces the step's outcome.
func (r *run) try(ctx workflow.Context, f *frame, s *dsl.Step) (any, error) {
	t := s.Try
	out, err := r.sequence(ctx, f, t.Steps)
	if err != nil && !passesThrough(err) && ctx.Err() == nil {
		info := describe(err)
		for _, c := range t.Catch {
			if matches(c.Errors, info.Type) {
				cf := *f
				cf.err = &info
				out, err = r.sequence(ctx, &cf, c.Steps)
				break
			}
		}
	}
	if len(t.Finally) > 0 {
		fctx := ctx
		if ctx.Err() != nil {
			fctx, _ = workflow.NewDisconnectedContext(ctx)
		}
		if _, ferr := r.sequence(fctx, f, t.Finally); ferr != nil {
			return nil, ferr
		}
	}
	return out, err
}
