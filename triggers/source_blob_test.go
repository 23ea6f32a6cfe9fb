package triggers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob"

	"github.com/fnchain/orchestrator/dsl"
	"github.com/fnchain/orchestrator/internal/sqldb"
)

// testDBs opens a fresh SQLite file and a fresh schema of the machine's
// Postgres, so every test sees its own tables on both dialects.
func testDBs(t *testing.T) map[string]*sqldb.DB {
	t.Helper()
	ctx := context.Background()
	lite, err := sqldb.Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	schema := fmt.Sprintf("triggers_test_%d", time.Now().UnixNano())
	admin, err := sqldb.Open(ctx, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); admin.Close() })
	pg, err := sqldb.Open(ctx, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable&search_path="+schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	return map[string]*sqldb.DB{"sqlite": lite, "postgres": pg}
}

// blobFixture is a file bucket and a manager whose blob sources use db.
type blobFixture struct {
	t      *testing.T
	dir    string
	url    string
	bucket *blob.Bucket
	m      *Manager
	d      declared
}

func newBlobFixture(t *testing.T, db *sqldb.DB) *blobFixture {
	t.Helper()
	dir := t.TempDir()
	url := "file://" + dir
	b, err := blob.OpenBucket(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	if err := migrateBlob(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	plans, err := dsl.Load("up.yaml", []byte("name: up\ntriggers:\n  - blob: {connection: uploads, prefix: in/}\nsteps:\n  - return: 1\n"), dsl.TestRegistry())
	if err != nil {
		t.Fatal(err)
	}
	plan := plans[0]
	m := &Manager{opts: Options{DB: db, BlobPollInterval: 50 * time.Millisecond}, logger: slog.Default()}
	return &blobFixture{t: t, dir: dir, url: url, bucket: b, m: m, d: triggersOf([]*dsl.Workflow{plan})[0]}
}

func (f *blobFixture) write(keys ...string) {
	f.t.Helper()
	for _, k := range keys {
		if err := f.bucket.WriteAll(context.Background(), k, []byte(`{"k":"`+k+`"}`), &blob.WriterOptions{ContentType: "application/json"}); err != nil {
			f.t.Fatal(err)
		}
	}
}

// open is a consumer attempt: a new source on the stored cursor.
func (f *blobFixture) open() *blobSource {
	f.t.Helper()
	src, err := openBlob(context.Background(), f.d, f.url, f.m)
	if err != nil {
		f.t.Fatal(err)
	}
	s := src.(*blobSource)
	f.t.Cleanup(func() { s.bucket.Close() })
	return s
}

// poll runs one poll and returns the keys it delivered; deliver, when
// set, is called with one delivery at a time.
func (f *blobFixture) poll(s *blobSource, deliver func(context.Context, Event) error) []string {
	f.t.Helper()
	var got []string
	var mu sync.Mutex // deliveries run concurrently
	err := s.poll(context.Background(), func(ctx context.Context, ev Event) error {
		mu.Lock()
		defer mu.Unlock()
		if deliver != nil {
			if err := deliver(ctx, ev); err != nil {
				return err
			}
		}
		got = append(got, ev.Data.(map[string]any)["key"].(string))
		return nil
	})
	if err != nil {
		f.t.Fatalf("poll: %v", err)
	}
	return got
}

// A blob trigger starts each new object version once, in modification
// order, across restarts; objects there before it are its baseline.
func TestBlobSourceCursor(t *testing.T) {
	for name, db := range testDBs(t) {
		t.Run(name, func(t *testing.T) {
			f := newBlobFixture(t, db)
			f.write("in/old-1", "in/old-2")
			s := f.open()
			if got := f.poll(s, nil); len(got) != 0 {
				t.Fatalf("the baseline poll delivered %v", got)
			}
			f.write("in/b", "in/a", "out/ignored", "in/c")
			var events []Event
			got := f.poll(s, func(_ context.Context, ev Event) error { events = append(events, ev); return nil })
			// Deliveries run concurrently: TestBlobSourceOrder covers the order.
			slices.Sort(got)
			if strings.Join(got, ",") != "in/a,in/b,in/c" {
				t.Fatalf("delivered %v, want the new objects under in/", got)
			}
			first := events[0].Data.(map[string]any)
			key := first["key"].(string)
			if first["bucket"] != "uploads" || first["contentType"] != "application/json" || first["size"] != int64(len(`{"k":"`+key+`"}`)) ||
				events[0].ID != key+"@"+first["modTime"].(string) || events[0].At.IsZero() {
				t.Fatalf("event %+v id %q", first, events[0].ID)
			}
			if got := f.poll(s, nil); len(got) != 0 {
				t.Fatalf("a second poll delivered %v again", got)
			}
			firstID := map[string]string{}
			for _, ev := range events {
				firstID[ev.Data.(map[string]any)["key"].(string)] = ev.ID
			}

			// A new attempt resumes from the stored cursor.
			s2 := f.open()
			f.write("in/d")
			if got := f.poll(s2, nil); strings.Join(got, ",") != "in/d" {
				t.Fatalf("after a restart delivered %v, want only in/d", got)
			}
			// A rewrite is a new version with a new id.
			time.Sleep(10 * time.Millisecond)
			f.write("in/a")
			var rewritten Event
			if got := f.poll(s2, func(_ context.Context, ev Event) error { rewritten = ev; return nil }); strings.Join(got, ",") != "in/a" || rewritten.ID == firstID["in/a"] {
				t.Fatalf("rewrite delivered %v with id %q (first %q)", got, rewritten.ID, firstID["in/a"])
			}
		})
	}
}

// An object whose start failed is not acknowledged: the next poll, or the
// next attempt, delivers it again, and the watermark waits for it.
func TestBlobSourceRedeliversUnacknowledged(t *testing.T) {
	for name, db := range testDBs(t) {
		t.Run(name, func(t *testing.T) {
			f := newBlobFixture(t, db)
			s := f.open()
			f.poll(s, nil)
			if got := f.poll(s, nil); len(got) != 0 {
				t.Fatalf("an empty bucket delivered %v", got)
			}
			f.write("in/1", "in/2")
			boom := errors.New("temporal is down")
			err := s.poll(context.Background(), func(_ context.Context, ev Event) error {
				if ev.Data.(map[string]any)["key"] == "in/2" {
					return boom
				}
				return nil
			})
			if !errors.Is(err, boom) {
				t.Fatalf("poll returned %v, want the delivery error", err)
			}
			if got := f.poll(f.open(), nil); strings.Join(got, ",") != "in/2" {
				t.Fatalf("redelivered %v, want in/2 only", got)
			}
		})
	}
}

// Versions older than the grace before the newest are forgotten, so the
// cursor stays bounded, and objects appearing that old start nothing.
func TestBlobSourceWatermark(t *testing.T) {
	db := testDBs(t)["sqlite"]
	f := newBlobFixture(t, db)
	s := f.open()
	s.grace = 0
	f.poll(s, nil)
	f.write("in/1")
	time.Sleep(20 * time.Millisecond) // past the file system's timestamp granularity
	f.write("in/2")
	if got := f.poll(s, nil); len(got) != 2 {
		t.Fatalf("delivered %v", got)
	}
	var rows int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM fnchain_trigger_blob_seen`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || len(s.seen) != 1 {
		t.Fatalf("%d stored and %d remembered versions, want only the newest", rows, len(s.seen))
	}
	old := time.Now().Add(-time.Hour)
	f.write("in/0")
	if err := os.Chtimes(filepath.Join(f.dir, "in", "0"), old, old); err != nil {
		t.Fatal(err)
	}
	if got := f.poll(s, nil); len(got) != 0 {
		t.Fatalf("an object older than the watermark was delivered: %v", got)
	}
	if err := cleanupBlob(context.Background(), ConsumerInput{Workflow: "up", Key: f.d.key}, f.url, f.m); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM fnchain_trigger_blob_cursor`).Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("cleanup left %d cursors (%v)", rows, err)
	}
}

// Objects start oldest first, equal times by key, and only unseen ones.
func TestBlobSourceOrder(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	s := &blobSource{watermark: t0.UnixNano(), seen: map[objectVersion]bool{{"seen", t0.Add(time.Second).UnixNano()}: true}}
	var got []string
	for _, o := range s.pending([]*blob.ListObject{
		{Key: "b", ModTime: t0.Add(2 * time.Second)},
		{Key: "seen", ModTime: t0.Add(time.Second)},
		{Key: "z", ModTime: t0},
		{Key: "a", ModTime: t0.Add(2 * time.Second)},
		{Key: "before", ModTime: t0.Add(-time.Nanosecond)},
		{Key: "seen", ModTime: t0.Add(3 * time.Second)},
	}) {
		got = append(got, o.Key)
	}
	if strings.Join(got, ",") != "z,a,b,seen" {
		t.Fatalf("pending %v, want z,a,b,seen", got)
	}
}

func TestBlobSourceBadInput(t *testing.T) {
	f := newBlobFixture(t, testDBs(t)["sqlite"])
	if _, err := openBlob(context.Background(), f.d, "nope://bucket", f.m); err == nil || !strings.Contains(err.Error(), `connection "uploads"`) {
		t.Fatalf("unknown scheme: %v, want an error naming the connection", err)
	}
	s, err := openBlob(context.Background(), f.d, "file://"+filepath.Join(t.TempDir(), "missing"), f.m)
	if err == nil {
		err = s.run(context.Background(), func(context.Context, Event) error { return nil })
	}
	if err == nil {
		t.Fatal("a missing directory was accepted")
	}
	c, err := client.NewLazyClient(client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(context.Background(), Options{Client: c, DB: f.m.opts.DB, Plans: func(context.Context, string) (*dsl.Workflow, error) { return nil, nil },
		TaskQueue: "q", BlobPollInterval: -time.Second})
	if err == nil || !strings.Contains(err.Error(), "BlobPollInterval is -1s") {
		t.Fatalf("a negative poll interval: %v", err)
	}
}
