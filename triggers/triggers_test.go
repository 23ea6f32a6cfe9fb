package triggers

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fnchain/orchestrator/activities"
	"github.com/fnchain/orchestrator/dsl"
)

func load(t *testing.T, src string) *dsl.Workflow {
	t.Helper()
	plans, err := dsl.Load("t.yaml", []byte(src), activities.Builtin())
	if err != nil {
		t.Fatalf("loading:\n%v", err)
	}
	return plans[0]
}

func TestVerifySignatures(t *testing.T) {
	const secret = "s3cret"
	body := []byte(`{"a":1}`)
	now := time.Unix(1_800_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	stripe := func(ts string, key string) string {
		return "t=" + ts + ",v1=" + hex.EncodeToString(Sign([]byte(ts+"."+string(body)), key))
	}
	cases := []struct {
		name, header, value, wantErr string
	}{
		{"github ok", "X-Hub-Signature-256", "sha256=" + hex.EncodeToString(Sign(body, secret)), ""},
		{"github wrong key", "X-Hub-Signature-256", "sha256=" + hex.EncodeToString(Sign(body, "other")), "does not match the body"},
		{"github no prefix", "X-Hub-Signature-256", hex.EncodeToString(Sign(body, secret)), "must be sha256=<hex>"},
		{"github not hex", "X-Hub-Signature-256", "sha256=zz", "does not match"},
		{"stripe ok", "Stripe-Signature", stripe(ts, secret), ""},
		{"stripe wrong key", "Stripe-Signature", stripe(ts, "other"), "does not match"},
		{"stripe stale", "Stripe-Signature", stripe(strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10), secret), "stale or replayed"},
		{"stripe future", "Stripe-Signature", stripe(strconv.FormatInt(now.Add(6*time.Minute).Unix(), 10), secret), "stale or replayed"},
		{"stripe malformed", "Stripe-Signature", "v1=abc", "must be t=<unix seconds>"},
		{"bearer ok", "Authorization", "Bearer " + secret, ""},
		{"bearer wrong", "Authorization", "Bearer nope", "does not match"},
		{"basic auth", "Authorization", "Basic abc", "carries no signature"},
		{"nothing", "", "", "carries no signature"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			if c.header != "" {
				h.Set(c.header, c.value)
			}
			err := verify(h, body, secret, now)
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("error %v, want one containing %q", err, c.wantErr)
			}
		})
	}
}

func TestMapEvent(t *testing.T) {
	plan := load(t, `
name: m
triggers:
  - http: {path: /hooks/m}
    input: {order: "${{ event.body.order }}"}
    id: ${{ event.body.n }}
  - http: {path: /hooks/plain}
  - http: {path: /hooks/bad}
    id: ${{ event.body.missing }}
steps:
  - return: 1
`)
	input, id, err := mapEvent(plan.Triggers[0], Event{Data: map[string]any{"body": map[string]any{"order": "A", "n": 7.0}}})
	if err != nil || id != "7" || input.(map[string]any)["order"] != "A" {
		t.Fatalf("mapped %v %q %v", input, id, err)
	}
	ev := map[string]any{"x": 1.0}
	input, id, err = mapEvent(plan.Triggers[1], Event{Data: ev, ID: "src-1"})
	if err != nil || id != "src-1" || input.(map[string]any)["x"] != 1.0 {
		t.Fatalf("default mapping: %v %q %v", input, id, err)
	}
	_, _, err = mapEvent(plan.Triggers[2], Event{Data: map[string]any{"body": map[string]any{}}})
	if err == nil || !strings.Contains(err.Error(), "id evaluated to null") {
		t.Fatalf("null id: %v", err)
	}
}

// Keys survive a change of the mapping and follow a change of the source.
func TestKeys(t *testing.T) {
	a := load(t, "name: k\ntriggers:\n  - http: {path: /hooks/a}\n  - schedule: {cron: '@daily'}\n  - schedule: {cron: '@hourly'}\nsteps:\n  - return: 1\n")
	b := load(t, "name: k\ntriggers:\n  - schedule: {cron: '@daily'}\n  - http: {path: /hooks/a}\n    input: ${{ event.body }}\nsteps:\n  - return: 1\n")
	c := load(t, "name: k\ntriggers:\n  - http: {path: /hooks/b}\nsteps:\n  - return: 1\n")
	if Key(a, 0) != Key(b, 1) || !strings.HasPrefix(Key(a, 0), "http-") {
		t.Fatalf("keys differ after a mapping change: %s %s", Key(a, 0), Key(b, 1))
	}
	if Key(a, 0) == Key(c, 0) {
		t.Fatalf("two paths share key %s", Key(a, 0))
	}
	if Key(a, 1) != "schedule-1" || Key(a, 2) != "schedule-2" || Key(b, 0) != "schedule-1" {
		t.Fatalf("schedule keys %s %s %s", Key(a, 1), Key(a, 2), Key(b, 0))
	}
	long := strings.Repeat("x", 500)
	if id := RunID("k", "http-1", long); len(id) > maxIDLen || id == RunID("k", "http-1", long+"y") {
		t.Fatalf("long ids: %q", id)
	}
	if n := len(resourceName("a-very-long-workflow-name-indeed", "postgres-0011aabb")); n > 63 {
		t.Fatalf("resource name of %d characters is too long for postgres", n)
	}
}

// Webhook routing refuses paths outside /hooks/ and a path two workflows
// claim, and answers 404, 405 and 400 before starting anything.
func TestWebhookRouting(t *testing.T) {
	a := load(t, "name: a\ntriggers:\n  - http: {path: /hooks/x, method: PUT}\nsteps:\n  - return: 1\n")
	b := load(t, "name: b\ntriggers:\n  - http: {path: /hooks/x}\n  - http: {path: /orders}\nsteps:\n  - return: 1\n")
	rec := &recorder{pending: map[[2]string]*statusDelta{}}
	w := &webhooks{starter: &starter{status: rec}}
	problems := w.set(triggersOf([]*dsl.Workflow{a, b}))
	if len(problems) != 2 || !strings.Contains(problems[0].Error(), "already served by workflow a") || !strings.Contains(problems[1].Error(), "must start with /hooks/") {
		t.Fatalf("problems: %v", problems)
	}
	for _, c := range []struct {
		method, path, ctype, body string
		want                      int
	}{
		{"PUT", "/hooks/nope", "", "", http.StatusNotFound},
		{"POST", "/hooks/x", "", "", http.StatusMethodNotAllowed},
		{"PUT", "/hooks/x", "application/json", "{", http.StatusBadRequest},
	} {
		r := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
		r.Header.Set("Content-Type", c.ctype)
		rr := httptest.NewRecorder()
		w.ServeHTTP(rr, r)
		if rr.Code != c.want {
			t.Errorf("%s %s: %d %s, want %d", c.method, c.path, rr.Code, rr.Body, c.want)
		}
	}
}

// The status recorder sums deltas from several flushes, on SQLite and on
// Postgres.
func TestStatusRecorder(t *testing.T) {
	ctx := context.Background()
	plan := load(t, "name: s\ntriggers:\n  - http: {path: /hooks/s}\nsteps:\n  - return: 1\n")
	d := triggersOf([]*dsl.Workflow{plan})[0]
	for name, db := range testDBs(t) {
		t.Run(name, func(t *testing.T) {
			r, err := newRecorder(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			at := time.Now().Add(-time.Second)
			r.event(d, at)
			r.started(d, at)
			if err := r.flush(ctx); err != nil {
				t.Fatal(err)
			}
			r.event(d, time.Time{})
			r.fail(d, fmt.Errorf("boom"))
			if err := r.flush(ctx); err != nil {
				t.Fatal(err)
			}
			list := []Status{{Workflow: "s", Key: d.key}}
			if err := r.load(ctx, list); err != nil {
				t.Fatal(err)
			}
			s := list[0]
			if s.Events != 2 || s.Runs != 1 || s.Failed != 1 || s.LastError != "boom" || s.LagMillis < 900 || s.LastEventAt == nil {
				t.Fatalf("status %+v", s)
			}
		})
	}
}
