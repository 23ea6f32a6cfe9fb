package metering

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// fakeFunction stands in for a registry function: raw JSON in, any out.
func fakeFunction(ctx context.Context, with json.RawMessage) (any, error) {
	var in struct {
		Fail  string        `json:"fail"`
		Sleep time.Duration `json:"sleep"`
	}
	if err := json.Unmarshal(with, &in); err != nil {
		return nil, err
	}
	time.Sleep(in.Sleep)
	switch in.Fail {
	case "app":
		return nil, temporal.NewApplicationError("boom", "HTTPError")
	case "cancel":
		return nil, context.Canceled
	case "deadline":
		return nil, context.DeadlineExceeded
	}
	return map[string]any{"ok": true}, nil
}

func TestInterceptorMetersEveryOutcome(t *testing.T) {
	ledger := ledgers(t, DefaultPrices())["sqlite"]
	w := NewWriter(ledger, quiet)
	defer w.Close()
	i := NewInterceptor(DefaultConfig(), w, nil, quiet)
	for input, want := range map[string]Outcome{
		`{"sleep":3000000}`:   OutcomeCompleted,
		`{"fail":"app"}`:      OutcomeFailed,
		`{"fail":"cancel"}`:   OutcomeCancelled,
		`{"fail":"deadline"}`: OutcomeTimedOut,
	} {
		var s testsuite.WorkflowTestSuite
		env := s.NewTestActivityEnvironment()
		env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{i}})
		env.RegisterActivityWithOptions(fakeFunction, activity.RegisterOptions{Name: "fake.fn"})
		_, _ = env.ExecuteActivity("fake.fn", json.RawMessage(input))
		rs, err := ledger.Readings(context.Background(), "default-test-workflow-id", "default-test-run-id")
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1 {
			t.Fatalf("%s: readings %+v", input, rs)
		}
		r := rs[0]
		if r.Outcome != want || r.Function != "fake.fn" || r.Attempt != 1 || r.Source != SourceWorker || r.BytesIn != int64(len(input)) {
			t.Errorf("%s: %+v, want outcome %s", input, r, want)
		}
		if want == OutcomeCompleted && (r.DurationUs < 3000 || r.BilledMs != BilledMs(r.DurationUs) || r.BytesOut != int64(len(`{"ok":true}`))) {
			t.Errorf("completed reading: %+v", r)
		}
		if _, err := ledger.db.Exec(context.Background(), `DELETE FROM metering_ledger`); err != nil {
			t.Fatal(err)
		}
	}
}

func TestInterceptorSkipsExcludedActivities(t *testing.T) {
	ledger := ledgers(t, DefaultPrices())["sqlite"]
	w := NewWriter(ledger, quiet)
	defer w.Close()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{NewInterceptor(DefaultConfig(), w, nil, quiet)}})
	env.RegisterActivityWithOptions(fakeFunction, activity.RegisterOptions{Name: "fnchain.internal"})
	if _, err := env.ExecuteActivity("fnchain.internal", json.RawMessage(`{}`)); err != nil {
		t.Fatal(err)
	}
	if rs, _ := ledger.Readings(context.Background(), "default-test-workflow-id", "default-test-run-id"); len(rs) != 0 {
		t.Fatalf("an excluded activity was metered: %+v", rs)
	}
}

// A fnchain run ends with FnchainBilledMs set to the sum of its readings.
func TestRunPublishesBilledMs(t *testing.T) {
	ledger := ledgers(t, DefaultPrices())["sqlite"]
	w := NewWriter(ledger, quiet)
	defer w.Close()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{NewInterceptor(DefaultConfig(), w, nil, quiet)}})
	if err := env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(keyPlanWorkflow.ValueSet("orders"))); err != nil {
		t.Fatal(err)
	}
	env.RegisterActivityWithOptions(fakeFunction, activity.RegisterOptions{Name: "fake.fn"})
	RegisterActivities(env, ledger)
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context) error {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute, RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1}})
		for _, in := range []string{`{"sleep": 2500000}`, `{"fail": "app"}`} {
			_ = workflow.ExecuteActivity(ctx, "fake.fn", json.RawMessage(in)).Get(ctx, nil)
		}
		return nil
	}, workflow.RegisterOptions{Name: "orders"})
	var published int64 = -1
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		sa := args.Get(0).(temporal.SearchAttributes)
		published, _ = sa.GetInt64(keyBilledMs)
	}).Return(nil)
	env.ExecuteWorkflow("orders")
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	u, err := ledger.RunUsage(context.Background(), "default-test-workflow-id", "default-test-run-id")
	if err != nil {
		t.Fatal(err)
	}
	if u.Attempts != 2 || u.BilledMs < 3 || published != u.BilledMs {
		t.Fatalf("published %d, ledger %+v", published, u)
	}
}
