package bindings

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/temporal"

	"github.com/fnchain/orchestrator/activities"
)

// TypePostgres is the error type of an error the server reported.
const TypePostgres = "PostgresError"

type postgresConn struct {
	pool *pgxpool.Pool
}

func openPostgres(ctx context.Context, rawURL string) (conn, error) {
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parsing url: %w", err)
	}
	// pgxpool connects on first use, so a worker starts while Postgres is down.
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("creating pool: %w", err)
	}
	return &postgresConn{pool: pool}, nil
}

func (c *postgresConn) check(ctx context.Context) error { return c.pool.Ping(ctx) }

func (c *postgresConn) close() error {
	c.pool.Close()
	return nil
}

// PostgresQueryInput is the `with` of postgres.query.
type PostgresQueryInput struct {
	Connection string `json:"connection" minLength:"1" doc:"name of a postgres connection"`
	SQL        string `json:"sql" minLength:"1" doc:"one statement; values go in args as $1, $2..., never into the text"`
	Args       []any  `json:"args,omitempty" doc:"statement parameters"`
}

// PostgresQueryOutput is the result of postgres.query.
type PostgresQueryOutput struct {
	Rows []map[string]any `json:"rows" doc:"one object per row, keyed by column name"`
}

// PostgresExecOutput is the result of postgres.exec.
type PostgresExecOutput struct {
	RowsAffected int64 `json:"rowsAffected" doc:"rows the statement changed"`
}

func (b binder) postgresQuery(ctx context.Context, in PostgresQueryInput) (PostgresQueryOutput, error) {
	c, pg, err := lookup[*postgresConn](b.pool, in.Connection, "postgres")
	if err != nil {
		return PostgresQueryOutput{}, err
	}
	rows, err := pg.pool.Query(ctx, in.SQL, postgresArgs(in.Args)...)
	if err != nil {
		return PostgresQueryOutput{}, postgresError(ctx, c, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (map[string]any, error) {
		values, err := row.Values()
		if err != nil {
			return nil, err
		}
		m := make(map[string]any, len(values))
		for i, fd := range row.FieldDescriptions() {
			m[fd.Name] = jsonValue(values[i])
		}
		return m, nil
	})
	if err != nil {
		return PostgresQueryOutput{}, postgresError(ctx, c, err)
	}
	if out == nil {
		out = []map[string]any{}
	}
	return PostgresQueryOutput{Rows: out}, nil
}

func (b binder) postgresExec(ctx context.Context, in PostgresQueryInput) (PostgresExecOutput, error) {
	c, pg, err := lookup[*postgresConn](b.pool, in.Connection, "postgres")
	if err != nil {
		return PostgresExecOutput{}, err
	}
	tag, err := pg.pool.Exec(ctx, in.SQL, postgresArgs(in.Args)...)
	if err != nil {
		return PostgresExecOutput{}, postgresError(ctx, c, err)
	}
	return PostgresExecOutput{RowsAffected: tag.RowsAffected()}, nil
}

func postgresArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = argValue(a)
	}
	return out
}

// jsonValue gives values whose default JSON form is unhelpful a readable one.
func jsonValue(v any) any {
	if u, ok := v.([16]byte); ok {
		return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
	}
	return v
}

// postgresError sorts failures: the server's own errors keep their SQLSTATE
// and are non-retryable where the statement itself is at fault (classes 22
// data, 23 constraint, 42 syntax or access); transport failures are retryable
// ConnectionErrors; anything else the driver raised before sending, such as an
// argument it cannot encode, is a ValidationError.
func postgresError(ctx context.Context, c *connection, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		class := pgErr.Code[:2]
		nonRetryable := class == "22" || class == "23" || class == "42"
		return temporal.NewApplicationErrorWithOptions(
			fmt.Sprintf("connection %q: %s (SQLSTATE %s)", c.name, c.red.text(pgErr.Message), pgErr.Code),
			TypePostgres,
			temporal.ApplicationErrorOptions{NonRetryable: nonRetryable, Details: []any{map[string]any{"code": pgErr.Code}}})
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connectErr) || errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err) {
		return c.fail(err)
	}
	return activities.NewValidationError("argument \"args\": %s", c.red.text(err.Error()))
}
