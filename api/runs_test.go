package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2/humatest"
)

const jsonType = "Content-Type: application/json"

const approvalYAML = `name: approval
input:
  type: object
  required: [order]
  properties:
    order: {type: string}
steps:
  - id: hello
    name: say hello
    call: noop
    with: {order: "${{ input.order }}"}
  - id: approve
    wait: {signal: approve, timeout: 1h}
output: "${{ {'order': input.order, 'by': steps.approve.output} }}"
`

func startRun(t *testing.T, a humatest.TestAPI, path, body string, status int, headers ...any) Run {
	t.Helper()
	var r Run
	wantStatus(t, a.Post(path, append(headers, jsonType, strings.NewReader(body))...), status, &r)
	return r
}

// eventually polls get until ok says the run got there.
func eventually(t *testing.T, a humatest.TestAPI, path string, ok func(Run) bool) Run {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var r Run
		wantStatus(t, a.Get(path), http.StatusOK, &r)
		if ok(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("run never got there: %+v", r)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestRunLifeThroughOperations(t *testing.T) {
	a, _ := newTestAPI(t, nil)
	deploy(t, a, "approval", approvalYAML)

	resp := a.Post("/v1/workflows/approval/runs", jsonType, strings.NewReader(`{"order": "o-1"}`))
	var started Run
	wantStatus(t, resp, http.StatusAccepted, &started)
	loc := resp.Header().Get("Location")
	if loc != "/v1/runs/"+started.ID || started.Status != "running" || !strings.HasPrefix(started.UIURL, "http://ui.test/namespaces/default/workflows/"+started.ID+"/") {
		t.Fatalf("start: %s %+v", loc, started)
	}

	waiting := eventually(t, a, loc, func(r Run) bool { return len(r.Waiting) == 1 })
	if waiting.Waiting[0].Signal != "approve" || len(waiting.Completed) != 1 || waiting.Completed[0].ID != "hello" || waiting.Definition == "" {
		t.Fatalf("waiting run: %+v", waiting)
	}
	var pending Run
	wantStatus(t, a.Get(loc+"/result"), http.StatusAccepted, &pending)

	wantStatus(t, a.Post(loc+"/signals/approve", jsonType, strings.NewReader(`"ann"`)), http.StatusAccepted, nil)
	var done Run
	wantStatus(t, a.Get(loc+"/result?wait=20s"), http.StatusOK, &done)
	if res, _ := done.Result.(map[string]any); done.Status != "completed" || res["by"] != "ann" || res["order"] != "o-1" {
		t.Fatalf("result: %+v", done)
	}
	// A closed run answers from its history.
	closed := eventually(t, a, loc, func(r Run) bool { return r.Status == "completed" })
	if closed.ClosedAt == nil || len(closed.Completed) != 1 || closed.Result == nil {
		t.Fatalf("closed run: %+v", closed)
	}

	var tl timelineOutput
	wantStatus(t, a.Get(loc+"/timeline"), http.StatusOK, &tl.Body)
	kinds := []string{}
	for _, e := range tl.Body.Steps {
		kinds = append(kinds, e.Kind+":"+e.Status)
	}
	if got := strings.Join(kinds, ","); got != "activity:completed,timer:canceled,signal:received" || tl.Body.Steps[0].Step != "hello" || tl.Body.Steps[0].Name != "say hello" {
		t.Fatalf("timeline %s: %+v", got, tl.Body.Steps)
	}

	eventuallyListed(t, a, "/v1/runs?workflow=approval&status=completed", started.ID)
}

func eventuallyListed(t *testing.T, a humatest.TestAPI, path, id string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var out listRunsOutput
		wantStatus(t, a.Get(path), http.StatusOK, &out.Body)
		for _, r := range out.Body.Runs {
			if r.ID == id {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never listed %s: %+v", path, id, out.Body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestStartWaitsAndIdempotencyKey(t *testing.T) {
	a, _ := newTestAPI(t, nil)
	deploy(t, a, "greet", greetYAML)
	r := startRun(t, a, "/v1/workflows/greet/runs?wait=20s", `{"who": "bo"}`, http.StatusOK)
	if res, _ := r.Result.(map[string]any); r.Status != "completed" || res["to"] != "bo" {
		t.Fatalf("waited run: %+v", r)
	}

	key := "Idempotency-Key: k-" + time.Now().Format("150405.000000")
	first := startRun(t, a, "/v1/workflows/greet/runs?wait=20s", `{"who": "bo"}`, http.StatusOK, key)
	again := startRun(t, a, "/v1/workflows/greet/runs?wait=20s", `{"who": "bo"}`, http.StatusOK, key)
	if first.ID != again.ID || first.RunID != again.RunID {
		t.Fatalf("the same key started two runs: %+v %+v", first, again)
	}

	// A run that does not end in time answers 202 with where to look.
	deploy(t, a, "approval", approvalYAML)
	resp := a.Post("/v1/workflows/approval/runs?wait=300ms", jsonType, strings.NewReader(`{"order": "o"}`))
	if resp.Code != http.StatusAccepted || resp.Header().Get("Location") == "" {
		t.Fatalf("slow run: %d %s", resp.Code, resp.Body)
	}
	loc := resp.Header().Get("Location")
	wantStatus(t, a.Post(loc+"/terminate", jsonType, strings.NewReader(`{"reason": "test"}`)), http.StatusNoContent, nil)
	var ended Run
	wantStatus(t, a.Get(loc+"/result"), http.StatusOK, &ended)
	if ended.Status != "terminated" || ended.Error == nil || ended.Error.Message != "test" {
		t.Fatalf("terminated run: %+v", ended)
	}
}

func TestUpdateAndCancel(t *testing.T) {
	a, _ := newTestAPI(t, nil)
	deploy(t, a, "approval", approvalYAML)
	r := startRun(t, a, "/v1/workflows/approval/runs", `{"order": "o"}`, http.StatusAccepted)
	loc := "/v1/runs/" + r.ID
	// Nothing waits for "other": the update is rejected and changes nothing.
	wantProblem(t, a.Post(loc+"/updates/other", jsonType, strings.NewReader(`1`)), http.StatusConflict)
	eventually(t, a, loc, func(r Run) bool { return len(r.Waiting) == 1 })
	wantStatus(t, a.Post(loc+"/updates/approve", jsonType, strings.NewReader(`"via update"`)), http.StatusOK, nil)
	var done Run
	wantStatus(t, a.Get(loc+"/result?wait=20s"), http.StatusOK, &done)
	if res, _ := done.Result.(map[string]any); res["by"] != "via update" {
		t.Fatalf("updated run: %+v", done)
	}

	r = startRun(t, a, "/v1/workflows/approval/runs", `{"order": "o"}`, http.StatusAccepted)
	loc = "/v1/runs/" + r.ID
	wantStatus(t, a.Post(loc+"/cancel"), http.StatusAccepted, nil)
	wantStatus(t, a.Get(loc+"/result?wait=20s"), http.StatusOK, &done)
	if done.Status != "canceled" {
		t.Fatalf("canceled run: %+v", done)
	}
}

func TestRunOperationsRejectBadInput(t *testing.T) {
	a, _ := newTestAPI(t, nil)
	deploy(t, a, "greet", greetYAML)
	start := "/v1/workflows/greet/runs"

	p := wantProblem(t, a.Post(start, jsonType, strings.NewReader(`{"who": 3, "times": 0, "extra": true}`)), http.StatusUnprocessableEntity)
	locs := map[string]bool{}
	for _, e := range p.Errors {
		locs[e.Location] = true
	}
	if !locs["body.who"] || !locs["body.times"] {
		t.Fatalf("want the failing fields named: %+v", p)
	}
	p = wantProblem(t, a.Post(start, jsonType, strings.NewReader(`{}`)), http.StatusUnprocessableEntity)
	if p.Errors[0].Location != "body.who" || !strings.Contains(p.Errors[0].Message, "missing property") {
		t.Fatalf("missing field: %+v", p)
	}
	wantProblem(t, a.Post(start, jsonType, strings.NewReader(``)), http.StatusUnprocessableEntity)
	for _, body := range []string{`{"who": `, `{"who": "a"} {}`, `nope`} {
		p = wantProblem(t, a.Post(start, jsonType, strings.NewReader(body)), http.StatusBadRequest)
		if p.Errors[0].Location != "body" {
			t.Fatalf("%s: %+v", body, p)
		}
	}
	wantProblem(t, a.Post(start+"?wait=forever", jsonType, strings.NewReader(`{"who": "a"}`)), http.StatusUnprocessableEntity)
	wantProblem(t, a.Post(start+"?wait=2h", jsonType, strings.NewReader(`{"who": "a"}`)), http.StatusUnprocessableEntity)
	wantProblem(t, a.Post("/v1/workflows/nope/runs", jsonType, strings.NewReader(`{}`)), http.StatusNotFound)
	wantProblem(t, a.Post(start, jsonType, strings.NewReader(`{"who": "`+strings.Repeat("x", DefaultMaxBodyBytes)+`"}`)), http.StatusRequestEntityTooLarge)
	wantProblem(t, a.Post(start, jsonType, "Idempotency-Key: "+strings.Repeat("k", 201), strings.NewReader(`{"who": "a"}`)), http.StatusUnprocessableEntity)

	for _, req := range []struct{ method, path string }{
		{http.MethodGet, "/v1/runs/no-such-run"},
		{http.MethodGet, "/v1/runs/no-such-run/result"},
		{http.MethodGet, "/v1/runs/no-such-run/timeline"},
		{http.MethodPost, "/v1/runs/no-such-run/cancel"},
		{http.MethodPost, "/v1/runs/no-such-run/terminate"},
		{http.MethodPost, "/v1/runs/no-such-run/signals/approve"},
		{http.MethodPost, "/v1/runs/no-such-run/updates/approve"},
	} {
		wantProblem(t, a.Do(req.method, req.path, jsonType, strings.NewReader(`{}`)), http.StatusNotFound)
	}
	wantProblem(t, a.Post("/v1/runs/x/signals/approve", jsonType, strings.NewReader(`{`)), http.StatusBadRequest)
	wantProblem(t, a.Get("/v1/runs?status=lost"), http.StatusUnprocessableEntity)
	wantProblem(t, a.Get("/v1/runs?workflow=x'%20OR%20'1"), http.StatusUnprocessableEntity)
	wantProblem(t, a.Get("/v1/runs?startedAfter=yesterday"), http.StatusUnprocessableEntity)
	wantProblem(t, a.Get("/v1/runs?pageToken=***"), http.StatusUnprocessableEntity)
	wantProblem(t, a.Get("/v1/runs?pageSize=0"), http.StatusUnprocessableEntity)
}
