package api

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/humatest"
	"go.temporal.io/sdk/client"

	"github.com/fnchain/orchestrator/activities"
	"github.com/fnchain/orchestrator/internal/catalog"
	"github.com/fnchain/orchestrator/internal/sqldb/sqldbtest"
	"github.com/fnchain/orchestrator/tests/harness"
)

// One `orchestrator dev --memory`, started by the first test that needs
// Temporal: its worker runs the runs these tests start, since a run
// carries its plan. Fuzz workers never start it.
var (
	stackOnce      sync.Once
	stack          *harness.Stack
	temporalClient client.Client
	stackErr       error
)

func sharedTemporal(t testing.TB) client.Client {
	t.Helper()
	stackOnce.Do(func() {
		if stack, stackErr = harness.StartE(harness.Options{Memory: true}); stackErr != nil {
			return
		}
		temporalClient, stackErr = client.Dial(client.Options{HostPort: stack.TemporalAddress, Namespace: "default"})
	})
	if stackErr != nil {
		t.Fatalf("starting orchestrator dev: %v", stackErr)
	}
	return temporalClient
}

func TestMain(m *testing.M) {
	code := m.Run()
	if temporalClient != nil {
		temporalClient.Close()
	}
	if stack != nil {
		if err := stack.Stop(harness.StopTimeout); err != nil {
			fmt.Fprintln(os.Stderr, "stopping orchestrator dev:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// newTestAPI serves the operations over a fresh catalog and the shared
// Temporal; adjust changes the backend before registration.
func newTestAPI(t *testing.T, adjust func(*Backend)) (humatest.TestAPI, *Backend) {
	t.Helper()
	a, b := newServed(t, adjust)
	return humatest.Wrap(t, a), b
}

func newServed(t testing.TB, adjust func(*Backend)) (huma.API, *Backend) {
	t.Helper()
	db := sqldbtest.SQLite(t)
	reg := activities.Builtin()
	cat, err := catalog.New(context.Background(), db, reg)
	if err != nil {
		t.Fatal(err)
	}
	b := &Backend{Catalog: cat, Registry: reg, Namespace: "default", TaskQueue: "fnchain", UIURL: "http://ui.test"}
	if adjust != nil {
		adjust(b)
	}
	if b.Temporal == nil {
		b.Temporal = sharedTemporal(t)
	}
	_, a := New(Options{Version: "test"})
	Register(a, b)
	return a, b
}
