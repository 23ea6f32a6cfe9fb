package workflows

import (
	"errors"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/workflow"
)

const counterPlan = `
name: counter
steps:
  - id: init
    set: {n: 0}
  - id: count
    loop: {while: "${{ vars.n < 7 }}", maxIterations: 100}
    steps:
      - id: pause
        sleep: 1m
      - id: tick
        call: echo
        with: {n: "${{ vars.n }}"}
      - id: bump
        set: {n: "${{ vars.n + 1 }}"}
  - id: gate
    wait: {signal: go}
output: "${{ {n: vars.n, last: steps.count.output, init: steps.init.output, gate: steps.gate.output} }}"
`

// TestLoopContinuesAsNewCarryingState runs a loop over three runs (three
// iterations per run), feeding each continue-as-new into the next run the
// way the server does, and checks that vars, step outputs and a signal
// received before continuing all survive.
func TestLoopContinuesAsNewCarryingState(t *testing.T) {
	plan := loadPlan(t, counterPlan)
	interp := New(Options{LoopIterationsPerRun: 3})
	var calls []string
	args := []any{nil}
	runs := 0
	for {
		runs++
		h := interpreterHarness(t, interp)
		h.echo("echo")
		if runs == 1 {
			h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow("go", "early") }, 30*time.Second)
		}
		h.start(plan)
		h.env.ExecuteWorkflow(plan.Name, args...)
		calls = append(calls, h.callLog()...)
		var can *workflow.ContinueAsNewError
		if err := h.env.GetWorkflowError(); errors.As(err, &can) {
			if runs > 5 {
				t.Fatal("the loop never ends")
			}
			var input any
			var res resume
			if err := defaultConverter.FromPayloads(can.Input, &input, &res); err != nil {
				t.Fatal(err)
			}
			args = []any{input, res}
			continue
		}
		wantJSON(t, h.output(), `{"n": 7, "last": {"n": 7}, "init": {"n": 0}, "gate": "early"}`)
		break
	}
	if runs != 3 {
		t.Fatalf("%d runs, want 3", runs)
	}
	want := []string{"echo(tick#0)", "echo(tick#1)", "echo(tick#2)", "echo(tick#3)", "echo(tick#4)", "echo(tick#5)", "echo(tick#6)"}
	if !slices.Equal(calls, want) {
		t.Fatalf("calls %v, want %v", calls, want)
	}
}

func TestLoopContinuesAsNewWhenTemporalSuggests(t *testing.T) {
	plan := loadPlan(t, counterPlan)
	h := newHarness(t, Options{})
	h.echo("echo")
	h.env.SetContinueAsNewSuggested(true)
	h.run(plan, nil)
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("got %v, want continue-as-new after the first iteration", err)
	}
	if can.WorkflowType.Name != "counter" {
		t.Fatalf("continued as %s", can.WorkflowType.Name)
	}
}

func TestLoopMaxIterations(t *testing.T) {
	plan := loadPlan(t, `
name: forever
steps:
  - id: spin
    loop: {while: "${{ true }}", maxIterations: 3}
    steps: [{id: tick, call: echo}]
`)
	h := newHarness(t, Options{})
	h.echo("echo")
	h.run(plan, nil)
	ae := h.failure()
	if ae.Type() != ErrMaxIterations || ae.Message() != `step "spin": still looping after 3 iterations (maxIterations)` {
		t.Fatalf("got %s %q", ae.Type(), ae.Message())
	}
	if n := len(h.callLog()); n != 3 {
		t.Fatalf("%d iterations, want 3", n)
	}
}

func TestNestedLoopDoesNotContinueAsNew(t *testing.T) {
	plan := loadPlan(t, `
name: nested
steps:
  - id: init
    set: {n: 0}
  - id: guard
    try:
      - id: inner
        loop: {while: "${{ vars.n < 5 }}", maxIterations: 10}
        steps: [{id: bump, set: {n: "${{ vars.n + 1 }}"}}]
    finally: [{id: done, set: {finished: true}}]
output: "${{ vars.n }}"
`)
	h := newHarness(t, Options{LoopIterationsPerRun: 2})
	h.run(plan, nil)
	wantJSON(t, h.output(), `5`)
}
