package catalog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fnchain/orchestrator/dsl"
	"github.com/fnchain/orchestrator/internal/sqldb/sqldbtest"
)

// catalogs returns a fresh catalog on SQLite and one on the machine's
// Postgres, each in its own schema so runs never see each other's rows.
func catalogs(t *testing.T) map[string]*Catalog {
	t.Helper()
	ctx := context.Background()
	out := map[string]*Catalog{}
	for name, db := range sqldbtest.Both(t) {
		c, err := New(ctx, db, dsl.TestRegistry())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = c
	}
	return out
}

const v1 = `
name: greet
steps:
  - call: noop
    with: {hello: world}
`

func TestDeployVersionsAndDelete(t *testing.T) {
	ctx := context.Background()
	for name, c := range catalogs(t) {
		t.Run(name, func(t *testing.T) {
			d, err := c.Deploy(ctx, "greet.yaml", []byte(v1))
			if err != nil || len(d) != 1 || !d[0].Changed || d[0].Definition.Version != 1 {
				t.Fatalf("first deploy: %+v, %v", d, err)
			}
			// Same content, other formatting: no new version.
			d, err = c.Deploy(ctx, "greet.yaml", []byte("# comment\n"+v1))
			if err != nil || d[0].Changed || d[0].Definition.Version != 1 {
				t.Fatalf("same content: %+v, %v", d, err)
			}
			v2 := strings.Replace(v1, "world", "there", 1)
			d, err = c.Deploy(ctx, "greet.yaml", []byte(v2))
			if err != nil || !d[0].Changed || d[0].Definition.Version != 2 {
				t.Fatalf("changed content: %+v, %v", d, err)
			}
			cur, err := c.Get(ctx, "greet")
			if err != nil || cur.Version != 2 || string(cur.Source) != v2 || cur.Plan.Hash != cur.Hash {
				t.Fatalf("current: %+v, %v", cur, err)
			}
			old, err := c.Version(ctx, "greet", 1)
			if err != nil || old.Plan.Hash == cur.Plan.Hash {
				t.Fatalf("version 1: %+v, %v", old, err)
			}
			versions, err := c.Versions(ctx, "greet")
			if err != nil || len(versions) != 2 || versions[0].Version != 2 {
				t.Fatalf("versions: %+v, %v", versions, err)
			}
			g0, _ := c.Generation(ctx)
			if err := c.Delete(ctx, "greet"); err != nil {
				t.Fatal(err)
			}
			if g1, _ := c.Generation(ctx); g1 <= g0 {
				t.Fatalf("generation %d after delete, was %d", g1, g0)
			}
			if _, err := c.Get(ctx, "greet"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("get after delete: %v", err)
			}
			if _, err := c.Version(ctx, "greet", 1); err != nil {
				t.Fatalf("old versions must stay for runs in flight: %v", err)
			}
			if err := c.Delete(ctx, "greet"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("second delete: %v", err)
			}
			d, err = c.Deploy(ctx, "greet.yaml", []byte(v1))
			if err != nil || d[0].Definition.Version != 3 {
				t.Fatalf("redeploy after delete: %+v, %v", d, err)
			}
		})
	}
}

// A file with one bad workflow stores none of its workflows.
func TestBadFileStoresNothing(t *testing.T) {
	ctx := context.Background()
	for name, c := range catalogs(t) {
		t.Run(name, func(t *testing.T) {
			src := v1 + "---\nname: broken\nsteps:\n  - call: noop\n    with: {x: \"${{ nope }}\"}\n"
			_, err := c.Deploy(ctx, "two.yaml", []byte(src))
			var errs dsl.Errors
			if !errors.As(err, &errs) || !strings.Contains(err.Error(), "two.yaml:") {
				t.Fatalf("error %v, want positioned dsl.Errors", err)
			}
			if list, _ := c.List(ctx); len(list) != 0 {
				t.Fatalf("a bad file deployed %d workflows", len(list))
			}
		})
	}
}

func TestWatchSeesChanges(t *testing.T) {
	for name, c := range catalogs(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			seen := make(chan []string, 10)
			go c.Watch(ctx, 20*time.Millisecond, func(defs []*Definition) {
				var names []string
				for _, d := range defs {
					names = append(names, fmt.Sprintf("%s@%d", d.Name, d.Version))
				}
				seen <- names
			})
			expect := func(want string) {
				t.Helper()
				select {
				case got := <-seen:
					if strings.Join(got, ",") != want {
						t.Fatalf("watch saw %v, want %q", got, want)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("watch saw nothing, want %q", want)
				}
			}
			expect("")
			if _, err := c.Deploy(ctx, "greet.yaml", []byte(v1)); err != nil {
				t.Fatal(err)
			}
			expect("greet@1")
			if err := c.Delete(ctx, "greet"); err != nil {
				t.Fatal(err)
			}
			expect("")
		})
	}
}
