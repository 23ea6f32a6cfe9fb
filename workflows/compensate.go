package workflows

import (
	"maps"

	"go.temporal.io/sdk/workflow"
)

// compensation records a completed call step whose compensate step must run
// if the run fails later. It is plain data: it travels through
// continue-as-new and out of foreach batch runs.
type compensation struct {
	Step   string         `json:"step"`
	Suffix string         `json:"suffix,omitempty"`
	Output any            `json:"output"`
	Locals map[string]any `json:"locals,omitempty"`
}

// compensate runs the recorded compensations in reverse completion order
// (a saga), on a context that survives the run's cancellation. A failing
// compensation is logged and the others still run: the run fails anyway.
func (r *run) compensate(ctx workflow.Context) {
	if len(r.comps) == 0 {
		return
	}
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	log := workflow.GetLogger(ctx)
	for i := len(r.comps) - 1; i >= 0; i-- {
		c := r.comps[i]
		call := r.prog.steps[c.Step]
		steps := maps.Clone(r.steps)
		steps[c.Step] = c.Output
		f := &frame{steps: steps, locals: c.Locals, suffix: c.Suffix}
		if _, _, err := r.step(dctx, f, call.Call.Compensate); err != nil {
			log.Error("compensation failed", "step", c.Step+c.Suffix, "compensate", call.Call.Compensate.ID, "error", err)
		}
	}
	r.comps = nil
}
