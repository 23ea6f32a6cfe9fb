// Package sqldb opens the orchestrator's own database, SQLite in the
// embedded default and PostgreSQL in a cluster, and migrates its tables.
// Components (definitions, API keys, the metering ledger, trigger cursors)
// each own their tables and migrations; this package only gives them one
// connection and one way to evolve a schema.
package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Dialect is the SQL flavour of a DB.
type Dialect int

// The supported dialects.
const (
	SQLite Dialect = iota
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// DB is a database handle that knows its dialect.
type DB struct {
	*sql.DB
	Dialect Dialect
}

// Open connects to url:
//
//	sqlite:///var/lib/fnchain/fnchain.db   a file (created when missing)
//	sqlite::memory:                         a private in-memory database
//	postgres://user@host:5432/db            PostgreSQL (postgresql:// too)
func Open(ctx context.Context, rawURL string) (*DB, error) {
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		db, err := sql.Open("pgx", rawURL)
		if err != nil {
			return nil, fmt.Errorf("opening postgres: %w", err)
		}
		// Every serve and worker process holds a pool: bound it, so a burst
		// queues here instead of exhausting the server's max_connections.
		db.SetMaxOpenConns(postgresMaxConns)
		db.SetMaxIdleConns(postgresMaxConns)
		return ping(ctx, &DB{DB: db, Dialect: Postgres}, redact(rawURL))
	case rawURL == "sqlite::memory:":
		// A named shared-cache database lets the pool's connections see one
		// another's tables; the counter keeps databases of one process apart.
		name := "fnchain-" + strconv.FormatInt(memSeq.Add(1), 10) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		return openSQLite(ctx, "file:"+name+"?mode=memory&cache=shared", rawURL)
	case strings.HasPrefix(rawURL, "sqlite://"):
		path := strings.TrimPrefix(rawURL, "sqlite://")
		if path == "" {
			return nil, fmt.Errorf("database url %q names no file: use sqlite:///path/to/file.db", rawURL)
		}
		return openSQLite(ctx, "file:"+path, rawURL)
	}
	return nil, fmt.Errorf("database url %q: use sqlite:///path/file.db, sqlite::memory: or postgres://...", redact(rawURL))
}

var memSeq atomic.Int64

// postgresMaxConns bounds one process's connections to PostgreSQL.
const postgresMaxConns = 16

func openSQLite(ctx context.Context, dsn, shown string) (*DB, error) {
	q := url.Values{}
	// WAL lets reads run beside the single writer; busy_timeout makes
	// concurrent writers queue instead of failing with SQLITE_BUSY.
	for _, p := range []string{"journal_mode(wal)", "synchronous(normal)", "busy_timeout(10000)", "foreign_keys(on)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	db, err := sql.Open("sqlite", dsn+sep+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("opening sqlite: %w", err)
	}
	if strings.Contains(dsn, "mode=memory") {
		// The database disappears with its last connection.
		db.SetConnMaxIdleTime(0)
		db.SetMaxIdleConns(4)
	}
	db.SetMaxOpenConns(4)
	return ping(ctx, &DB{DB: db, Dialect: SQLite}, shown)
}

func ping(ctx context.Context, db *DB, shown string) (*DB, error) {
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connecting to the %s database %s: %w", db.Dialect, shown, err)
	}
	return db, nil
}

// Rebind turns the ? placeholders of a query into PostgreSQL's $n. Queries
// are written once, with ?, for both dialects.
func (db *DB) Rebind(query string) string {
	if db.Dialect != Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Exec, Query and QueryRow rebind the query first.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return db.DB.ExecContext(ctx, db.Rebind(query), args...)
}

// Query runs a query that returns rows.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return db.DB.QueryContext(ctx, db.Rebind(query), args...)
}

// QueryRow runs a query that returns at most one row.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return db.DB.QueryRowContext(ctx, db.Rebind(query), args...)
}

// Migrate applies the steps of component that the database has not seen, in
// order, each in its own transaction. Steps are append-only: never edit one
// that has shipped, add a new one.
func (db *DB) Migrate(ctx context.Context, component string, steps []string) error {
	if _, err := db.Exec(ctx, `CREATE TABLE IF NOT EXISTS fnchain_migrations (
		component TEXT NOT NULL,
		version   INTEGER NOT NULL,
		PRIMARY KEY (component, version))`); err != nil {
		return fmt.Errorf("creating the migrations table: %w", err)
	}
	for i, step := range steps {
		version := i + 1
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrating %s: %w", component, err)
		}
		var seen int
		err = tx.QueryRowContext(ctx, db.Rebind(`SELECT COUNT(*) FROM fnchain_migrations WHERE component = ? AND version = ?`), component, version).Scan(&seen)
		if err == nil && seen == 0 {
			if _, err = tx.ExecContext(ctx, step); err == nil {
				_, err = tx.ExecContext(ctx, db.Rebind(`INSERT INTO fnchain_migrations (component, version) VALUES (?, ?)`), component, version)
			}
		}
		if err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("migrating %s to version %d: %w", component, version, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrating %s to version %d: %w", component, version, err)
		}
	}
	return nil
}

// IsUniqueViolation reports whether err is a duplicate-key error, which
// idempotent writers treat as "already done".
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) {
		return coded.SQLState() == "23505"
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// redact hides a password in a URL, for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
