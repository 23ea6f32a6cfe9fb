package metering

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/fnchain/orchestrator/internal/sqldb"
)

// Ledger is the table of meter readings on the orchestrator database.
type Ledger struct {
	db     *sqldb.DB
	prices Prices
	insert *sql.Stmt
}

var migrations = []string{
	`CREATE TABLE metering_ledger (
		workflow_id TEXT NOT NULL,
		run_id      TEXT NOT NULL,
		activity_id TEXT NOT NULL,
		attempt     INTEGER NOT NULL,
		function    TEXT NOT NULL,
		workflow    TEXT NOT NULL,
		task_queue  TEXT NOT NULL,
		started_us  BIGINT NOT NULL,
		duration_us BIGINT NOT NULL,
		billed_ms   BIGINT NOT NULL,
		outcome     TEXT NOT NULL,
		bytes_in    BIGINT NOT NULL,
		bytes_out   BIGINT NOT NULL,
		source      TEXT NOT NULL,
		PRIMARY KEY (workflow_id, run_id, activity_id, attempt))`,
	`CREATE INDEX metering_ledger_started ON metering_ledger (started_us)`,
	`CREATE TABLE metering_reconciled (
		workflow_id TEXT NOT NULL,
		run_id      TEXT NOT NULL,
		closed_us   BIGINT NOT NULL,
		PRIMARY KEY (workflow_id, run_id))`,
}

// upsertHead and upsertTail wrap the VALUES rows of one statement, which
// is atomic on its own: no transaction, one round trip per batch. The
// statement is idempotent on the primary key; a worker's reading replaces
// a reconciled one, never the reverse.
const (
	upsertHead = `INSERT INTO metering_ledger (workflow_id, run_id, activity_id, attempt, function, workflow, task_queue,
	started_us, duration_us, billed_ms, outcome, bytes_in, bytes_out, source) VALUES `
	upsertRow  = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	upsertTail = ` ON CONFLICT (workflow_id, run_id, activity_id, attempt) DO UPDATE SET
		function = excluded.function, workflow = excluded.workflow, task_queue = excluded.task_queue,
		started_us = excluded.started_us, duration_us = excluded.duration_us, billed_ms = excluded.billed_ms,
		outcome = excluded.outcome, bytes_in = excluded.bytes_in, bytes_out = excluded.bytes_out, source = excluded.source
	WHERE excluded.source = 'worker' AND metering_ledger.source <> 'worker'`
)

// NewLedger migrates the ledger's tables on db.
func NewLedger(ctx context.Context, db *sqldb.DB, prices Prices) (*Ledger, error) {
	if err := db.Migrate(ctx, "metering", migrations); err != nil {
		return nil, err
	}
	stmt, err := db.PrepareContext(ctx, db.Rebind(upsertHead+upsertRow+upsertTail))
	if err != nil {
		return nil, fmt.Errorf("preparing the ledger insert: %w", err)
	}
	return &Ledger{db: db, prices: prices, insert: stmt}, nil
}

// Close releases the prepared statement.
func (l *Ledger) Close() error { return l.insert.Close() }

// readingKey is the ledger's primary key.
type readingKey struct {
	workflowID, runID, activityID string
	attempt                       int32
}

// Write records readings atomically. Writing a reading again is a no-op,
// so a caller may retry a write whose outcome it does not know.
func (l *Ledger) Write(ctx context.Context, readings ...Reading) error {
	// One statement may not touch a row twice (Postgres refuses), so a
	// batch keeps one reading per key, the worker's if there is one.
	seen := make(map[readingKey]int, len(readings))
	batch := make([]Reading, 0, len(readings))
	for _, r := range readings {
		if err := r.validate(); err != nil {
			return err
		}
		k := readingKey{r.WorkflowID, r.RunID, r.ActivityID, r.Attempt}
		if at, dup := seen[k]; dup {
			if r.Source == SourceWorker {
				batch[at] = r
			}
			continue
		}
		seen[k] = len(batch)
		batch = append(batch, r)
	}
	if len(batch) == 0 {
		return nil
	}
	args := make([]any, 0, 14*len(batch))
	for _, r := range batch {
		args = append(args, r.WorkflowID, r.RunID, r.ActivityID, r.Attempt, r.Function, r.Workflow, r.TaskQueue,
			r.Start.UnixMicro(), r.DurationUs, r.BilledMs, string(r.Outcome), r.BytesIn, r.BytesOut, string(r.Source))
	}
	var err error
	if len(batch) == 1 {
		_, err = l.insert.ExecContext(ctx, args...)
	} else {
		rows := strings.Repeat(upsertRow+", ", len(batch)-1) + upsertRow
		_, err = l.db.Exec(ctx, upsertHead+rows+upsertTail, args...)
	}
	if err != nil {
		return fmt.Errorf("writing %d meter readings: %w", len(batch), err)
	}
	return nil
}

// Readings lists the readings of a run, by activity id and attempt.
func (l *Ledger) Readings(ctx context.Context, workflowID, runID string) ([]Reading, error) {
	rows, err := l.db.Query(ctx, `SELECT workflow_id, run_id, activity_id, attempt, function, workflow, task_queue,
		started_us, duration_us, billed_ms, outcome, bytes_in, bytes_out, source
		FROM metering_ledger WHERE workflow_id = ? AND run_id = ? ORDER BY activity_id, attempt`, workflowID, runID)
	if err != nil {
		return nil, fmt.Errorf("reading the ledger: %w", err)
	}
	defer rows.Close()
	var out []Reading
	for rows.Next() {
		var r Reading
		var started int64
		var outcome, source string
		if err := rows.Scan(&r.WorkflowID, &r.RunID, &r.ActivityID, &r.Attempt, &r.Function, &r.Workflow, &r.TaskQueue,
			&started, &r.DurationUs, &r.BilledMs, &outcome, &r.BytesIn, &r.BytesOut, &source); err != nil {
			return nil, fmt.Errorf("reading the ledger: %w", err)
		}
		r.Start, r.Outcome, r.Source = time.UnixMicro(started).UTC(), Outcome(outcome), Source(source)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Usage is the metered use and its cost.
type Usage struct {
	Attempts   int64   `json:"attempts" doc:"activity attempts, retries included"`
	Failed     int64   `json:"failed" doc:"attempts that did not complete (failed, timed out, cancelled, unknown)"`
	DurationUs int64   `json:"durationUs"`
	BilledMs   int64   `json:"billedMs" doc:"each attempt's duration rounded up to the millisecond, summed"`
	GBSeconds  float64 `json:"gbSeconds"`
	BytesIn    int64   `json:"bytesIn"`
	BytesOut   int64   `json:"bytesOut"`
	Cost       float64 `json:"cost"`
	Currency   string  `json:"currency"`
}

func (u *Usage) add(o Usage) {
	u.Attempts += o.Attempts
	u.Failed += o.Failed
	u.DurationUs += o.DurationUs
	u.BilledMs += o.BilledMs
	u.GBSeconds += o.GBSeconds
	u.BytesIn += o.BytesIn
	u.BytesOut += o.BytesOut
	u.Cost += o.Cost
}

// GroupBy names what usage is summed by.
type GroupBy string

// The groupings of usage.
const (
	ByFunction GroupBy = "function"
	ByWorkflow GroupBy = "workflow"
	ByRun      GroupBy = "run"
)

// groupColumns are the ledger columns of each grouping.
var groupColumns = map[GroupBy][]string{
	ByFunction: {"function"},
	ByWorkflow: {"workflow"},
	ByRun:      {"workflow", "workflow_id", "run_id"},
}

// Query selects usage. Zero fields select everything.
type Query struct {
	From, To   time.Time // attempts that started in [From, To)
	Function   string
	Workflow   string
	WorkflowID string
	RunID      string
	GroupBy    GroupBy
}

// Group is the usage of one function, workflow or run.
type Group struct {
	Function   string `json:"function,omitempty"`
	Workflow   string `json:"workflow,omitempty"`
	WorkflowID string `json:"workflowId,omitempty"`
	RunID      string `json:"runId,omitempty"`
	Usage
}

// Usage sums the readings q selects, by q.GroupBy (nothing: one group), and
// prices them. The total is returned beside the groups.
func (l *Ledger) Usage(ctx context.Context, q Query) ([]Group, Usage, error) {
	cols, ok := groupColumns[q.GroupBy]
	if !ok && q.GroupBy != "" {
		return nil, Usage{}, fmt.Errorf("grouping %q: use function, workflow or run", q.GroupBy)
	}
	var where []string
	var args []any
	for col, v := range map[string]string{"function": q.Function, "workflow": q.Workflow, "workflow_id": q.WorkflowID, "run_id": q.RunID} {
		if v != "" {
			where = append(where, col+" = ?")
			args = append(args, v)
		}
	}
	if !q.From.IsZero() {
		where = append(where, "started_us >= ?")
		args = append(args, q.From.UnixMicro())
	}
	if !q.To.IsZero() {
		where = append(where, "started_us < ?")
		args = append(args, q.To.UnixMicro())
	}
	// Prices differ by function and task queue, so those are always
	// grouped in SQL and folded into the caller's grouping here.
	keys := append(append([]string{}, cols...), "function", "task_queue")
	sqlText := `SELECT ` + strings.Join(keys, ", ") + `, COUNT(*),
		SUM(CASE WHEN outcome = 'completed' THEN 0 ELSE 1 END),
		SUM(duration_us), SUM(billed_ms), SUM(bytes_in), SUM(bytes_out)
		FROM metering_ledger`
	if len(where) > 0 {
		sqlText += " WHERE " + strings.Join(where, " AND ")
	}
	sqlText += " GROUP BY " + strings.Join(keys, ", ") + " ORDER BY " + strings.Join(keys, ", ")
	rows, err := l.db.Query(ctx, sqlText, args...)
	if err != nil {
		return nil, Usage{}, fmt.Errorf("summing usage: %w", err)
	}
	defer rows.Close()
	var groups []Group
	index := map[Group]int{} // keyed by the group's names, Usage zero
	total := Usage{Currency: l.prices.Currency}
	for rows.Next() {
		keyVals := make([]string, len(keys))
		dest := make([]any, 0, len(keys)+6)
		for i := range keyVals {
			dest = append(dest, &keyVals[i])
		}
		var u Usage
		dest = append(dest, &u.Attempts, &u.Failed, &u.DurationUs, &u.BilledMs, &u.BytesIn, &u.BytesOut)
		if err := rows.Scan(dest...); err != nil {
			return nil, Usage{}, fmt.Errorf("summing usage: %w", err)
		}
		fn, queue := keyVals[len(cols)], keyVals[len(cols)+1]
		r := l.prices.rate(fn, queue)
		u.GBSeconds = r.gbSeconds(u.BilledMs)
		u.Cost = r.cost(u.Attempts, u.BilledMs)
		u.Currency = l.prices.Currency
		total.add(u)
		if len(cols) == 0 {
			continue
		}
		var key Group
		for i, c := range cols {
			switch c {
			case "function":
				key.Function = keyVals[i]
			case "workflow":
				key.Workflow = keyVals[i]
			case "workflow_id":
				key.WorkflowID = keyVals[i]
			case "run_id":
				key.RunID = keyVals[i]
			}
		}
		at, seen := index[key]
		if !seen {
			at = len(groups)
			index[key] = at
			key.Usage.Currency = l.prices.Currency
			groups = append(groups, key)
		}
		groups[at].Usage.add(u)
	}
	return groups, total, rows.Err()
}

// RunUsage is the usage and cost of one run.
func (l *Ledger) RunUsage(ctx context.Context, workflowID, runID string) (Usage, error) {
	_, total, err := l.Usage(ctx, Query{WorkflowID: workflowID, RunID: runID})
	return total, err
}
