package triggers

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/fnchain/orchestrator/internal/sqldb"
)

// Status is what a trigger did, summed over every process of the cluster.
type Status struct {
	Workflow string `json:"workflow" doc:"Workflow name"`
	Key      string `json:"key" doc:"Stable trigger key within the workflow"`
	Type     string `json:"type" doc:"http, schedule, postgres, nats, amqp or blob"`
	// Source says what the trigger listens to (path, table, subject...).
	Source string `json:"source" doc:"What the trigger listens to"`
	// Events counts deliveries, Runs the start calls that returned (a
	// redelivered event counts again; its run is started once), Failed the
	// deliveries that could not start a run.
	Events      int64      `json:"events"`
	Runs        int64      `json:"runs"`
	Failed      int64      `json:"failed"`
	LastEventAt *time.Time `json:"lastEventAt,omitempty"`
	// LagMillis is, for the last started event, the time from the event at
	// its source to its run's start.
	LagMillis   int64      `json:"lagMillis"`
	LastError   string     `json:"lastError,omitempty"`
	LastErrorAt *time.Time `json:"lastErrorAt,omitempty"`
}

var statusMigrations = []string{
	`CREATE TABLE fnchain_trigger_status (
		workflow      TEXT   NOT NULL,
		trigger_key   TEXT   NOT NULL,
		events        BIGINT NOT NULL,
		runs          BIGINT NOT NULL,
		failed        BIGINT NOT NULL,
		last_event_at BIGINT NOT NULL,
		lag_ms        BIGINT NOT NULL,
		last_error    TEXT   NOT NULL,
		last_error_at BIGINT NOT NULL,
		PRIMARY KEY (workflow, trigger_key))`,
}

// recorder sums status changes in memory; flush adds them to the database,
// so the hot path of a consumer never waits on it.
type recorder struct {
	db      *sqldb.DB
	mu      sync.Mutex
	pending map[[2]string]*statusDelta
}

type statusDelta struct {
	events, runs, failed int64
	lastEventAt          time.Time
	lag                  time.Duration
	lagSet               bool
	lastError            string
	lastErrorAt          time.Time
}

func newRecorder(ctx context.Context, db *sqldb.DB) (*recorder, error) {
	if err := db.Migrate(ctx, "triggers", statusMigrations); err != nil {
		return nil, err
	}
	return &recorder{db: db, pending: map[[2]string]*statusDelta{}}, nil
}

func (r *recorder) delta(d declared) *statusDelta {
	k := [2]string{d.plan.Name, d.key}
	p := r.pending[k]
	if p == nil {
		p = &statusDelta{}
		r.pending[k] = p
	}
	return p
}

func (r *recorder) event(d declared, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.delta(d)
	p.events++
	if at.IsZero() {
		at = time.Now()
	}
	if at.After(p.lastEventAt) {
		p.lastEventAt = at
	}
}

func (r *recorder) started(d declared, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.delta(d)
	p.runs++
	if !at.IsZero() {
		p.lag, p.lagSet = time.Since(at), true
	}
}

func (r *recorder) fail(d declared, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.delta(d)
	p.failed++
	p.lastError, p.lastErrorAt = err.Error(), time.Now()
}

// flush adds what was recorded since the last flush to the database. A
// failed write keeps nothing back: status is advisory.
func (r *recorder) flush(ctx context.Context) error {
	r.mu.Lock()
	pending := r.pending
	r.pending = map[[2]string]*statusDelta{}
	r.mu.Unlock()
	for k, p := range pending {
		lag := int64(-1)
		if p.lagSet {
			lag = p.lag.Milliseconds()
		}
		_, err := r.db.Exec(ctx, `INSERT INTO fnchain_trigger_status
			(workflow, trigger_key, events, runs, failed, last_event_at, lag_ms, last_error, last_error_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (workflow, trigger_key) DO UPDATE SET
				events = fnchain_trigger_status.events + excluded.events,
				runs = fnchain_trigger_status.runs + excluded.runs,
				failed = fnchain_trigger_status.failed + excluded.failed,
				last_event_at = CASE WHEN excluded.last_event_at > fnchain_trigger_status.last_event_at
					THEN excluded.last_event_at ELSE fnchain_trigger_status.last_event_at END,
				lag_ms = CASE WHEN excluded.lag_ms >= 0 THEN excluded.lag_ms ELSE fnchain_trigger_status.lag_ms END,
				last_error = CASE WHEN excluded.last_error_at > 0 THEN excluded.last_error ELSE fnchain_trigger_status.last_error END,
				last_error_at = CASE WHEN excluded.last_error_at > 0 THEN excluded.last_error_at ELSE fnchain_trigger_status.last_error_at END`,
			k[0], k[1], p.events, p.runs, p.failed, unixMilli(p.lastEventAt), lag, p.lastError, unixMilli(p.lastErrorAt))
		if err != nil {
			return fmt.Errorf("writing trigger status: %w", err)
		}
	}
	return nil
}

// run flushes every interval until ctx ends, and once more after.
func (r *recorder) run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return r.flush(context.WithoutCancel(ctx))
		case <-t.C:
			_ = r.flush(ctx)
		}
	}
}

// load fills the counters of list from the database.
func (r *recorder) load(ctx context.Context, list []Status) error {
	rows, err := r.db.Query(ctx, `SELECT workflow, trigger_key, events, runs, failed, last_event_at, lag_ms, last_error, last_error_at FROM fnchain_trigger_status`)
	if err != nil {
		return fmt.Errorf("reading trigger status: %w", err)
	}
	defer rows.Close()
	index := map[[2]string]*Status{}
	for i := range list {
		index[[2]string{list[i].Workflow, list[i].Key}] = &list[i]
	}
	for rows.Next() {
		var wf, key, lastErr string
		var events, runs, failed, lastEvent, lag, lastErrAt int64
		if err := rows.Scan(&wf, &key, &events, &runs, &failed, &lastEvent, &lag, &lastErr, &lastErrAt); err != nil {
			return fmt.Errorf("reading trigger status: %w", err)
		}
		s := index[[2]string{wf, key}]
		if s == nil {
			continue
		}
		s.Events, s.Runs, s.Failed, s.LagMillis, s.LastError = events, runs, failed, max(lag, 0), lastErr
		s.LastEventAt, s.LastErrorAt = fromUnixMilli(lastEvent), fromUnixMilli(lastErrAt)
	}
	return rows.Err()
}

func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromUnixMilli(ms int64) *time.Time {
	if ms == 0 {
		return nil
	}
	t := time.UnixMilli(ms).UTC()
	return &t
}
