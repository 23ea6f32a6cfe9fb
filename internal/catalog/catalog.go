// Package catalog stores the deployed workflow definitions and their
// versions in the orchestrator's database, so that they survive restarts and
// every process of a cluster sees the same set.
package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fnchain/orchestrator/dsl"
	"github.com/fnchain/orchestrator/internal/sqldb"
)

// ErrNotFound is returned for a workflow or version that is not deployed.
var ErrNotFound = errors.New("not deployed")

// Definition is one version of a deployed workflow.
type Definition struct {
	Name    string
	Version int
	// Hash is the plan's content hash (dsl.Workflow.Hash).
	Hash       string
	File       string
	Source     []byte
	DeployedAt time.Time
	Plan       *dsl.Workflow
}

// Deployed reports what Deploy did for one workflow of a file.
type Deployed struct {
	Definition *Definition
	// Changed is false when the definition equals the current version: a
	// redeploy of the same content creates no version.
	Changed bool
}

// Catalog is the store of deployed definitions.
type Catalog struct {
	db  *sqldb.DB
	reg dsl.Registry

	mu sync.Mutex
	// plans caches decoded plans by hash, since decoding recompiles every
	// expression; it holds one entry per version ever read, a small set.
	plans map[string]*dsl.Workflow
}

var migrations = []string{
	`CREATE TABLE fnchain_definitions (
		name        TEXT    NOT NULL,
		version     INTEGER NOT NULL,
		hash        TEXT    NOT NULL,
		file        TEXT    NOT NULL,
		source      TEXT    NOT NULL,
		plan        TEXT    NOT NULL,
		deployed_at BIGINT  NOT NULL,
		PRIMARY KEY (name, version))`,
	`CREATE TABLE fnchain_current (
		name    TEXT    PRIMARY KEY,
		version INTEGER NOT NULL)`,
	`CREATE TABLE fnchain_catalog_generation (
		id         INTEGER PRIMARY KEY,
		generation BIGINT  NOT NULL)`,
	`INSERT INTO fnchain_catalog_generation (id, generation) VALUES (1, 0)`,
}

// New migrates the catalog's tables and returns the catalog. Deployments are
// validated against reg.
func New(ctx context.Context, db *sqldb.DB, reg dsl.Registry) (*Catalog, error) {
	if err := db.Migrate(ctx, "catalog", migrations); err != nil {
		return nil, err
	}
	return &Catalog{db: db, reg: reg, plans: map[string]*dsl.Workflow{}}, nil
}

// Deploy validates every workflow of a file and makes each the current
// version of its name. Nothing is stored unless the whole file is valid; a
// bad file returns dsl.Errors.
func (c *Catalog) Deploy(ctx context.Context, file string, source []byte) ([]Deployed, error) {
	plans, err := dsl.Load(file, source, c.reg)
	if err != nil {
		return nil, err
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("deploying %s: %w", file, err)
	}
	defer tx.Rollback()
	out := make([]Deployed, 0, len(plans))
	for _, plan := range plans {
		d, err := c.deployOne(ctx, tx, file, source, plan)
		if err != nil {
			return nil, fmt.Errorf("deploying %s: %w", plan.Name, err)
		}
		out = append(out, d)
	}
	if err := c.bump(ctx, tx); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("deploying %s: %w", file, err)
	}
	return out, nil
}

func (c *Catalog) deployOne(ctx context.Context, tx *sql.Tx, file string, source []byte, plan *dsl.Workflow) (Deployed, error) {
	cur, err := c.current(ctx, tx, plan.Name)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Deployed{}, err
	}
	if cur != nil && cur.Hash == plan.Hash {
		return Deployed{Definition: cur}, nil
	}
	var version int
	if err := tx.QueryRowContext(ctx, c.db.Rebind(`SELECT COALESCE(MAX(version), 0) + 1 FROM fnchain_definitions WHERE name = ?`), plan.Name).Scan(&version); err != nil {
		return Deployed{}, err
	}
	planJSON, err := json.Marshal(plan)
	if err != nil {
		return Deployed{}, err
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	if _, err := tx.ExecContext(ctx, c.db.Rebind(`INSERT INTO fnchain_definitions (name, version, hash, file, source, plan, deployed_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		plan.Name, version, plan.Hash, file, string(source), string(planJSON), now.UnixMilli()); err != nil {
		return Deployed{}, err
	}
	if _, err := tx.ExecContext(ctx, c.db.Rebind(`DELETE FROM fnchain_current WHERE name = ?`), plan.Name); err != nil {
		return Deployed{}, err
	}
	if _, err := tx.ExecContext(ctx, c.db.Rebind(`INSERT INTO fnchain_current (name, version) VALUES (?, ?)`), plan.Name, version); err != nil {
		return Deployed{}, err
	}
	c.remember(plan)
	return Deployed{Changed: true, Definition: &Definition{
		Name: plan.Name, Version: version, Hash: plan.Hash, File: file, Source: source, DeployedAt: now, Plan: plan,
	}}, nil
}

// bump advances the generation that Watch polls, inside the change's own
// transaction, so a watcher never sees the change without the new number.
func (c *Catalog) bump(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE fnchain_catalog_generation SET generation = generation + 1 WHERE id = 1`)
	return err
}

const selectDefinition = `SELECT d.name, d.version, d.hash, d.file, d.source, d.plan, d.deployed_at FROM fnchain_definitions d`

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (c *Catalog) current(ctx context.Context, q querier, name string) (*Definition, error) {
	return c.scan(q.QueryRowContext(ctx, c.db.Rebind(selectDefinition+` JOIN fnchain_current cur ON cur.name = d.name AND cur.version = d.version WHERE d.name = ?`), name))
}

// Get returns the current version of a deployed workflow.
func (c *Catalog) Get(ctx context.Context, name string) (*Definition, error) {
	d, err := c.current(ctx, c.db.DB, name)
	if err != nil {
		return nil, fmt.Errorf("workflow %q: %w", name, err)
	}
	return d, nil
}

// Version returns one version of a workflow, current or not: runs pinned to
// an older version still find it.
func (c *Catalog) Version(ctx context.Context, name string, version int) (*Definition, error) {
	d, err := c.scan(c.db.QueryRow(ctx, selectDefinition+` WHERE d.name = ? AND d.version = ?`, name, version))
	if err != nil {
		return nil, fmt.Errorf("workflow %q version %d: %w", name, version, err)
	}
	return d, nil
}

// Versions lists every version of a workflow, newest first, without
// sources or plans.
func (c *Catalog) Versions(ctx context.Context, name string) ([]Definition, error) {
	rows, err := c.db.Query(ctx, `SELECT name, version, hash, file, deployed_at FROM fnchain_definitions WHERE name = ? ORDER BY version DESC`, name)
	if err != nil {
		return nil, fmt.Errorf("listing versions of %q: %w", name, err)
	}
	defer rows.Close()
	var out []Definition
	for rows.Next() {
		var d Definition
		var at int64
		if err := rows.Scan(&d.Name, &d.Version, &d.Hash, &d.File, &at); err != nil {
			return nil, err
		}
		d.DeployedAt = time.UnixMilli(at).UTC()
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("workflow %q: %w", name, ErrNotFound)
	}
	return out, nil
}

// List returns the current version of every deployed workflow, by name.
func (c *Catalog) List(ctx context.Context) ([]*Definition, error) {
	rows, err := c.db.Query(ctx, selectDefinition+` JOIN fnchain_current cur ON cur.name = d.name AND cur.version = d.version ORDER BY d.name`)
	if err != nil {
		return nil, fmt.Errorf("listing workflows: %w", err)
	}
	defer rows.Close()
	var out []*Definition
	for rows.Next() {
		d, err := c.scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Delete removes a workflow from the deployed set. Its versions stay, so
// runs in flight and their history keep their definition.
func (c *Catalog) Delete(ctx context.Context, name string) error {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, c.db.Rebind(`DELETE FROM fnchain_current WHERE name = ?`), name)
	if err != nil {
		return fmt.Errorf("deleting %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("workflow %q: %w", name, ErrNotFound)
	}
	if err := c.bump(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

// Generation is a number that grows with every change to the deployed set.
func (c *Catalog) Generation(ctx context.Context) (int64, error) {
	var g int64
	err := c.db.QueryRow(ctx, `SELECT generation FROM fnchain_catalog_generation WHERE id = 1`).Scan(&g)
	return g, err
}

// Watch calls fn with the whole deployed set once at start and again after
// every change, checking every interval. Polling one row keeps every process
// of a cluster in step without a message bus; fn runs on Watch's goroutine.
func (c *Catalog) Watch(ctx context.Context, every time.Duration, fn func([]*Definition)) error {
	seen := int64(-1)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		g, err := c.Generation(ctx)
		if err == nil && g != seen {
			var defs []*Definition
			if defs, err = c.List(ctx); err == nil {
				seen = g
				fn(defs)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

type scanner interface{ Scan(dest ...any) error }

func (c *Catalog) scan(row scanner) (*Definition, error) {
	var d Definition
	var source, planJSON string
	var at int64
	if err := row.Scan(&d.Name, &d.Version, &d.Hash, &d.File, &source, &planJSON, &at); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, err
	}
	d.Source, d.DeployedAt = []byte(source), time.UnixMilli(at).UTC()
	plan, err := c.plan(d.Hash, planJSON)
	if err != nil {
		return nil, fmt.Errorf("decoding %s version %d: %w", d.Name, d.Version, err)
	}
	d.Plan = plan
	return &d, nil
}

func (c *Catalog) plan(hash, planJSON string) (*dsl.Workflow, error) {
	c.mu.Lock()
	p, ok := c.plans[hash]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := dsl.DecodePlan([]byte(planJSON))
	if err != nil {
		return nil, err
	}
	c.remember(p)
	return p, nil
}

func (c *Catalog) remember(p *dsl.Workflow) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.plans[p.Hash] = p
}
