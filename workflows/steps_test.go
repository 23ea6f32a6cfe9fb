package workflows

import (
	"slices"
	"testing"
)

func TestCallChainPassesOutputs(t *testing.T) {
	plan := loadPlan(t, `
name: chain
steps:
  - id: first
    name: First call
    call: echo
    with: {n: "${{ input.n }}"}
  - id: second
    call: echo
    with: {prev: "${{ steps.first.output.n + 1 }}"}
    output: "${{ result.prev * 10 }}"
`)
	h := newHarness(t, Options{})
	h.echo("echo")
	h.run(plan, map[string]any{"n": 1})
	wantJSON(t, h.output(), `20`)
	if got, want := h.callLog(), []string{"echo(first)", "echo(second)"}; !slices.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
}

func TestSetSwitchIfAndWorkflowOutput(t *testing.T) {
	plan := loadPlan(t, `
name: branching
steps:
  - id: init
    set: {total: "${{ input.amount * 2 }}", label: big}
  - id: skipped
    if: "${{ vars.total < 0 }}"
    call: echo
  - id: pick
    switch:
      - when: "${{ vars.total > 100 }}"
        steps:
          - id: large
            call: echo
            with: {size: large}
      - when: "${{ vars.total > 10 }}"
        steps:
          - id: medium
            call: echo
            with: {size: medium}
      - otherwise:
          - id: small
            call: echo
            with: {size: small}
output: "${{ {total: vars.total, size: steps.pick.output.size, skipped: steps.skipped.output} }}"
`)
	h := newHarness(t, Options{})
	h.echo("echo")
	h.run(plan, map[string]any{"amount": 21})
	wantJSON(t, h.output(), `{"total": 42, "size": "medium", "skipped": null}`)
	if got, want := h.callLog(), []string{"echo(medium)"}; !slices.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
}
