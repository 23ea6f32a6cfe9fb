package devserver

import (
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/lib/pq"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	postgresplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	"go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"
)

// postgresShards is the number of history shards of a database created on
// Postgres. Temporal fixes it when the database is created; a few shards let
// one machine's cores work on many runs at once, where SQLite's single writer
// gains nothing from more than one.
const postgresShards = 4

// The embedded schema directories of the postgres12 plugin, applied by the
// server's own schema tool.
const (
	postgresSchema           = "postgresql/v12/temporal"
	postgresVisibilitySchema = "postgresql/v12/visibility"
)

// visibilitySuffix names the visibility database after the main one: with
// --temporal-db postgres://host/temporal the server uses the databases
// temporal and temporal_visibility.
const visibilitySuffix = "_visibility"

// parsePostgresURL turns --temporal-db into the server's SQL configuration of
// the main database.
func parsePostgresURL(raw string) (*config.SQL, error) {
	bad := func(why string) error {
		return fmt.Errorf("--temporal-db %q %s: use postgres://user:password@host:5432/temporal", Redact(raw), why)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, bad("is not a URL")
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return nil, bad("is not a postgres:// URL")
	}
	if u.Hostname() == "" {
		return nil, bad("names no host")
	}
	db := strings.TrimPrefix(u.Path, "/")
	if db == "" || strings.Contains(db, "/") {
		return nil, bad("names no database")
	}
	if strings.ContainsAny(db, `"';`) || strings.ContainsAny(db, " \t") {
		return nil, bad("has a database name with quotes, spaces or semicolons")
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	user := u.User.Username()
	if user == "" {
		user = "postgres"
	}
	password, _ := u.User.Password()
	attrs := map[string]string{}
	for k, v := range u.Query() {
		attrs[k] = v[len(v)-1]
	}
	return &config.SQL{
		PluginName:        postgresplugin.PluginName,
		DatabaseName:      db,
		ConnectAddr:       net.JoinHostPort(u.Hostname(), port),
		ConnectProtocol:   "tcp",
		User:              user,
		Password:          password,
		ConnectAttributes: attrs,
		MaxConns:          20,
		MaxIdleConns:      20,
	}, nil
}

// preparePostgres creates the main and visibility databases when missing and
// brings both schemas to this server's version, as `temporal-sql-tool
// setup-schema -v 0.0` followed by `update-schema` would.
func preparePostgres(raw string, logger log.Logger) (store, visibility *config.SQL, err error) {
	store, err = parsePostgresURL(raw)
	if err != nil {
		return nil, nil, err
	}
	v := *store
	v.DatabaseName = store.DatabaseName + visibilitySuffix
	visibility = &v
	for _, db := range []struct {
		cfg    *config.SQL
		schema string
	}{{store, postgresSchema}, {visibility, postgresVisibilitySchema}} {
		if err := migratePostgres(db.cfg, db.schema, logger); err != nil {
			return nil, nil, fmt.Errorf("preparing temporal database %s on %s (--temporal-db): %w", db.cfg.DatabaseName, db.cfg.ConnectAddr, err)
		}
	}
	return store, visibility, nil
}

func migratePostgres(cfg *config.SQL, schemaName string, logger log.Logger) error {
	if err := ensureDatabase(cfg, logger); err != nil {
		return err
	}
	conn, err := sqltool.NewConnection(cfg, logger)
	if err != nil {
		return fmt.Errorf("connecting: %w", oneLine(err))
	}
	defer conn.Close()
	if err := schema.NewSetupSchemaTask(conn, &schema.SetupConfig{InitialVersion: "0.0"}, logger).Run(); err != nil {
		return fmt.Errorf("creating the schema version tables: %w", oneLine(err))
	}
	if err := schema.NewUpdateSchemaTask(conn, &schema.UpdateConfig{SchemaName: schemaName}, logger).Run(); err != nil {
		return fmt.Errorf("upgrading the schema: %w", oneLine(err))
	}
	return nil
}

// ensureDatabase creates the database only when it is missing, so that a
// role without CREATEDB can use databases an administrator made for it. It
// probes with the driver itself: the server's connection layer replaces the
// driver's error, which says what is wrong, with a generic one.
func ensureDatabase(cfg *config.SQL, logger log.Logger) error {
	err := ping(cfg)
	var pqErr *pq.Error
	if err == nil || !errors.As(err, &pqErr) || pqErr.Code != "3D000" {
		return unreachable(err)
	}
	admin := *cfg
	admin.DatabaseName = "postgres"
	conn, err := sqltool.NewConnection(&admin, logger)
	if err != nil {
		return unreachable(err)
	}
	defer conn.Close()
	if err := conn.CreateDatabase(cfg.DatabaseName); err != nil {
		return fmt.Errorf("creating the database: %w", oneLine(err))
	}
	return nil
}

func ping(cfg *config.SQL) error {
	q := url.Values{}
	for k, v := range cfg.ConnectAttributes {
		q.Set(k, v)
	}
	// The server's default, so the probe sees what the server will.
	if q.Get("sslmode") == "" {
		q.Set("sslmode", "disable")
	}
	q.Set("connect_timeout", "10")
	u := url.URL{Scheme: "postgres", User: url.UserPassword(cfg.User, cfg.Password), Host: cfg.ConnectAddr, Path: "/" + cfg.DatabaseName, RawQuery: q.Encode()}
	db, err := sql.Open("postgres", u.String())
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Ping()
}

// unreachable names the usual causes of a failed connection.
func unreachable(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("connecting: %w: check that Postgres runs and accepts the URL's user and password", oneLine(err))
}

type lineError struct{ err error }

func (e lineError) Error() string { return strings.Join(strings.Fields(e.err.Error()), " ") }
func (e lineError) Unwrap() error { return e.err }

// oneLine keeps a driver's multi-line message on the one line users read.
func oneLine(err error) error { return lineError{err} }

// Redact hides the password of a URL shown in an error, also in one that
// does not parse.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err == nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		return u.String()
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	at := strings.LastIndex(rest, "@")
	if !ok || at < 0 {
		return raw
	}
	user, _, _ := strings.Cut(rest[:at], ":")
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}
