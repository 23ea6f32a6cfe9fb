package workflows

import (
	"fmt"
	"testing"
	"time"

	"github.com/fnchain/orchestrator/dsl"
)

const parentPlan = `
name: parent
steps:
  - id: sub
    name: Run the child
    workflow: child-wf
    with: {x: "${{ input.x }}"}
`

func childResolver(t *testing.T, src string) func(string) (*dsl.Workflow, error) {
	child := loadPlan(t, src)
	return func(name string) (*dsl.Workflow, error) {
		if name != child.Name {
			return nil, fmt.Errorf("no workflow %s", name)
		}
		return child, nil
	}
}

func TestChildWorkflowRunsResolvedPlan(t *testing.T) {
	h := newHarness(t, Options{Resolve: childResolver(t, `
name: child-wf
steps:
  - id: double
    call: echo
    with: {y: "${{ input.x * 2 }}"}
`)})
	h.echo("echo")
	var childID string
	h.env.SetOnChildWorkflowStartedListener(func(info *workflowInfo, _ workflowContext, _ encodedValues) {
		childID = info.WorkflowExecution.ID
	})
	h.run(loadPlan(t, parentPlan), map[string]any{"x": 21})
	wantJSON(t, h.output(), `{"y": 42}`)
	if childID != "default-test-workflow-id/sub" {
		t.Fatalf("child id %q", childID)
	}
}

func TestChildWorkflowFailureKeepsType(t *testing.T) {
	h := newHarness(t, Options{Resolve: childResolver(t, `
name: child-wf
steps:
  - id: reject
    fail: {type: Rejected, message: "x is ${{ input.x }}"}
`)})
	h.run(loadPlan(t, parentPlan), map[string]any{"x": 1})
	ae := h.failure()
	if ae.Type() != "Rejected" {
		t.Fatalf("type %s: %s", ae.Type(), ae.Message())
	}
}

func TestChildWorkflowWithoutResolverFails(t *testing.T) {
	h := newHarness(t, Options{})
	h.run(loadPlan(t, parentPlan), map[string]any{"x": 1})
	ae := h.failure()
	if ae.Type() != ErrPlan || ae.Message() != `step "sub": workflow steps need a resolver: set workflows.Options.Resolve` {
		t.Fatalf("got %s %q", ae.Type(), ae.Message())
	}
}

func TestSleepDurationAndUntil(t *testing.T) {
	plan := loadPlan(t, `
name: sleeper
steps:
  - id: short
    sleep: 10m
  - id: mark
    set: {afterShort: "${{ now() }}"}
  - id: long
    sleep: {until: "${{ input.at }}"}
output: "${{ {afterShort: vars.afterShort, end: now()} }}"
`)
	h := newHarness(t, Options{})
	start := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	h.env.SetStartTime(start)
	h.run(plan, map[string]any{"at": "2025-03-02T09:00:00Z"})
	wantJSON(t, h.output(), `{"afterShort": "2025-03-01T09:10:00Z", "end": "2025-03-02T09:00:00Z"}`)
}

func TestRunWithoutPlanFails(t *testing.T) {
	h := newHarness(t, Options{})
	h.env.ExecuteWorkflow("anything", nil)
	ae := h.failure()
	if ae.Type() != ErrPlan || ae.Message() != "run has no plan: memo fnchain.plan is missing (start runs with workflows.Start)" {
		t.Fatalf("got %s %q", ae.Type(), ae.Message())
	}
}

func TestRunWithCorruptPlanFails(t *testing.T) {
	h := newHarness(t, Options{})
	if err := h.env.SetMemoOnStart(map[string]any{MemoPlan: map[string]any{"name": "x", "steps": "nope", "hash": "abc"}}); err != nil {
		t.Fatal(err)
	}
	h.env.ExecuteWorkflow("x", nil)
	if ae := h.failure(); ae.Type() != ErrPlan {
		t.Fatalf("got %s %q", ae.Type(), ae.Message())
	}
}
