package metering

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/fnchain/orchestrator/internal/sqldb"
)

// ledgers returns a fresh ledger on SQLite and one on the machine's
// Postgres, each in its own schema.
func ledgers(t testing.TB, prices Prices) map[string]*Ledger {
	t.Helper()
	ctx := context.Background()
	out := map[string]*Ledger{}
	for name, db := range databases(t) {
		l, err := NewLedger(ctx, db, prices)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Cleanup(func() { l.Close() })
		out[name] = l
	}
	return out
}

func databases(t testing.TB) map[string]*sqldb.DB {
	t.Helper()
	ctx := context.Background()
	lite, err := sqldb.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "m.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	schema := fmt.Sprintf("metering_test_%d", time.Now().UnixNano())
	admin, err := sqldb.Open(ctx, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); admin.Close() })
	pg, err := sqldb.Open(ctx, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable&search_path="+schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	return map[string]*sqldb.DB{"sqlite": lite, "postgres": pg}
}

func reading(wf, run, act string, attempt int32, fn string, us int64, outcome Outcome, src Source) Reading {
	return Reading{WorkflowID: wf, RunID: run, ActivityID: act, Attempt: attempt, Function: fn, Workflow: "orders",
		TaskQueue: "fnchain", Start: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), DurationUs: us, BilledMs: BilledMs(us),
		Outcome: outcome, BytesIn: 10, BytesOut: 20, Source: src}
}
