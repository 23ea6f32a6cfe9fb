package activities_test

import (
	"errors"
	"testing"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/fnchain/orchestrator/activities"
)

// activityEnv registers reg with a fresh Temporal activity test environment,
// so that tests go through the same path a worker does.
func activityEnv(t *testing.T, reg *activities.Registry) *testsuite.TestActivityEnvironment {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	reg.Register(env)
	return env
}

func call[Out any](t *testing.T, env *testsuite.TestActivityEnvironment, name string, with any) (Out, error) {
	t.Helper()
	var out Out
	val, err := env.ExecuteActivity(name, with)
	if err != nil {
		return out, err
	}
	if err := val.Get(&out); err != nil {
		t.Fatalf("decoding result of %s: %v", name, err)
	}
	return out, nil
}

// wantAppError checks that err is an ApplicationError of the given type and
// retryability, and returns it for further checks.
func wantAppError(t *testing.T, err error, typ string, retryable bool) *temporal.ApplicationError {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		t.Fatalf("want ApplicationError %s, got %v", typ, err)
	}
	if appErr.Type() != typ {
		t.Fatalf("want error type %s, got %s: %v", typ, appErr.Type(), err)
	}
	if appErr.NonRetryable() == retryable {
		t.Fatalf("want retryable=%v for %v", retryable, err)
	}
	return appErr
}
