package workflows

import (
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
)

const approvalPlan = `
name: approval
steps:
  - id: submit
    call: echo
    with: {doc: 7}
  - id: approve
    name: Wait for a manager
    wait: {signal: approve, timeout: 48h}
  - id: after
    call: echo
    with: {by: "${{ steps.approve.output.by }}"}
`

func TestWaitReceivesSignal(t *testing.T) {
	h := newHarness(t, Options{})
	h.echo("echo")
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow("approve", map[string]any{"by": "ann"}) }, time.Hour)
	h.run(loadPlan(t, approvalPlan), nil)
	wantJSON(t, h.output(), `{"by": "ann"}`)
}

func TestWaitTimesOutWithTypeTimeout(t *testing.T) {
	h := newHarness(t, Options{})
	h.echo("echo")
	h.run(loadPlan(t, approvalPlan), nil)
	ae := h.failure()
	if ae.Type() != ErrTimeout || ae.Message() != `step "approve": no approve arrived within 48h0m0s` {
		t.Fatalf("got %s %q", ae.Type(), ae.Message())
	}
}

func TestWaitTimeoutCanBeCaught(t *testing.T) {
	plan := loadPlan(t, `
name: approvalcatch
steps:
  - id: guarded
    try:
      - id: approve
        wait: {signal: approve, timeout: 1h}
    catch:
      - errors: [Timeout]
        steps: [{id: fallback, set: {decision: auto}}]
output: "${{ vars.decision }}"
`)
	h := newHarness(t, Options{})
	h.run(plan, nil)
	wantJSON(t, h.output(), `"auto"`)
}

func TestWaitReceivesUpdate(t *testing.T) {
	h := newHarness(t, Options{})
	h.echo("echo")
	var accepted, completed bool
	var completeErr error
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow("approve", "u1", &testsuite.TestUpdateCallback{
			OnAccept:   func() { accepted = true },
			OnReject:   func(err error) { t.Errorf("update rejected: %v", err) },
			OnComplete: func(_ any, err error) { completed, completeErr = true, err },
		}, map[string]any{"by": "bob"})
	}, time.Hour)
	h.run(loadPlan(t, approvalPlan), nil)
	wantJSON(t, h.output(), `{"by": "bob"}`)
	if !accepted || !completed || completeErr != nil {
		t.Fatalf("update accepted %v completed %v err %v", accepted, completed, completeErr)
	}
}

func TestUpdateRejectedWhenNoStepWaits(t *testing.T) {
	plan := loadPlan(t, `
name: lateapproval
steps:
  - id: first
    sleep: 2h
  - id: approve
    wait: {signal: approve}
`)
	h := newHarness(t, Options{})
	var rejected error
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow("approve", "early", &testsuite.TestUpdateCallback{
			OnAccept:   func() { t.Error("update accepted while no step waits") },
			OnReject:   func(err error) { rejected = err },
			OnComplete: func(any, error) {},
		}, "too early")
	}, time.Hour)
	h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow("approve", "on time") }, 3*time.Hour)
	h.run(plan, nil)
	wantJSON(t, h.output(), `"on time"`)
	if rejected == nil || rejected.Error() != "no step is waiting for approve now" {
		t.Fatalf("rejection %v", rejected)
	}
}

func TestProgressQueryDuringWait(t *testing.T) {
	h := newHarness(t, Options{})
	h.echo("echo")
	start := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	h.env.SetStartTime(start)
	var p Progress
	h.env.RegisterDelayedCallback(func() {
		v, err := h.env.QueryWorkflow(QueryProgress)
		if err != nil {
			t.Errorf("query: %v", err)
			return
		}
		if err := v.Get(&p); err != nil {
			t.Errorf("decoding progress: %v", err)
		}
		h.env.SignalWorkflow("approve", map[string]any{"by": "ann"})
	}, time.Hour)
	plan := loadPlan(t, approvalPlan)
	h.run(plan, nil)
	if p.Workflow != "approval" || p.Definition != plan.ShortHash() {
		t.Fatalf("progress names %s %s", p.Workflow, p.Definition)
	}
	if len(p.Current) != 1 || p.Current[0] != (RunningStep{ID: "approve", Name: "Wait for a manager", Kind: "wait"}) {
		t.Fatalf("current %+v", p.Current)
	}
	if len(p.Completed) != 1 || p.Completed[0].ID != "submit" || p.CompletedCount != 1 {
		t.Fatalf("completed %+v", p.Completed)
	}
	wantJSON(t, mustJSON(t, p.Completed[0].Output), `{"doc": 7}`)
	deadline := start.Add(48 * time.Hour)
	if len(p.Waiting) != 1 || p.Waiting[0].Signal != "approve" || p.Waiting[0].Deadline == nil || !p.Waiting[0].Deadline.Equal(deadline) {
		t.Fatalf("waiting %+v, want approve until %s", p.Waiting, deadline)
	}
}
