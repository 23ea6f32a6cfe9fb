package bindings_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/fnchain/orchestrator/activities"
	"github.com/fnchain/orchestrator/bindings"
)

// bindingCase describes one binding for the shared conformance suite.
type bindingCase struct {
	typ     string
	url     func(t *testing.T) string           // a reachable service
	downURL func(t *testing.T, port int) string // the same service type on a closed port; nil when the type has no network
	fn      string                              // a call that writes
	with    func(t *testing.T) map[string]any   // its arguments, without connection
	verify  func(t *testing.T, with, result map[string]any)
	badArg  string // an argument set to a wrong type in the bad-arguments call
}

func TestConformance(t *testing.T) {
	for _, bc := range conformanceCases() {
		t.Run(bc.typ, func(t *testing.T) {
			cfg := bindings.Connections{"live": {Type: bc.typ, URL: bc.url(t)}}
			if bc.downURL != nil {
				cfg["down"] = bindings.ConnectionConfig{Type: bc.typ, URL: bc.downURL(t, closedPort(t))}
			}
			pool, env := openEnv(t, nil, cfg)
			ctx := context.Background()

			t.Run("connect", func(t *testing.T) {
				if err := pool.CheckConnection(ctx, "live"); err != nil {
					t.Fatal(err)
				}
			})
			t.Run("call", func(t *testing.T) {
				with := bc.with(t)
				with["connection"] = "live"
				bc.verify(t, with, mustCall(t, env, bc.fn, with))
			})
			t.Run("bad arguments", func(t *testing.T) {
				with := bc.with(t)
				with["connection"] = "live"
				with[bc.badArg] = []any{true, map[string]any{}}
				_, err := callActivity(t, env, bc.fn, with)
				wantAppError(t, err, activities.TypeValidation, false, fmt.Sprintf("%q", bc.badArg))

				with = bc.with(t)
				_, err = callActivity(t, env, bc.fn, with)
				wantAppError(t, err, activities.TypeValidation, false, "connection")

				with["connection"] = "nowhere"
				_, err = callActivity(t, env, bc.fn, with)
				wantAppError(t, err, activities.TypeValidation, false, `"connection"`, `"nowhere"`)
			})
			if bc.downURL != nil {
				t.Run("service down", func(t *testing.T) {
					with := bc.with(t)
					with["connection"] = "down"
					_, err := callActivity(t, env, bc.fn, with)
					wantAppError(t, err, activities.TypeConnection, true, `"down"`)
					if err := pool.CheckConnection(ctx, "down"); err == nil {
						t.Fatal("check of a closed port succeeded")
					}
				})
			}
			t.Run("close twice", func(t *testing.T) {
				if err := pool.Close(); err != nil {
					t.Fatal(err)
				}
				if err := pool.Close(); err != nil {
					t.Fatalf("second close: %v", err)
				}
			})
		})
	}
}
