package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/fnchain/orchestrator/dsl"
)

// testFunctions are the function names test plans call; the fakes behind
// them are registered per test.
var testFunctions = []string{"echo", "fail", "slow", "charge", "refund", "reserve", "release", "ship", "notify", "step"}

func testRegistry() *dsl.StaticRegistry {
	reg := &dsl.StaticRegistry{Functions: map[string]dsl.FunctionSpec{}}
	for _, name := range testFunctions {
		reg.Functions[name] = dsl.FunctionSpec{Name: name}
	}
	return reg
}

// loadPlan compiles one workflow from YAML text.
func loadPlan(t testing.TB, src string) *dsl.Workflow {
	t.Helper()
	wfs, err := dsl.Load("test.yaml", []byte(src), testRegistry())
	if err != nil {
		t.Fatalf("loading plan: %v", err)
	}
	return wfs[0]
}

// harness is a test environment running the interpreter, with a log of the
// activity calls the fakes saw.
type harness struct {
	t      testing.TB
	env    *testsuite.TestWorkflowEnvironment
	interp *Interpreter
	mu     sync.Mutex
	calls  []string
}

func newHarness(t testing.TB, opts Options) *harness {
	return interpreterHarness(t, New(opts))
}

// interpreterHarness runs interp, whose plan cache may be shared with other
// harnesses.
func interpreterHarness(t testing.TB, interp *Interpreter) *harness {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	h := &harness{t: t, env: suite.NewTestWorkflowEnvironment(), interp: interp}
	// The machine is shared: a busy CPU must not look like a deadlock.
	h.env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: time.Minute})
	h.interp.Register(h.env)
	return h
}

// activity registers fn as the activity named name, logging each call as
// "name(activity id)".
func (h *harness) activity(name string, fn func(ctx context.Context, with map[string]any) (any, error)) {
	h.env.RegisterActivityWithOptions(func(ctx context.Context, with map[string]any) (any, error) {
		h.mu.Lock()
		h.calls = append(h.calls, fmt.Sprintf("%s(%s)", name, activity.GetInfo(ctx).ActivityID))
		h.mu.Unlock()
		return fn(ctx, with)
	}, activity.RegisterOptions{Name: name})
}

// echo registers activities that return their `with` map.
func (h *harness) echo(names ...string) {
	for _, name := range names {
		h.activity(name, func(_ context.Context, with map[string]any) (any, error) { return with, nil })
	}
}

// failing registers an activity that fails with an ApplicationError of typ.
func (h *harness) failing(name, typ string) {
	h.activity(name, func(context.Context, map[string]any) (any, error) {
		return nil, temporal.NewNonRetryableApplicationError(name+" broke", typ, nil)
	})
}

// run starts plan with input the way Start does (memo, search attributes)
// and waits for it to finish.
func (h *harness) run(plan *dsl.Workflow, input any) {
	h.t.Helper()
	h.start(plan)
	in, err := jsonValue(input)
	if err != nil {
		h.t.Fatal(err)
	}
	h.env.ExecuteWorkflow(plan.Name, in)
	if !h.env.IsWorkflowCompleted() {
		h.t.Fatal("workflow did not complete")
	}
}

func (h *harness) start(plan *dsl.Workflow) {
	h.t.Helper()
	so, err := WorkflowOptions(plan, nil, StartOptions{TaskQueue: "test"})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.env.SetMemoOnStart(so.Memo); err != nil {
		h.t.Fatal(err)
	}
	if err := h.env.SetTypedSearchAttributesOnStart(so.TypedSearchAttributes); err != nil {
		h.t.Fatal(err)
	}
}

// output returns the run's result as JSON text.
func (h *harness) output() string {
	h.t.Helper()
	if err := h.env.GetWorkflowError(); err != nil {
		h.t.Fatalf("workflow failed: %v", err)
	}
	var out any
	if err := h.env.GetWorkflowResult(&out); err != nil {
		h.t.Fatal(err)
	}
	data, err := json.Marshal(out)
	if err != nil {
		h.t.Fatal(err)
	}
	return string(data)
}

// failure returns the run's failure, which must be an ApplicationError.
func (h *harness) failure() *temporal.ApplicationError {
	h.t.Helper()
	err := h.env.GetWorkflowError()
	if err == nil {
		h.t.Fatal("workflow succeeded, want a failure")
	}
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) {
		h.t.Fatalf("workflow failed with %v, want an ApplicationError", err)
	}
	return ae
}

func (h *harness) callLog() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.calls...)
}

func wantJSON(t testing.TB, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("bad JSON %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad JSON %s: %v", want, err)
	}
	gd, _ := json.Marshal(g)
	wd, _ := json.Marshal(w)
	if string(gd) != string(wd) {
		t.Fatalf("got %s\nwant %s", gd, wd)
	}
}

type (
	workflowInfo    = workflow.Info
	workflowContext = workflow.Context
	encodedValues   = converter.EncodedValues
)

var defaultConverter = converter.GetDefaultDataConverter()

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func loadPlanErr(src string) (*dsl.Workflow, error) {
	wfs, err := dsl.Load("test.yaml", []byte(src), testRegistry())
	if err != nil {
		return nil, err
	}
	return wfs[0], nil
}

func replace(s, old, new string) string { return strings.ReplaceAll(s, old, new) }

func hasPrefix(s, prefix string) bool { return strings.HasPrefix(s, prefix) }
