package bindings_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/fnchain/orchestrator/activities"
	"github.com/fnchain/orchestrator/bindings"
)

// openEnv opens cfg and registers the binding functions with a Temporal
// activity test environment, so that calls take the path a worker takes.
func openEnv(t *testing.T, suite *testsuite.WorkflowTestSuite, cfg bindings.Connections) (*bindings.Pool, *testsuite.TestActivityEnvironment) {
	t.Helper()
	pool, err := bindings.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("opening %v: %v", cfg, err)
	}
	t.Cleanup(func() { _ = pool.Close() })
	reg := activities.NewRegistry()
	if err := bindings.Register(reg, pool); err != nil {
		t.Fatal(err)
	}
	if suite == nil {
		suite = &testsuite.WorkflowTestSuite{}
	}
	env := suite.NewTestActivityEnvironment()
	env.SetTestTimeout(30 * time.Second)
	reg.Register(env)
	return pool, env
}

func callActivity(t *testing.T, env *testsuite.TestActivityEnvironment, name string, with any) (map[string]any, error) {
	t.Helper()
	val, err := env.ExecuteActivity(name, with)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := val.Get(&out); err != nil {
		t.Fatalf("decoding result of %s: %v", name, err)
	}
	return out, nil
}

func mustCall(t *testing.T, env *testsuite.TestActivityEnvironment, name string, with any) map[string]any {
	t.Helper()
	out, err := callActivity(t, env, name, with)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

func wantAppError(t *testing.T, err error, typ string, retryable bool, mentions ...string) {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		t.Fatalf("want ApplicationError %s, got %v", typ, err)
	}
	if appErr.Type() != typ || appErr.NonRetryable() == retryable {
		t.Fatalf("want type %s retryable=%v, got %s retryable=%v: %v", typ, retryable, appErr.Type(), !appErr.NonRetryable(), err)
	}
	for _, m := range mentions {
		if !strings.Contains(err.Error(), m) {
			t.Fatalf("error %q does not mention %q", err.Error(), m)
		}
	}
}

// closedPort returns a local port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	return port
}

func unique(t *testing.T) string {
	return fmt.Sprintf("fnchain-%s-%d", strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()), time.Now().UnixNano())
}
