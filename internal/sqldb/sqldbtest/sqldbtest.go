// Package sqldbtest gives tests fresh orchestrator databases on both
// dialects: a SQLite file and a schema of its own on the machine's
// PostgreSQL, dropped when the test ends.
package sqldbtest

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fnchain/orchestrator/internal/sqldb"
)

// PostgresURL is the machine's PostgreSQL (trust auth, database test).
const PostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

var seq atomic.Int64

// Postgres returns a database whose tables live in a new schema.
func Postgres(t testing.TB) *sqldb.DB {
	t.Helper()
	ctx := context.Background()
	schema := fmt.Sprintf("fnchain_test_%d_%d", time.Now().UnixNano(), seq.Add(1))
	admin, err := sqldb.Open(ctx, PostgresURL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	db, err := sqldb.Open(ctx, PostgresURL+"&search_path="+schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// SQLite returns a database in a new file.
func SQLite(t testing.TB) *sqldb.DB {
	t.Helper()
	db, err := sqldb.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "fnchain.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Both returns one database of each dialect, by dialect name.
func Both(t testing.TB) map[string]*sqldb.DB {
	return map[string]*sqldb.DB{"sqlite": SQLite(t), "postgres": Postgres(t)}
}
