package metering

import (
	"context"
	"testing"
	"time"

	"github.com/fnchain/orchestrator/internal/sqldb"
	"github.com/fnchain/orchestrator/internal/sqldb/sqldbtest"
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

func databases(t testing.TB) map[string]*sqldb.DB { return sqldbtest.Both(t) }

func reading(wf, run, act string, attempt int32, fn string, us int64, outcome Outcome, src Source) Reading {
	return Reading{WorkflowID: wf, RunID: run, ActivityID: act, Attempt: attempt, Function: fn, Workflow: "orders",
		TaskQueue: "fnchain", Start: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC), DurationUs: us, BilledMs: BilledMs(us),
		Outcome: outcome, BytesIn: 10, BytesOut: 20, Source: src}
}
