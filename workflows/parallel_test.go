package workflows

import (
	"slices"
	"testing"
)

func TestParallelOutputsByBranch(t *testing.T) {
	plan := loadPlan(t, `
name: fanout
steps:
  - id: both
    parallel:
      a:
        - id: callA
          call: echo
          with: {v: a}
      b:
        - sleep: 1m
        - id: callB
          call: echo
          with: {v: b}
`)
	h := newHarness(t, Options{})
	h.echo("echo")
	h.run(plan, nil)
	wantJSON(t, h.output(), `{"a": {"v": "a"}, "b": {"v": "b"}}`)
}

func TestParallelFailFastCancelsOtherBranches(t *testing.T) {
	plan := loadPlan(t, `
name: failfast
steps:
  - id: both
    failFast: true
    parallel:
      bad:
        - id: broken
          call: fail
      slow:
        - sleep: 1h
        - id: late
          call: echo
`)
	h := newHarness(t, Options{})
	h.echo("echo")
	h.failing("fail", "Boom")
	h.run(plan, nil)
	ae := h.failure()
	if ae.Type() != "Boom" {
		t.Fatalf("type %q, want Boom", ae.Type())
	}
	if got := h.callLog(); !slices.Equal(got, []string{"fail(broken)"}) {
		t.Fatalf("calls %v: the slow branch was not cancelled", got)
	}
}

func TestParallelWithoutFailFastFinishesEveryBranch(t *testing.T) {
	plan := loadPlan(t, `
name: nofailfast
steps:
  - id: both
    parallel:
      bad:
        - id: broken
          call: fail
      slow:
        - sleep: 1h
        - id: late
          call: echo
`)
	h := newHarness(t, Options{})
	h.echo("echo")
	h.failing("fail", "Boom")
	h.run(plan, nil)
	if ae := h.failure(); ae.Type() != "Boom" {
		t.Fatalf("type %q, want Boom", ae.Type())
	}
	if got := h.callLog(); !slices.Equal(got, []string{"fail(broken)", "echo(late)"}) {
		t.Fatalf("calls %v, want both branches to finish", got)
	}
}

func TestParallelRaceFirstSuccessWins(t *testing.T) {
	plan := loadPlan(t, `
name: race
steps:
  - id: first
    race: true
    parallel:
      broken:
        - id: bad
          call: fail
      fast:
        - sleep: 1m
        - id: quick
          call: echo
          with: {who: fast}
      slow:
        - sleep: 1h
        - id: lazy
          call: echo
          with: {who: slow}
`)
	h := newHarness(t, Options{})
	h.echo("echo")
	h.failing("fail", "Boom")
	h.run(plan, nil)
	wantJSON(t, h.output(), `{"winner": "fast", "output": {"who": "fast"}}`)
	if got := h.callLog(); slices.Contains(got, "echo(lazy)") {
		t.Fatalf("calls %v: the losing branch was not cancelled", got)
	}
}

func TestParallelRaceFailsWhenEveryBranchFails(t *testing.T) {
	plan := loadPlan(t, `
name: racefail
steps:
  - id: first
    race: true
    parallel:
      a: [{id: x, call: fail}]
      b: [{id: y, call: fail}]
`)
	h := newHarness(t, Options{})
	h.failing("fail", "Boom")
	h.run(plan, nil)
	if ae := h.failure(); ae.Type() != "Boom" {
		t.Fatalf("type %q, want Boom", ae.Type())
	}
}
