package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/fnchain/orchestrator/internal/sqldb"
	"github.com/fnchain/orchestrator/internal/sqldb/sqldbtest"
)

// keyStores returns a key store on SQLite and one on the machine's
// Postgres, in a schema of its own.
func keyStores(t *testing.T) map[string]*Keys {
	t.Helper()
	ctx := context.Background()
	out := map[string]*Keys{}
	for name, db := range map[string]*sqldb.DB{"sqlite": sqldbtest.SQLite(t), "postgres": sqldbtest.Postgres(t)} {
		var err error
		if out[name], err = NewKeys(ctx, db); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	return out
}

func TestKeysAreStoredHashed(t *testing.T) {
	ctx := context.Background()
	for name, keys := range keyStores(t) {
		t.Run(name, func(t *testing.T) {
			if any, err := keys.Any(ctx); err != nil || any {
				t.Fatalf("fresh store: %v %v", any, err)
			}
			k, secret, err := keys.Create(ctx, "ci", ScopeRun)
			if err != nil {
				t.Fatal(err)
			}
			var stored string
			if err := keys.db.QueryRow(ctx, `SELECT hash FROM fnchain_api_keys WHERE id = ?`, k.ID).Scan(&stored); err != nil || stored == secret || stored != hashKey(secret) {
				t.Fatalf("stored %q for %q: %v", stored, secret, err)
			}
			got, err := keys.Lookup(ctx, secret)
			if err != nil || got == nil || got.ID != k.ID || got.Scope != ScopeRun {
				t.Fatalf("lookup: %+v %v", got, err)
			}
			if got, err := keys.Lookup(ctx, secret+"x"); err != nil || got != nil {
				t.Fatalf("wrong secret found %+v %v", got, err)
			}
			list, err := keys.List(ctx)
			if err != nil || len(list) != 1 || list[0].Name != "ci" {
				t.Fatalf("list: %+v %v", list, err)
			}
			if _, _, err := keys.Create(ctx, "x", "root"); err == nil || !strings.Contains(err.Error(), "use read, run or admin") {
				t.Fatalf("bad scope: %v", err)
			}
			if err := keys.Revoke(ctx, k.ID); err != nil {
				t.Fatal(err)
			}
			if got, _ := keys.Lookup(ctx, secret); got != nil {
				t.Fatal("a revoked key still works")
			}
			if err := keys.Revoke(ctx, k.ID); !errors.Is(err, ErrKeyNotFound) {
				t.Fatalf("revoking twice: %v", err)
			}
		})
	}
}

func TestAuthenticationScopesAndRateLimit(t *testing.T) {
	ctx := context.Background()
	keys, err := NewKeys(ctx, sqldbtest.SQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := newTestAPI(t, func(b *Backend) { b.Keys, b.RateLimit, b.RateBurst = keys, 0.5, 3 })
	_, read, _ := keys.Create(ctx, "reader", ScopeRead)
	_, admin, _ := keys.Create(ctx, "admin", ScopeAdmin)
	bearer := func(k string) string { return "Authorization: Bearer " + k }

	p := wantProblem(t, a.Get("/v1/workflows"), http.StatusUnauthorized)
	if !strings.Contains(p.Detail, "missing api key") {
		t.Fatalf("no key: %+v", p)
	}
	wantProblem(t, a.Get("/v1/workflows", bearer("fnc_nope_nope")), http.StatusUnauthorized)
	wantProblem(t, a.Get("/v1/workflows", "Authorization: Basic eDp5"), http.StatusUnauthorized)
	wantStatus(t, a.Get("/v1/workflows", bearer(read)), http.StatusOK, nil)
	p = wantProblem(t, a.Put("/v1/workflows/greet", yamlType, bearer(read), strings.NewReader(greetYAML)), http.StatusForbidden)
	if !strings.Contains(p.Detail, "needs admin") {
		t.Fatalf("scope: %+v", p)
	}
	wantStatus(t, a.Put("/v1/workflows/greet", yamlType, bearer(admin), strings.NewReader(greetYAML)), http.StatusOK, nil)
	// Health and the document stay open.
	wantStatus(t, a.Get("/healthz"), http.StatusOK, nil)
	wantStatus(t, a.Get("/openapi.json"), http.StatusOK, nil)

	// The reader's bucket of 3 runs out within a few more requests.
	var limited bool
	for range 5 {
		resp := a.Get("/v1/workflows", bearer(read))
		if resp.Code == http.StatusTooManyRequests {
			wantProblem(t, resp, http.StatusTooManyRequests)
			if ra := resp.Header().Get("Retry-After"); ra != "2" {
				t.Fatalf("Retry-After %q, want 2 at half a request per second", ra)
			}
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("never rate limited")
	}
	// Each key has its own bucket.
	wantStatus(t, a.Get("/v1/workflows", bearer(admin)), http.StatusOK, nil)
}
