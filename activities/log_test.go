package activities_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/fnchain/orchestrator/activities"
)

func TestLogWritesThroughActivityLogger(t *testing.T) {
	var buf bytes.Buffer
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	env := suite.NewTestActivityEnvironment()
	activities.Builtin().Register(env)
	out, err := call[activities.LogOutput](t, env, "log", map[string]any{"message": "order shipped", "level": "warn", "fields": map[string]any{"orderId": "o-7"}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Message != "order shipped" {
		t.Fatalf("result = %+v", out)
	}
	line := buf.String()
	for _, want := range []string{"level=WARN", `msg="order shipped"`, "orderId=o-7", "ActivityType=log"} {
		if !strings.Contains(line, want) {
			t.Errorf("log output lacks %s: %s", want, line)
		}
	}
	_, err = call[activities.LogOutput](t, env, "log", map[string]any{"message": "x", "level": "loud"})
	if appErr := wantAppError(t, err, activities.TypeValidation, false); !strings.Contains(appErr.Error(), `"level"`) {
		t.Fatalf("error does not name level: %v", appErr)
	}
}
