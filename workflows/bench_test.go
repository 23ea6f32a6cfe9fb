package workflows

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

func benchEcho(_ context.Context, with map[string]any) (any, error) { return with, nil }

// chainPlanYAML is a 10-step chain, each step reading the previous output.
func chainPlanYAML() string {
	var b strings.Builder
	b.WriteString("name: bench-chain\nsteps:\n  - id: s0\n    call: echo\n    with: {n: 0}\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "  - id: s%d\n    call: echo\n    with: {n: \"${{ steps.s%d.output.n + 1 }}\"}\n", i, i-1)
	}
	return b.String()
}

// handChain is the Go workflow a Temporal user would write for the same
// chain.
func handChain(ctx workflow.Context) (any, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second})
	out := map[string]any{"n": 0}
	for i := range 10 {
		in := map[string]any{"n": 0}
		if i > 0 {
			in["n"] = out["n"].(float64) + 1
		}
		ctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{ActivityID: fmt.Sprintf("s%d", i), StartToCloseTimeout: 30 * time.Second})
		if err := workflow.ExecuteActivity(ctx, "echo", in).Get(ctx, &out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func benchEnv() *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterActivityWithOptions(benchEcho, activity.RegisterOptions{Name: "echo"})
	return env
}

// BenchmarkChainInterpreter and BenchmarkChainHandWritten run the same ten
// activities in the testsuite; the difference is the interpreter's cost
// (expression evaluation, progress bookkeeping, plan lookup).
func BenchmarkChainInterpreter(b *testing.B) {
	plan := loadPlan(b, chainPlanYAML())
	interp := New(Options{})
	so, err := WorkflowOptions(plan, nil, StartOptions{TaskQueue: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		env := benchEnv()
		interp.Register(env)
		if err := env.SetMemoOnStart(so.Memo); err != nil {
			b.Fatal(err)
		}
		if err := env.SetTypedSearchAttributesOnStart(so.TypedSearchAttributes); err != nil {
			b.Fatal(err)
		}
		env.ExecuteWorkflow(plan.Name, nil)
		if err := env.GetWorkflowError(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChainHandWritten(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		env := benchEnv()
		env.RegisterWorkflowWithOptions(handChain, workflow.RegisterOptions{Name: "hand-chain"})
		env.ExecuteWorkflow("hand-chain")
		if err := env.GetWorkflowError(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBenchChainsAgree keeps the benchmark honest: both workflows compute
// the same result.
func TestBenchChainsAgree(t *testing.T) {
	plan := loadPlan(t, chainPlanYAML())
	h := newHarness(t, Options{})
	h.echo("echo")
	h.run(plan, nil)
	wantJSON(t, h.output(), `{"n": 9}`)
	env := benchEnv()
	env.RegisterWorkflowWithOptions(handChain, workflow.RegisterOptions{Name: "hand-chain"})
	env.ExecuteWorkflow("hand-chain")
	var out any
	if err := env.GetWorkflowResult(&out); err != nil {
		t.Fatal(err)
	}
	wantJSON(t, mustJSON(t, out), `{"n": 9}`)
}
