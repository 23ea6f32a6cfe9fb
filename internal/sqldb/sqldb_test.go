package sqldb

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// PostgresURL is the machine's PostgreSQL (trust auth, database test).
const PostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func dialects(t *testing.T) map[string]*DB {
	t.Helper()
	ctx := context.Background()
	out := map[string]*DB{}
	for name, u := range map[string]string{
		"sqlite-file":   "sqlite://" + filepath.Join(t.TempDir(), "f.db"),
		"sqlite-memory": "sqlite::memory:",
		"postgres":      PostgresURL,
	} {
		db, err := Open(ctx, u)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Cleanup(func() { db.Close() })
		out[name] = db
	}
	return out
}

func TestMigrateIsIdempotentAndOrdered(t *testing.T) {
	ctx := context.Background()
	for name, db := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			comp := fmt.Sprintf("test_%d", time.Now().UnixNano())
			table := comp + "_t"
			steps := []string{
				"CREATE TABLE " + table + " (id INTEGER PRIMARY KEY, v TEXT NOT NULL)",
				"ALTER TABLE " + table + " ADD COLUMN w TEXT",
			}
			t.Cleanup(func() { db.Exec(ctx, "DROP TABLE IF EXISTS "+table) })
			for range 2 {
				if err := db.Migrate(ctx, comp, steps); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.Exec(ctx, "INSERT INTO "+table+" (id, v, w) VALUES (?, ?, ?)", 1, "a", "b"); err != nil {
				t.Fatal(err)
			}
			_, err := db.Exec(ctx, "INSERT INTO "+table+" (id, v, w) VALUES (?, ?, ?)", 1, "again", "b")
			if !IsUniqueViolation(err) {
				t.Fatalf("duplicate key: %v, want a unique violation", err)
			}
			var w string
			if err := db.QueryRow(ctx, "SELECT w FROM "+table+" WHERE id = ?", 1).Scan(&w); err != nil || w != "b" {
				t.Fatalf("read back %q, %v", w, err)
			}
			bad := append(steps, "CREATE TABLE nonsense (")
			if err := db.Migrate(ctx, comp, bad); err == nil || !strings.Contains(err.Error(), "migrating "+comp+" to version 3") {
				t.Fatalf("bad step: %v", err)
			}
		})
	}
}

// Concurrent writers queue on SQLite's lock instead of failing.
func TestConcurrentWrites(t *testing.T) {
	ctx := context.Background()
	for name, db := range dialects(t) {
		t.Run(name, func(t *testing.T) {
			table := fmt.Sprintf("cw_%d", time.Now().UnixNano())
			if _, err := db.Exec(ctx, "CREATE TABLE "+table+" (id INTEGER PRIMARY KEY)"); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Exec(ctx, "DROP TABLE "+table) })
			var wg sync.WaitGroup
			errs := make(chan error, 200)
			for i := range 200 {
				wg.Go(func() {
					_, err := db.Exec(ctx, "INSERT INTO "+table+" (id) VALUES (?)", i)
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			var n int
			if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil || n != 200 {
				t.Fatalf("count %d, %v", n, err)
			}
		})
	}
}

func TestOpenBadURLs(t *testing.T) {
	ctx := context.Background()
	cases := map[string]string{
		"mysql://x": `database url "mysql://x": use sqlite:///path/file.db, sqlite::memory: or postgres://...`,
		"sqlite://": `names no file`,
		"postgres://u:secret@127.0.0.1:1/db?connect_timeout=2": "connecting to the postgres database postgres://u:xxxxx@127.0.0.1:1/db",
		"sqlite:///nonexistent-dir/x/y.db":                     "connecting to the sqlite database",
	}
	for u, want := range cases {
		_, err := Open(ctx, u)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q) = %v, want it to contain %q and no password", u, err, want)
		}
	}
}
