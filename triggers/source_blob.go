package triggers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/fnchain/orchestrator/dsl"
	"github.com/fnchain/orchestrator/internal/sqldb"
)

func init() {
	sources[dsl.TriggerBlob] = sourceOpener{open: openBlob, cleanup: cleanupBlob}
}

// DefaultBlobPollInterval is how often a blob trigger lists its prefix when
// Options.BlobPollInterval is zero.
const DefaultBlobPollInterval = 5 * time.Second

// blobGrace is how far behind the newest object the cursor's watermark
// stays. An object may show up in a listing later than its modification
// time says (S3 stamps a multipart upload with its start); one that shows
// up more than blobGrace older than the newest object is never started.
const blobGrace = time.Hour

// The cursor of a blob trigger: every object modified before watermark is
// done, and seen holds the (key, modification time) pairs at or after it
// that were started, so the set stays bounded by what blobGrace covers.
var blobMigrations = []string{
	`CREATE TABLE fnchain_trigger_blob_cursor (
		workflow    TEXT   NOT NULL,
		trigger_key TEXT   NOT NULL,
		watermark   BIGINT NOT NULL,
		PRIMARY KEY (workflow, trigger_key))`,
	`CREATE TABLE fnchain_trigger_blob_seen (
		workflow    TEXT   NOT NULL,
		trigger_key TEXT   NOT NULL,
		object_key  TEXT   NOT NULL,
		mod_time    BIGINT NOT NULL,
		PRIMARY KEY (workflow, trigger_key, object_key, mod_time))`,
}

func migrateBlob(ctx context.Context, db *sqldb.DB) error {
	return db.Migrate(ctx, "triggers-blob", blobMigrations)
}

// objectVersion names one version of an object: a rewrite is a new version.
type objectVersion struct {
	key     string
	modTime int64 // unix nanoseconds
}

var _ source = (*blobSource)(nil)

type blobSource struct {
	bucket   *blob.Bucket
	db       *sqldb.DB
	workflow string
	key      string
	conn     string
	prefix   string
	every    time.Duration
	grace    time.Duration
	logger   *slog.Logger

	// hasCursor, watermark and seen mirror the stored cursor; mu guards
	// seen while deliveries mark versions concurrently.
	mu        sync.Mutex
	hasCursor bool
	watermark int64
	seen      map[objectVersion]bool
}

func openBlob(ctx context.Context, d declared, rawURL string, m *Manager) (source, error) {
	b, err := blob.OpenBucket(ctx, rawURL)
	if err != nil {
		return nil, fmt.Errorf("opening bucket of connection %q: %w", d.trigger.Blob.Connection, err)
	}
	return &blobSource{
		bucket: b, db: m.opts.DB,
		workflow: d.plan.Name, key: d.key, conn: d.trigger.Blob.Connection, prefix: d.trigger.Blob.Prefix,
		every: m.opts.BlobPollInterval, grace: blobGrace,
		logger: m.logger.With("workflow", d.plan.Name, "trigger", d.key),
	}, nil
}

func (s *blobSource) run(ctx context.Context, deliver func(context.Context, Event) error) error {
	defer s.bucket.Close()
	for {
		err := s.poll(ctx, deliver)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(s.every):
		}
	}
}

// poll lists the prefix and starts the objects the cursor has not seen, in
// (modification time, key) order. The first poll of a new trigger only
// records what is there: objects that existed before the trigger are not
// new. The watermark moves only after every object before it was started.
func (s *blobSource) poll(ctx context.Context, deliver func(context.Context, Event) error) error {
	if err := s.load(ctx); err != nil {
		return err
	}
	listed, newest, err := s.list(ctx)
	if err != nil {
		return err
	}
	if !s.hasCursor {
		return s.baseline(ctx, listed, newest)
	}
	if err := s.startAll(ctx, s.pending(listed), deliver); err != nil || newest.IsZero() {
		return err
	}
	return s.advance(ctx, newest.Add(-s.grace).UnixNano())
}

// pending is what the cursor has not seen of listed, oldest first; equal
// modification times (common: file systems stamp coarsely) go by key.
func (s *blobSource) pending(listed []*blob.ListObject) []*blob.ListObject {
	var todo []*blob.ListObject
	for _, o := range listed {
		v := objectVersion{o.Key, o.ModTime.UnixNano()}
		if v.modTime >= s.watermark && !s.seen[v] {
			todo = append(todo, o)
		}
	}
	sort.Slice(todo, func(i, j int) bool {
		if !todo[i].ModTime.Equal(todo[j].ModTime) {
			return todo[i].ModTime.Before(todo[j].ModTime)
		}
		return todo[i].Key < todo[j].Key
	})
	return todo
}

// startAll delivers objects with up to consumerConcurrency in flight and
// marks each seen once its start returned.
func (s *blobSource) startAll(ctx context.Context, todo []*blob.ListObject, deliver func(context.Context, Event) error) error {
	var (
		errMu sync.Mutex
		first error
	)
	fail := func(err error) {
		errMu.Lock()
		defer errMu.Unlock()
		if first == nil {
			first = err
		}
	}
	failed := func() bool {
		errMu.Lock()
		defer errMu.Unlock()
		return first != nil
	}
	d := newDispatcher()
	for _, o := range todo {
		if failed() || !d.Go(ctx, func() {
			if err := s.startOne(ctx, o, deliver); err != nil {
				fail(err)
			}
		}) {
			break
		}
	}
	d.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return first
}

func (s *blobSource) startOne(ctx context.Context, o *blob.ListObject, deliver func(context.Context, Event) error) error {
	attrs, err := s.bucket.Attributes(ctx, o.Key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		// Deleted since the listing: there is nothing left to process.
		s.logger.Info("blob object deleted before its run started", "key", o.Key)
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the attributes of %s: %w", o.Key, err)
	}
	if err := deliver(ctx, s.event(o, attrs.ContentType)); err != nil {
		return err
	}
	return s.markSeen(ctx, objectVersion{o.Key, o.ModTime.UnixNano()})
}

// event is `event` of a blob trigger. Its default id names the object
// version, so a rewritten object starts a new run and the same version
// never starts two.
func (s *blobSource) event(o *blob.ListObject, contentType string) Event {
	mod := o.ModTime.UTC().Format(time.RFC3339Nano)
	return Event{
		Data: map[string]any{
			"key":         o.Key,
			"size":        o.Size,
			"modTime":     mod,
			"contentType": contentType,
			"bucket":      s.conn,
		},
		ID: o.Key + "@" + mod,
		At: o.ModTime,
	}
}

// list returns the objects under the prefix and the newest modification
// time among them.
func (s *blobSource) list(ctx context.Context) ([]*blob.ListObject, time.Time, error) {
	var out []*blob.ListObject
	var newest time.Time
	it := s.bucket.List(&blob.ListOptions{Prefix: s.prefix})
	for {
		o, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			return out, newest, nil
		}
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("listing %q in the bucket of connection %q: %w", s.prefix, s.conn, err)
		}
		if o.IsDir {
			continue
		}
		out = append(out, o)
		if o.ModTime.After(newest) {
			newest = o.ModTime
		}
	}
}

// load reads the cursor once per source.
func (s *blobSource) load(ctx context.Context) error {
	if s.seen != nil {
		return nil
	}
	err := s.db.QueryRow(ctx, `SELECT watermark FROM fnchain_trigger_blob_cursor WHERE workflow = ? AND trigger_key = ?`,
		s.workflow, s.key).Scan(&s.watermark)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return fmt.Errorf("reading the blob cursor: %w", err)
	default:
		s.hasCursor = true
	}
	s.seen = map[objectVersion]bool{}
	rows, err := s.db.Query(ctx, `SELECT object_key, mod_time FROM fnchain_trigger_blob_seen WHERE workflow = ? AND trigger_key = ? AND mod_time >= ?`,
		s.workflow, s.key, s.watermark)
	if err != nil {
		return fmt.Errorf("reading the blob cursor: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v objectVersion
		if err := rows.Scan(&v.key, &v.modTime); err != nil {
			return fmt.Errorf("reading the blob cursor: %w", err)
		}
		s.seen[v] = true
	}
	return rows.Err()
}

// baseline records what a new trigger finds as seen, then creates the
// cursor; a crash before that redoes it.
func (s *blobSource) baseline(ctx context.Context, listed []*blob.ListObject, newest time.Time) error {
	watermark := int64(0)
	if !newest.IsZero() {
		watermark = newest.Add(-s.grace).UnixNano()
	}
	for _, o := range listed {
		if v := (objectVersion{o.Key, o.ModTime.UnixNano()}); v.modTime >= watermark {
			if err := s.markSeen(ctx, v); err != nil {
				return err
			}
		}
	}
	_, err := s.db.Exec(ctx, `INSERT INTO fnchain_trigger_blob_cursor (workflow, trigger_key, watermark) VALUES (?, ?, ?)
		ON CONFLICT (workflow, trigger_key) DO NOTHING`, s.workflow, s.key, watermark)
	if err != nil {
		return fmt.Errorf("creating the blob cursor: %w", err)
	}
	s.logger.Info("blob trigger baseline recorded: existing objects start no runs", "objects", len(listed))
	s.hasCursor, s.watermark = true, watermark
	return nil
}

func (s *blobSource) markSeen(ctx context.Context, v objectVersion) error {
	_, err := s.db.Exec(ctx, `INSERT INTO fnchain_trigger_blob_seen (workflow, trigger_key, object_key, mod_time) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, s.workflow, s.key, v.key, v.modTime)
	if err != nil {
		return fmt.Errorf("advancing the blob cursor past %s: %w", v.key, err)
	}
	s.mu.Lock()
	s.seen[v] = true
	s.mu.Unlock()
	return nil
}

// advance moves the watermark forward (never back, also against another
// consumer still finishing) and forgets the versions before it.
func (s *blobSource) advance(ctx context.Context, watermark int64) error {
	if watermark <= s.watermark {
		return nil
	}
	_, err := s.db.Exec(ctx, `UPDATE fnchain_trigger_blob_cursor SET watermark = ? WHERE workflow = ? AND trigger_key = ? AND watermark < ?`,
		watermark, s.workflow, s.key, watermark)
	if err == nil {
		_, err = s.db.Exec(ctx, `DELETE FROM fnchain_trigger_blob_seen WHERE workflow = ? AND trigger_key = ? AND mod_time < ?`,
			s.workflow, s.key, watermark)
	}
	if err != nil {
		return fmt.Errorf("advancing the blob cursor: %w", err)
	}
	s.watermark = watermark
	for v := range s.seen {
		if v.modTime < watermark {
			delete(s.seen, v)
		}
	}
	return nil
}

// cleanupBlob forgets the cursor; the objects belong to their writers.
func cleanupBlob(ctx context.Context, in ConsumerInput, _ string, m *Manager) error {
	for _, table := range []string{"fnchain_trigger_blob_seen", "fnchain_trigger_blob_cursor"} {
		if _, err := m.opts.DB.Exec(ctx, `DELETE FROM `+table+` WHERE workflow = ? AND trigger_key = ?`, in.Workflow, in.Key); err != nil {
			return fmt.Errorf("deleting the blob cursor: %w", err)
		}
	}
	return nil
}
