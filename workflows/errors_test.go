package workflows

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

const tryPlan = `
name: trying
steps:
  - id: guarded
    try:
      - id: risky
        call: fail
    catch:
      - errors: [Other]
        steps: [{id: wrong, set: {which: wrong}}]
      - errors: [CATCH]
        steps:
          - id: handled
            set: {which: "${{ error.type + ':' + error.step + ':' + error.message }}"}
    finally:
      - id: cleanup
        call: echo
output: "${{ {which: vars.which, try: steps.guarded.output} }}"
`

func TestTryCatchMatchesTypeAndFinallyRuns(t *testing.T) {
	h := newHarness(t, Options{})
	h.echo("echo")
	h.failing("fail", "Boom")
	h.run(loadPlan(t, replace(tryPlan, "CATCH", "Boom")), nil)
	wantJSON(t, h.output(), `{"which": "Boom:risky:fail broke", "try": {"which": "Boom:risky:fail broke"}}`)
	if got := h.callLog(); !slices.Equal(got, []string{"fail(risky)", "echo(cleanup)"}) {
		t.Fatalf("calls %v", got)
	}
}

func TestTryWithoutMatchingCatchFailsAfterFinally(t *testing.T) {
	h := newHarness(t, Options{})
	h.echo("echo")
	h.failing("fail", "Boom")
	h.run(loadPlan(t, replace(tryPlan, "CATCH", "Unrelated")), nil)
	ae := h.failure()
	if ae.Type() != "Boom" || ae.Message() != `step "risky": fail broke` || !ae.NonRetryable() {
		t.Fatalf("got %s %q", ae.Type(), ae.Message())
	}
	if got := h.callLog(); !slices.Equal(got, []string{"fail(risky)", "echo(cleanup)"}) {
		t.Fatalf("calls %v: finally did not run", got)
	}
}

func TestFailAndReturn(t *testing.T) {
	plan := loadPlan(t, `
name: failreturn
steps:
  - id: early
    if: "${{ input.stop }}"
    return: "${{ {stopped: true} }}"
  - id: after
    call: echo
  - id: boom
    fail: {type: ValidationError, message: "amount ${{ input.amount }} too large"}
`)
	t.Run("return", func(t *testing.T) {
		h := newHarness(t, Options{})
		h.echo("echo")
		h.run(plan, map[string]any{"stop": true})
		wantJSON(t, h.output(), `{"stopped": true}`)
		if len(h.callLog()) != 0 {
			t.Fatalf("steps after return ran: %v", h.callLog())
		}
	})
	t.Run("fail", func(t *testing.T) {
		h := newHarness(t, Options{})
		h.echo("echo")
		h.run(plan, map[string]any{"stop": false, "amount": 5})
		ae := h.failure()
		if ae.Type() != "ValidationError" || ae.Message() != `step "boom": amount 5 too large` || !ae.NonRetryable() {
			t.Fatalf("got %s %q retryable %v", ae.Type(), ae.Message(), !ae.NonRetryable())
		}
	})
}

func TestReturnInsideForeachEndsRun(t *testing.T) {
	plan := loadPlan(t, `
name: findfirst
steps:
  - id: search
    foreach: "${{ input.items }}"
    steps:
      - id: found
        if: "${{ item > 2 }}"
        return: "${{ item }}"
  - id: never
    call: echo
`)
	h := newHarness(t, Options{})
	h.echo("echo")
	h.run(plan, map[string]any{"items": []int{1, 2, 3, 4}})
	wantJSON(t, h.output(), `3`)
}

const sagaPlan = `
name: saga
steps:
  - id: charge
    call: charge
    with: {amount: 10}
    compensate:
      id: refund
      call: refund
      with: {charged: "${{ steps.charge.output.amount }}"}
  - id: reserve
    call: reserve
    compensate: {id: release, call: release}
  - id: plain
    call: echo
  - id: ship
    call: SHIP
`

func TestCompensationRunsInReverseOrderAndRunStillFails(t *testing.T) {
	h := newHarness(t, Options{})
	h.echo("charge", "reserve", "release", "echo")
	var refunded any
	h.activity("refund", func(_ context.Context, with map[string]any) (any, error) {
		refunded = with["charged"]
		return nil, nil
	})
	h.failing("fail", "ShipError")
	h.run(loadPlan(t, replace(sagaPlan, "SHIP", "fail")), nil)
	ae := h.failure()
	if ae.Type() != "ShipError" || ae.Message() != `step "ship": fail broke` {
		t.Fatalf("got %s %q", ae.Type(), ae.Message())
	}
	want := []string{"charge(charge)", "reserve(reserve)", "echo(plain)", "fail(ship)", "release(release)", "refund(refund)"}
	if got := h.callLog(); !slices.Equal(got, want) {
		t.Fatalf("calls %v, want %v", got, want)
	}
	if refunded != float64(10) {
		t.Fatalf("refund saw charged=%v, want 10", refunded)
	}
}

func TestCompensationDoesNotRunOnSuccess(t *testing.T) {
	h := newHarness(t, Options{})
	h.echo("charge", "reserve", "release", "refund", "echo")
	h.run(loadPlan(t, replace(sagaPlan, "SHIP", "echo")), nil)
	h.output()
	if got := h.callLog(); slices.Contains(got, "refund(refund)") || slices.Contains(got, "release(release)") {
		t.Fatalf("compensated a successful run: %v", got)
	}
}

func TestCancelledRunCompensates(t *testing.T) {
	plan := loadPlan(t, `
name: cancelme
steps:
  - id: charge
    call: charge
    compensate: {id: refund, call: refund}
  - id: approve
    wait: {signal: approve}
`)
	h := newHarness(t, Options{})
	h.echo("charge", "refund")
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, time.Hour)
	h.run(plan, nil)
	var ce *temporal.CanceledError
	if err := h.env.GetWorkflowError(); !errors.As(err, &ce) {
		t.Fatalf("got %v, want a cancellation", err)
	}
	if got := h.callLog(); !slices.Equal(got, []string{"charge(charge)", "refund(refund)"}) {
		t.Fatalf("calls %v: refund did not run", got)
	}
}

func TestCallOptionsReachTheActivity(t *testing.T) {
	plan := loadPlan(t, `
name: options
steps:
  - id: remote
    name: Call the flaky service
    call: slow
    taskQueue: other-queue
    timeout: 5s
    heartbeat: 2s
    retry: {maxAttempts: 3, initialInterval: 1s, nonRetryable: [Fatal]}
`)
	t.Run("retries", func(t *testing.T) {
		h := newHarness(t, Options{})
		var queue string
		var heartbeat time.Duration
		h.activity("slow", func(ctx context.Context, _ map[string]any) (any, error) {
			info := activity.GetInfo(ctx)
			queue, heartbeat = info.TaskQueue, info.HeartbeatTimeout
			if info.Attempt < 3 {
				return nil, temporal.NewApplicationError("try again", "Flaky")
			}
			return info.Attempt, nil
		})
		h.run(plan, nil)
		wantJSON(t, h.output(), `3`)
		if queue != "other-queue" || heartbeat != 2*time.Second {
			t.Fatalf("activity ran on %q with heartbeat %s", queue, heartbeat)
		}
	})
	t.Run("non-retryable type", func(t *testing.T) {
		h := newHarness(t, Options{})
		h.activity("slow", func(context.Context, map[string]any) (any, error) {
			return nil, temporal.NewApplicationError("give up", "Fatal")
		})
		h.run(plan, nil)
		if ae := h.failure(); ae.Type() != "Fatal" {
			t.Fatalf("type %s", ae.Type())
		}
		if n := len(h.callLog()); n != 1 {
			t.Fatalf("%d attempts, want 1", n)
		}
	})
}

func TestActivityTimeoutHasTypeTimeout(t *testing.T) {
	plan := loadPlan(t, `
name: timeout
steps:
  - id: guarded
    try:
      - id: hang
        call: slow
        timeout: 1s
        retry: {maxAttempts: 1}
    catch:
      - errors: [Timeout]
        steps: [{id: note, set: {timedOut: "${{ error.step }}"}}]
output: "${{ vars.timedOut }}"
`)
	h := newHarness(t, Options{})
	h.activity("slow", func(ctx context.Context, _ map[string]any) (any, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	h.run(plan, nil)
	wantJSON(t, h.output(), `"hang"`)
}

func TestBadDataIsNonRetryableAndNamesTheStep(t *testing.T) {
	cases := []struct {
		name, step, typ, msg string
	}{
		{"expression", `{id: bad, call: echo, with: {x: "${{ input.n / input.zero > input.text }}"}}`, ErrExpression, `step "bad": evaluating with: `},
		{"with not a map", `{id: bad, call: echo, with: "${{ input.text }}"}`, ErrValidation, `step "bad": with must be a map, got string`},
		{"sleep until", `{id: bad, sleep: {until: "${{ input.text }}"}}`, ErrValidation, `step "bad": until: want an RFC 3339 time such as 2025-01-31T09:00:00Z, got "abc"`},
		{"if", `{id: bad, if: "${{ input.missing.deeper == 1 }}", call: echo}`, ErrExpression, `step "bad": evaluating if: `},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan, err := loadPlanErr("name: bad\nsteps:\n  - " + c.step + "\n")
			if err != nil {
				t.Fatalf("loading: %v", err)
			}
			h := newHarness(t, Options{})
			h.echo("echo")
			h.run(plan, map[string]any{"n": 1, "zero": 0, "text": "abc"})
			ae := h.failure()
			if ae.Type() != c.typ || !ae.NonRetryable() || !hasPrefix(ae.Message(), c.msg) {
				t.Fatalf("got %s %q (non-retryable %v), want %s %q...", ae.Type(), ae.Message(), ae.NonRetryable(), c.typ, c.msg)
			}
		})
	}
}
