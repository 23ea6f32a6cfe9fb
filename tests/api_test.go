package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fnchain/orchestrator/api"
	"github.com/fnchain/orchestrator/dsl"
	"github.com/fnchain/orchestrator/tests/harness"
	"github.com/fnchain/orchestrator/workflows"
)

const apiApprovalYAML = `name: api-approval
input:
  type: object
  required: [order]
  properties:
    order: {type: string}
steps:
  - id: check
    name: check the order
    call: noop
    with: {order: "${{ input.order }}"}
  - id: approve
    wait: {signal: approve, timeout: 1h}
output: "${{ {'order': input.order, 'by': steps.approve.output} }}"
`

const apiQuickYAML = `name: api-quick
input: {type: object, required: [n], properties: {n: {type: integer}}}
steps:
  - id: echo
    call: noop
    with: {n: "${{ input.n }}"}
`

// call sends one request to base and returns the status, headers and body.
func call(t testing.TB, method, url, contentType, body string, headers ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}

func mustCall(t testing.TB, want int, into any, method, url, contentType, body string, headers ...string) http.Header {
	t.Helper()
	status, h, data := call(t, method, url, contentType, body, headers...)
	if status != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, url, status, want, data)
	}
	if into != nil {
		if err := json.Unmarshal(data, into); err != nil {
			t.Fatalf("%s %s: decoding %s: %v", method, url, data, err)
		}
	}
	return h
}

func deployOver(t testing.TB, base, name, src string) {
	t.Helper()
	mustCall(t, http.StatusOK, nil, http.MethodPut, base+"/v1/workflows/"+name, "application/yaml", src)
}

func TestAPIRunLifeOverHTTP(t *testing.T) {
	base := shared.APIURL
	deployOver(t, base, "api-approval", apiApprovalYAML)

	var started api.Run
	h := mustCall(t, http.StatusAccepted, &started, http.MethodPost, base+"/v1/workflows/api-approval/runs", "application/json", `{"order": "A-1"}`)
	loc := h.Get("Location")
	if loc == "" || started.Status != "running" {
		t.Fatalf("start: %q %+v", loc, started)
	}
	// Poll the Location until the run waits for its approval.
	deadline := time.Now().Add(30 * time.Second)
	var run api.Run
	for len(run.Waiting) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("never waited: %+v", run)
		}
		mustCall(t, http.StatusOK, &run, http.MethodGet, base+loc, "", "")
		time.Sleep(100 * time.Millisecond)
	}
	if run.Completed[0].ID != "check" || !strings.HasPrefix(run.UIURL, shared.UIURL+"/namespaces/default/workflows/") {
		t.Fatalf("waiting run: %+v", run)
	}
	mustCall(t, http.StatusAccepted, nil, http.MethodPost, base+loc+"/signals/approve", "application/json", `"carol"`)
	var done api.Run
	mustCall(t, http.StatusOK, &done, http.MethodGet, base+loc+"/result?wait=20s", "", "")
	if res, _ := done.Result.(map[string]any); done.Status != "completed" || res["by"] != "carol" || res["order"] != "A-1" {
		t.Fatalf("result: %+v", done)
	}
	var tl struct {
		Steps []api.TimelineEntry `json:"steps"`
	}
	mustCall(t, http.StatusOK, &tl, http.MethodGet, base+loc+"/timeline", "", "")
	if len(tl.Steps) < 2 || tl.Steps[0].Step != "check" || tl.Steps[0].Name != "check the order" {
		t.Fatalf("timeline: %+v", tl.Steps)
	}
}

func TestAPIWaitAndIdempotencyOverHTTP(t *testing.T) {
	base := shared.APIURL
	deployOver(t, base, "api-quick", apiQuickYAML)
	var r api.Run
	mustCall(t, http.StatusOK, &r, http.MethodPost, base+"/v1/workflows/api-quick/runs?wait=20s", "application/json", `{"n": 7}`)
	if res, _ := r.Result.(map[string]any); r.Status != "completed" || res["n"] != float64(7) {
		t.Fatalf("waited: %+v", r)
	}
	key := "order-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	// Concurrent retries of one request start one run.
	var wg sync.WaitGroup
	ids := make([]string, 5)
	for i := range ids {
		wg.Go(func() {
			var got api.Run
			mustCall(t, http.StatusOK, &got, http.MethodPost, base+"/v1/workflows/api-quick/runs?wait=20s", "application/json", `{"n": 1}`, "Idempotency-Key", key)
			ids[i] = got.ID + "/" + got.RunID
		})
	}
	wg.Wait()
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Fatalf("one key started several runs: %v", ids)
		}
	}
}

func TestAPIBadInputOverHTTP(t *testing.T) {
	base := shared.APIURL
	deployOver(t, base, "api-quick", apiQuickYAML)
	big := `{"n": 1, "pad": "` + strings.Repeat("x", api.DefaultMaxBodyBytes) + `"}`
	cases := []struct {
		name, method, path, contentType, body string
		status                                int
		location                              string
	}{
		{"malformed JSON", "POST", "/v1/workflows/api-quick/runs", "application/json", `{"n": `, 400, "body"},
		{"wrong type", "POST", "/v1/workflows/api-quick/runs", "application/json", `{"n": "seven"}`, 422, "body.n"},
		{"missing field", "POST", "/v1/workflows/api-quick/runs", "application/json", `{}`, 422, "body.n"},
		{"unknown workflow", "POST", "/v1/workflows/api-nope/runs", "application/json", `{}`, 404, ""},
		{"bad wait", "POST", "/v1/workflows/api-quick/runs?wait=soon", "application/json", `{"n": 1}`, 422, "query.wait"},
		{"oversized start", "POST", "/v1/workflows/api-quick/runs", "application/json", big, 413, ""},
		{"oversized deploy", "PUT", "/v1/workflows/api-quick", "application/yaml", apiQuickYAML + "#" + big, 413, ""},
		{"bad workflow file", "PUT", "/v1/workflows/api-quick", "application/yaml", "name: api-quick\nsteps: [{call: nope}]\n", 422, "body"},
		{"bad name", "PUT", "/v1/workflows/API", "application/yaml", apiQuickYAML, 422, "path.name"},
		{"unknown run", "GET", "/v1/runs/api-no-such-run", "", "", 404, ""},
		{"unknown run result", "GET", "/v1/runs/api-no-such-run/result", "", "", 404, ""},
		{"signal unknown run", "POST", "/v1/runs/api-no-such-run/signals/go", "application/json", `1`, 404, ""},
		{"cancel unknown run", "POST", "/v1/runs/api-no-such-run/cancel", "", "", 404, ""},
		{"bad status filter", "GET", "/v1/runs?status=sleeping", "", "", 422, "query.status"},
		{"delete unknown workflow", "DELETE", "/v1/workflows/api-nope", "", "", 404, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, h, data := call(t, c.method, base+c.path, c.contentType, c.body)
			if status != c.status || h.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%d %s, want %d problem+json: %s", status, h.Get("Content-Type"), c.status, data)
			}
			if c.location != "" && !bytes.Contains(data, []byte(`"location":"`+c.location+`"`)) {
				t.Fatalf("want location %s: %s", c.location, data)
			}
		})
	}
	// The rejected deploys left the deployed version as it was.
	var wf api.WorkflowDetail
	mustCall(t, http.StatusOK, &wf, http.MethodGet, base+"/v1/workflows/api-quick", "", "")
	if wf.Source != apiQuickYAML {
		t.Fatalf("a rejected deploy changed the workflow: %+v", wf)
	}
}

// keysStack is an orchestrator dev whose database holds a run key and a
// read key, created by `orchestrator keys create` before it started.
func TestAPIKeysOverHTTP(t *testing.T) {
	bin, err := harness.Binary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(dir, "fnchain.db")
	createKey := func(scope string) string {
		out, err := exec.Command(bin, "keys", "create", "--database", db, "--scope", scope, "--name", "test").Output()
		if err != nil {
			t.Fatalf("keys create: %v", err)
		}
		return strings.TrimSpace(string(out))
	}
	run, read := createKey("run"), createKey("read")
	s := harness.Start(t, harness.Options{DataDir: dir})
	base := s.APIURL

	for _, c := range []struct {
		key    string
		status int
	}{{"", 401}, {"fnc_wrong", 401}, {read, 200}} {
		headers := []string{}
		if c.key != "" {
			headers = []string{"Authorization", "Bearer " + c.key}
		}
		status, h, data := call(t, http.MethodGet, base+"/v1/workflows", "", "", headers...)
		if status != c.status || (status != 200 && h.Get("Content-Type") != "application/problem+json") {
			t.Fatalf("key %q: %d %s", c.key, status, data)
		}
	}
	status, _, _ := call(t, http.MethodPut, base+"/v1/workflows/api-quick", "application/yaml", apiQuickYAML, "Authorization", "Bearer "+run)
	if status != http.StatusForbidden {
		t.Fatalf("a run key deployed: %d", status)
	}
	if status, _, _ := call(t, http.MethodGet, base+"/healthz", "", ""); status != http.StatusOK {
		t.Fatalf("healthz behind a key: %d", status)
	}
}

// TestServeRefusesToStartWithoutKeys runs serve against the shared
// Temporal on a non-loopback listener with an empty database.
func TestServeRefusesToStartWithoutKeys(t *testing.T) {
	bin, err := harness.Binary()
	if err != nil {
		t.Fatal(err)
	}
	port, err := harness.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--temporal-address", shared.TemporalAddress, "--listen", fmt.Sprintf("0.0.0.0:%d", port),
		"--database", "sqlite://"+filepath.Join(t.TempDir(), "fnchain.db"))
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "would answer anyone") || !strings.Contains(string(out), "--insecure") {
		t.Fatalf("serve without keys: %v\n%s", err, out)
	}
}

// BenchmarkStartRuns compares runs started per second through the API over
// loopback HTTP with workflows.Start on the Temporal Go client, with the
// same concurrency.
func BenchmarkStartRuns(b *testing.B) {
	base := shared.APIURL
	deployOver(b, base, "api-quick", apiQuickYAML)
	plan, err := dsl.Load("api-quick.yaml", []byte(apiQuickYAML), nil)
	if err != nil {
		b.Fatal(err)
	}
	c := shared.Client(b)
	transport := &http.Transport{MaxIdleConnsPerHost: 64}
	httpc := &http.Client{Transport: transport}
	b.Run("api", func(b *testing.B) {
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				resp, err := httpc.Post(base+"/v1/workflows/api-quick/runs", "application/json", strings.NewReader(`{"n": 1}`))
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "runs/s")
	})
	var n atomic.Int64
	b.Run("client", func(b *testing.B) {
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				id := fmt.Sprintf("api-quick-direct-%d-%d", time.Now().UnixNano(), n.Add(1))
				if _, err := workflows.Start(context.Background(), c, plan[0], map[string]any{"n": 1}, workflows.StartOptions{ID: id, TaskQueue: "fnchain"}); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "runs/s")
	})
}
