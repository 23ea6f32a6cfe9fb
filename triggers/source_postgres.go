package triggers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/fnchain/orchestrator/dsl"
)

func init() {
	sources[dsl.TriggerPostgres] = sourceOpener{open: openPostgres, cleanup: cleanupPostgres}
}

// PostgresSlot is the name of the replication slot, and of the
// publication, a postgres trigger creates.
func PostgresSlot(workflow, key string) string { return resourceName(workflow, key) }

// standbyEvery is how often the consumer reports its confirmed position.
const standbyEvery = time.Second

type postgresSource struct {
	d    declared
	url  string
	name string // slot and publication
}

func openPostgres(ctx context.Context, d declared, rawURL string, _ *Manager) (source, error) {
	s := &postgresSource{d: d, url: rawURL, name: PostgresSlot(d.plan.Name, d.key)}
	if err := s.setup(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// setup creates the publication and the slot unless they exist. The slot
// is created once and then keeps every change until it is confirmed, also
// while no orchestrator runs.
func (s *postgresSource) setup(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, s.url)
	if err != nil {
		return fmt.Errorf("connecting to postgres: %w", err)
	}
	defer conn.Close(ctx)
	pt := s.d.trigger.Postgres
	table := tableIdentifier(pt.Table)
	ops := pt.Operations
	if len(ops) == 0 {
		ops = pgOperations
	}
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $1)`, s.name).Scan(&exists); err != nil {
		return fmt.Errorf("reading publications: %w", err)
	}
	if !exists {
		_, err := conn.Exec(ctx, fmt.Sprintf(`CREATE PUBLICATION %s FOR TABLE %s WITH (publish = '%s')`,
			pgx.Identifier{s.name}.Sanitize(), table.Sanitize(), strings.Join(ops, ", ")))
		if err != nil && !isDuplicate(err) {
			return fmt.Errorf("creating publication for table %s: %w", pt.Table, err)
		}
	}
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)`, s.name).Scan(&exists); err != nil {
		return fmt.Errorf("reading replication slots: %w", err)
	}
	if !exists {
		_, err := conn.Exec(ctx, `SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, s.name)
		if err != nil && !isDuplicate(err) {
			return fmt.Errorf("creating replication slot %s (the server needs wal_level=logical): %w", s.name, err)
		}
	}
	return nil
}

var pgOperations = []string{"insert", "update", "delete"}

// tableIdentifier splits schema.table; a bare name is in public.
func tableIdentifier(name string) pgx.Identifier {
	if schema, table, ok := strings.Cut(name, "."); ok {
		return pgx.Identifier{schema, table}
	}
	return pgx.Identifier{"public", name}
}

func isDuplicate(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "42710"
}

// pgTx is a transaction whose changes are being started; its commit may be
// confirmed once none is left.
type pgTx struct {
	end     pglogrepl.LSN
	pending atomic.Int64
}

func (s *postgresSource) run(ctx context.Context, deliver func(context.Context, Event) error) error {
	cfg, err := pgconn.ParseConfig(s.url)
	if err != nil {
		return fmt.Errorf("parsing the postgres url: %w", err)
	}
	cfg.RuntimeParams["replication"] = "database"
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("opening a replication connection: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	err = pglogrepl.StartReplication(ctx, conn, s.name, 0, pglogrepl.StartReplicationOptions{
		PluginArgs: []string{"proto_version '1'", "publication_names '" + s.name + "'"},
	})
	if err != nil {
		return fmt.Errorf("starting replication on slot %s: %w", s.name, err)
	}

	dctx, cancelDeliveries := context.WithCancel(ctx)
	d := newDispatcher()
	defer func() { cancelDeliveries(); d.Wait() }()
	failure := make(chan error, 1)

	var (
		decoder   = newRowDecoder()
		txs       []*pgTx // committed or open, in order
		open      *pgTx
		commitAt  time.Time
		lastLSN   pglogrepl.LSN
		sameLSN   int
		confirmed pglogrepl.LSN
		idleEnd   pglogrepl.LSN // server position when nothing was open
		nextSend  = time.Now()
	)
	// advance confirms the commits whose changes all have runs.
	advance := func() {
		for len(txs) > 0 && txs[0].end != 0 && txs[0].pending.Load() == 0 {
			confirmed = txs[0].end
			txs = txs[1:]
		}
		if len(txs) == 0 && idleEnd > confirmed {
			confirmed = idleEnd
		}
	}
	for {
		if time.Now().After(nextSend) {
			advance()
			if err := pglogrepl.SendStandbyStatusUpdate(ctx, conn, pglogrepl.StandbyStatusUpdate{WALWritePosition: confirmed}); err != nil {
				return fmt.Errorf("confirming position %s: %w", confirmed, err)
			}
			nextSend = time.Now().Add(standbyEvery)
		}
		select {
		case err := <-failure:
			return err
		default:
		}
		rctx, cancel := context.WithDeadline(ctx, nextSend)
		raw, err := conn.ReceiveMessage(rctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if pgconn.Timeout(err) {
				continue
			}
			return fmt.Errorf("receiving from slot %s: %w", s.name, err)
		}
		if er, ok := raw.(*pgproto3.ErrorResponse); ok {
			return fmt.Errorf("replication on slot %s: %s", s.name, er.Message)
		}
		msg, ok := raw.(*pgproto3.CopyData)
		if !ok || len(msg.Data) == 0 {
			continue
		}
		switch msg.Data[0] {
		case pglogrepl.PrimaryKeepaliveMessageByteID:
			ka, err := pglogrepl.ParsePrimaryKeepaliveMessage(msg.Data[1:])
			if err != nil {
				return fmt.Errorf("reading a keepalive: %w", err)
			}
			if open == nil {
				idleEnd = ka.ServerWALEnd
			}
			if ka.ReplyRequested {
				nextSend = time.Time{}
			}
		case pglogrepl.XLogDataByteID:
			xld, err := pglogrepl.ParseXLogData(msg.Data[1:])
			if err != nil {
				return fmt.Errorf("reading wal data: %w", err)
			}
			m, err := pglogrepl.Parse(xld.WALData)
			if err != nil {
				return fmt.Errorf("decoding pgoutput: %w", err)
			}
			switch m := m.(type) {
			case *pglogrepl.RelationMessage:
				decoder.relation(m)
			case *pglogrepl.BeginMessage:
				open, commitAt = &pgTx{}, m.CommitTime
				txs = append(txs, open)
			case *pglogrepl.CommitMessage:
				if open != nil {
					open.end = m.TransactionEndLSN
					open = nil
				}
			case *pglogrepl.InsertMessage, *pglogrepl.UpdateMessage, *pglogrepl.DeleteMessage:
				if open == nil {
					continue
				}
				if xld.WALStart == lastLSN {
					sameLSN++
				} else {
					lastLSN, sameLSN = xld.WALStart, 0
				}
				data, err := decoder.event(m, s.d.trigger.Postgres.Table)
				if err != nil {
					return err
				}
				data["lsn"] = xld.WALStart.String()
				data["commitTime"] = commitAt.UTC().Format(time.RFC3339Nano)
				// One WAL record can hold several rows (COPY): the index
				// keeps their ids apart, and stays the same on redelivery.
				ev := Event{Data: data, ID: fmt.Sprintf("%s.%d", xld.WALStart, sameLSN), At: commitAt}
				tx := open
				tx.pending.Add(1)
				started := d.Go(ctx, func() {
					if err := deliver(dctx, ev); err != nil {
						// The commit is never confirmed: the slot sends it again.
						select {
						case failure <- err:
						default:
						}
						return
					}
					tx.pending.Add(-1)
				})
				if !started {
					return nil
				}
			}
		}
	}
}

// cleanupPostgres drops the slot and the publication of a removed trigger,
// so the server stops keeping WAL for it.
func cleanupPostgres(ctx context.Context, in ConsumerInput, rawURL string, _ *Manager) error {
	conn, err := pgx.Connect(ctx, rawURL)
	if err != nil {
		return fmt.Errorf("connecting to postgres: %w", err)
	}
	defer conn.Close(ctx)
	name := PostgresSlot(in.Workflow, in.Key)
	if _, err := conn.Exec(ctx, `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, name); err != nil {
		return fmt.Errorf("dropping replication slot %s: %w", name, err)
	}
	if _, err := conn.Exec(ctx, `DROP PUBLICATION IF EXISTS `+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("dropping publication %s: %w", name, err)
	}
	return nil
}

// rowDecoder turns pgoutput tuples into JSON-like maps, with column values
// decoded by their Postgres type.
type rowDecoder struct {
	types     *pgtype.Map
	relations map[uint32]*pglogrepl.RelationMessage
}

func newRowDecoder() *rowDecoder {
	return &rowDecoder{types: pgtype.NewMap(), relations: map[uint32]*pglogrepl.RelationMessage{}}
}

func (r *rowDecoder) relation(m *pglogrepl.RelationMessage) { r.relations[m.RelationID] = m }

// event is `event` of a postgres trigger.
func (r *rowDecoder) event(m pglogrepl.Message, table string) (map[string]any, error) {
	var rel uint32
	var op string
	var row, old *pglogrepl.TupleData
	switch m := m.(type) {
	case *pglogrepl.InsertMessage:
		rel, op, row = m.RelationID, "insert", m.Tuple
	case *pglogrepl.UpdateMessage:
		rel, op, row, old = m.RelationID, "update", m.NewTuple, m.OldTuple
	case *pglogrepl.DeleteMessage:
		rel, op, old = m.RelationID, "delete", m.OldTuple
	}
	rm := r.relations[rel]
	if rm == nil {
		return nil, fmt.Errorf("table %s: a change arrived before its relation message", table)
	}
	out := map[string]any{"operation": op, "schema": rm.Namespace, "table": rm.RelationName}
	var err error
	if out["row"], err = r.tuple(rm, row); err != nil {
		return nil, err
	}
	if out["old"], err = r.tuple(rm, old); err != nil {
		return nil, err
	}
	return out, nil
}

func (r *rowDecoder) tuple(rm *pglogrepl.RelationMessage, t *pglogrepl.TupleData) (any, error) {
	if t == nil {
		return nil, nil
	}
	row := map[string]any{}
	for i, col := range t.Columns {
		if i >= len(rm.Columns) {
			break
		}
		c := rm.Columns[i]
		switch col.DataType {
		case pglogrepl.TupleDataTypeNull:
			row[c.Name] = nil
		case pglogrepl.TupleDataTypeText:
			row[c.Name] = r.value(c.DataType, col.Data)
		}
	}
	// A round trip through JSON gives the plain values expressions and run
	// inputs use (numbers, strings, maps), whatever pgtype decoded.
	raw, err := json.Marshal(row)
	if err != nil {
		return nil, fmt.Errorf("encoding a row of %s.%s: %w", rm.Namespace, rm.RelationName, err)
	}
	var v any
	return v, json.Unmarshal(raw, &v)
}

func (r *rowDecoder) value(oid uint32, data []byte) any {
	if t, ok := r.types.TypeForOID(oid); ok {
		v, err := t.Codec.DecodeValue(r.types, oid, pgtype.TextFormatCode, data)
		if err == nil {
			if b, ok := v.([]byte); ok {
				return string(b)
			}
			return v
		}
	}
	return string(data)
}
