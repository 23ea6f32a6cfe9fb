package workflows

import (
	"encoding/json"
	"slices"

	"github.com/fnchain/orchestrator/dsl"
)

// program is a plan with the indexes the interpreter needs. It is built once
// per definition and shared, read-only, by every run of it in the worker.
type program struct {
	plan *dsl.Workflow
	// raw is the plan JSON as the run's memo carries it; child runs of the
	// same plan get it unchanged.
	raw   json.RawMessage
	steps map[string]*dsl.Step
	// signals are the names wait steps wait for, sorted: each gets a signal
	// channel and an update handler when a run starts.
	signals []string
}

func newProgram(plan *dsl.Workflow, raw json.RawMessage) *program {
	p := &program{plan: plan, raw: raw, steps: map[string]*dsl.Step{}}
	p.index(plan.Steps)
	slices.Sort(p.signals)
	p.signals = slices.Compact(p.signals)
	return p
}

func (p *program) index(steps []*dsl.Step) {
	for _, s := range steps {
		p.steps[s.ID] = s
		for _, block := range childBlocks(s) {
			p.index(block)
		}
		if s.Kind == dsl.KindWait {
			p.signals = append(p.signals, s.Wait.Signal)
		}
	}
}

// childBlocks lists the step lists nested in s.
func childBlocks(s *dsl.Step) [][]*dsl.Step {
	var out [][]*dsl.Step
	switch s.Kind {
	case dsl.KindCall:
		if s.Call.Compensate != nil {
			out = append(out, []*dsl.Step{s.Call.Compensate})
		}
	case dsl.KindSwitch:
		for _, c := range s.Switch.Cases {
			out = append(out, c.Steps)
		}
		out = append(out, s.Switch.Otherwise)
	case dsl.KindParallel:
		for _, b := range s.Parallel.Branches {
			out = append(out, b.Steps)
		}
	case dsl.KindForeach:
		out = append(out, s.Foreach.Steps)
	case dsl.KindLoop:
		out = append(out, s.Loop.Steps)
	case dsl.KindTry:
		out = append(out, s.Try.Steps, s.Try.Finally)
		for _, c := range s.Try.Catch {
			out = append(out, c.Steps)
		}
	}
	return out
}
