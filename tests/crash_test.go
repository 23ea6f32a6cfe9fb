package tests

import (
	"context"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/fnchain/orchestrator/activities"
	"github.com/fnchain/orchestrator/dsl"
	"github.com/fnchain/orchestrator/tests/harness"
	"github.com/fnchain/orchestrator/workflows"
)

// loadPlan compiles one workflow file against the built-in functions.
func loadPlan(t *testing.T, src string) *dsl.Workflow {
	t.Helper()
	plans, err := dsl.Load("test.yaml", []byte(src), activities.Builtin())
	if err != nil {
		t.Fatalf("loading workflow:\n%v", err)
	}
	return plans[0]
}

// history lists the event types of a run, in order.
func history(t *testing.T, c client.Client, id string) []enumspb.EventType {
	t.Helper()
	var types []enumspb.EventType
	it := c.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatalf("reading history of %s: %v", id, err)
		}
		types = append(types, e.GetEventType())
	}
	return types
}

func contains(types []enumspb.EventType, want enumspb.EventType) bool {
	for _, t := range types {
		if t == want {
			return true
		}
	}
	return false
}

// A run waiting on a durable timer survives SIGKILL of the whole process:
// started again on the same data directory, the timer fires and the run
// completes, with the history from before the crash intact.
func TestRunSurvivesSIGKILL(t *testing.T) {
	dir := t.TempDir()
	first := harness.Start(t, harness.Options{DataDir: dir})
	plan := loadPlan(t, `
name: crash-timer
steps:
  - id: pause
    name: Wait out the crash
    sleep: 4s
  - id: finish
    call: noop
    with: {done: true, order: "${{ input.order }}"}
`)
	c := first.Client(t)
	ctx := context.Background()
	if _, err := workflows.Start(ctx, c, plan, map[string]any{"order": "A-1"}, workflows.StartOptions{ID: "crash-1", TaskQueue: "fnchain"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !contains(history(t, c, "crash-1"), enumspb.EVENT_TYPE_TIMER_STARTED) {
		if time.Now().After(deadline) {
			t.Fatalf("timer never started: %v\n%s", history(t, c, "crash-1"), first.Output())
		}
		time.Sleep(100 * time.Millisecond)
	}
	before := history(t, c, "crash-1")
	c.Close()
	first.Kill()

	restarted := time.Now()
	second := harness.Start(t, harness.Options{DataDir: dir})
	t.Logf("restarted in %s", time.Since(restarted))
	c2 := second.Client(t)
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var out map[string]any
	if err := c2.GetWorkflow(wctx, "crash-1", "").Get(wctx, &out); err != nil {
		t.Fatalf("run after restart: %v\n%s", err, second.Output())
	}
	if out["done"] != true || out["order"] != "A-1" {
		t.Fatalf("result %v, want the noop step's input echoed", out)
	}
	t.Logf("run completed %s after the restart", time.Since(restarted))
	after := history(t, c2, "crash-1")
	if len(after) <= len(before) {
		t.Fatalf("history did not grow after restart: before %v, after %v", before, after)
	}
	for i, e := range before {
		if after[i] != e {
			t.Fatalf("history changed at event %d: %v became %v", i+1, e, after[i])
		}
	}
	for _, want := range []enumspb.EventType{enumspb.EVENT_TYPE_TIMER_FIRED, enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED} {
		if !contains(after, want) {
			t.Errorf("history after restart lacks %v: %v", want, after)
		}
	}
}
