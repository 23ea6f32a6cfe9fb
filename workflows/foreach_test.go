package workflows

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestForeachOutputsInInputOrderWithConcurrency(t *testing.T) {
	plan := loadPlan(t, `
name: each
steps:
  - id: all
    foreach: "${{ input.items }}"
    as: order
    concurrency: 2
    steps:
      - id: wait
        sleep: 1m
      - id: handle
        call: slow
        with: {n: "${{ order }}", i: "${{ index }}"}
        output: "${{ result.n * 10 + result.i }}"
`)
	h := newHarness(t, Options{})
	running, peak := 0, 0
	h.activity("slow", func(_ context.Context, with map[string]any) (any, error) {
		h.mu.Lock()
		running++
		peak = max(peak, running)
		h.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
		h.mu.Lock()
		running--
		h.mu.Unlock()
		return with, nil
	})
	h.run(plan, map[string]any{"items": []int{5, 4, 3, 2, 1}})
	wantJSON(t, h.output(), `[50, 41, 32, 23, 14]`)
	if peak > 2 {
		t.Fatalf("%d iterations ran at once, concurrency is 2", peak)
	}
	ids := h.callLog()
	slices.Sort(ids)
	if want := []string{"slow(handle[0])", "slow(handle[1])", "slow(handle[2])", "slow(handle[3])", "slow(handle[4])"}; !slices.Equal(ids, want) {
		t.Fatalf("activity ids %v, want %v", ids, want)
	}
}

func TestForeachOverNonListFailsNamingTheStep(t *testing.T) {
	plan := loadPlan(t, `
name: badeach
steps:
  - id: all
    foreach: "${{ input.items }}"
    steps: [{id: handle, call: echo}]
`)
	h := newHarness(t, Options{})
	h.echo("echo")
	h.run(plan, map[string]any{"items": "not a list"})
	ae := h.failure()
	if ae.Type() != ErrValidation || !ae.NonRetryable() {
		t.Fatalf("got %v (type %s), want a non-retryable %s", ae, ae.Type(), ErrValidation)
	}
	if want := `step "all": foreach needs a list, got string`; ae.Message() != want {
		t.Fatalf("message %q, want %q", ae.Message(), want)
	}
}

func TestForeachFailureStopsTheRest(t *testing.T) {
	plan := loadPlan(t, `
name: eachfail
steps:
  - id: all
    foreach: "${{ input.items }}"
    steps:
      - id: handle
        call: echo
        with: {n: "${{ item }}"}
      - id: check
        if: "${{ item == 2 }}"
        fail: {type: BadItem, message: "item ${{ item }} is bad"}
`)
	h := newHarness(t, Options{})
	h.echo("echo")
	h.run(plan, map[string]any{"items": []int{1, 2, 3, 4}})
	ae := h.failure()
	if ae.Type() != "BadItem" || ae.Message() != `step "check": item 2 is bad` {
		t.Fatalf("got type %s message %q", ae.Type(), ae.Message())
	}
	if got, want := h.callLog(), []string{"echo(handle[0])", "echo(handle[1])"}; !slices.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
}

func TestForeachBatchesLongListsIntoChildRuns(t *testing.T) {
	plan := loadPlan(t, `
name: batched
steps:
  - id: base
    set: {offset: 1000}
  - id: all
    foreach: "${{ input.items }}"
    concurrency: 4
    steps:
      - id: handle
        call: echo
        with: {n: "${{ item + vars.offset }}"}
        output: "${{ result.n }}"
`)
	h := newHarness(t, Options{ForeachBatchSize: 3})
	h.echo("echo")
	var children []string
	h.env.SetOnChildWorkflowStartedListener(func(info *workflowInfo, _ workflowContext, _ encodedValues) {
		children = append(children, info.WorkflowExecution.ID)
	})
	items := make([]int, 10)
	for i := range items {
		items[i] = i
	}
	h.run(plan, map[string]any{"items": items})
	wantJSON(t, h.output(), `[1000,1001,1002,1003,1004,1005,1006,1007,1008,1009]`)
	slices.Sort(children)
	want := []string{"default-test-workflow-id/all[0-2]", "default-test-workflow-id/all[3-5]", "default-test-workflow-id/all[6-8]", "default-test-workflow-id/all[9-9]"}
	if !slices.Equal(children, want) {
		t.Fatalf("child runs %v, want %v", children, want)
	}
	ids := h.callLog()
	if len(ids) != 10 || !slices.Contains(ids, "echo(handle[9])") {
		t.Fatalf("activity ids %v, want handle[0]..handle[9]", ids)
	}
}

func TestForeachBatchFailureKeepsTypeAndStepForCatch(t *testing.T) {
	plan := loadPlan(t, `
name: batchcatch
steps:
  - id: guarded
    try:
      - id: all
        foreach: "${{ input.items }}"
        steps:
          - id: check
            if: "${{ item == 4 }}"
            fail: {type: BadItem, message: "item ${{ item }}"}
    catch:
      - errors: [BadItem]
        steps:
          - id: report
            set: {caught: "${{ error.type + ' ' + error.step + ' ' + error.message }}"}
output: "${{ vars.caught }}"
`)
	h := newHarness(t, Options{ForeachBatchSize: 2})
	h.run(plan, map[string]any{"items": []int{1, 2, 3, 4, 5}})
	wantJSON(t, h.output(), `"BadItem check item 4"`)
}

// TestForeachTenThousandItems runs a list far beyond Temporal's history
// limits for one run; batching keeps the parent's history to a few events
// per batch.
func TestForeachTenThousandItems(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	plan := loadPlan(t, `
name: huge
steps:
  - id: all
    foreach: "${{ input.items }}"
    concurrency: 20
    steps:
      - id: handle
        call: echo
        with: {n: "${{ item }}"}
        output: "${{ result.n }}"
output: "${{ len(steps.all.output) }}"
`)
	h := newHarness(t, Options{})
	h.echo("echo")
	batches := 0
	h.env.SetOnChildWorkflowStartedListener(func(*workflowInfo, workflowContext, encodedValues) { batches++ })
	items := make([]int, 10_000)
	for i := range items {
		items[i] = i
	}
	h.run(plan, map[string]any{"items": items})
	wantJSON(t, h.output(), `10000`)
	if batches != 20 {
		t.Fatalf("%d batch runs, want 20 of 500", batches)
	}
	if n := len(h.callLog()); n != 10_000 {
		t.Fatalf("%d activity calls, want 10000", n)
	}
}
