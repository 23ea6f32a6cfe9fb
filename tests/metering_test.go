package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	"github.com/fnchain/orchestrator/internal/sqldb"
	"github.com/fnchain/orchestrator/metering"
	"github.com/fnchain/orchestrator/tests/harness"
	"github.com/fnchain/orchestrator/workflows"
)

// functionServer is what the test workflows call over http.request:
// /ok answers, /missing fails for good, /flaky fails twice then answers, /hang never answers the
// first call (its worker is killed meanwhile) and answers the next.
type functionServer struct {
	*httptest.Server
	flaky, hang atomic.Int64
	hung        chan struct{}
	once        sync.Once
}

func newFunctionServer(t *testing.T) *functionServer {
	f := &functionServer{hung: make(chan struct{})}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/missing":
			http.NotFound(w, r)
			return
		case "/flaky":
			if f.flaky.Add(1) <= 2 {
				http.Error(w, "try again", http.StatusServiceUnavailable)
				return
			}
		case "/hang":
			if f.hang.Add(1) == 1 {
				f.once.Do(func() { close(f.hung) })
				<-r.Context().Done()
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(f.Close)
	return f
}

// startWorker runs `orchestrator worker` on queue against the stack.
func startWorker(t *testing.T, s *harness.Stack, queue, database string) *exec.Cmd {
	t.Helper()
	bin, err := harness.Binary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "worker", "--temporal-address", s.TemporalAddress, "--task-queue", queue, "--database", database)
	cmd.Dir = t.TempDir()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

// A known mix (a success, an activity that fails twice before it
// succeeds, one that fails for good, and one whose worker is killed with
// SIGKILL mid-attempt) leaves in the ledger exactly the attempts the run
// histories hold, attempt by attempt, and each run's FnchainBilledMs is the
// sum of its readings.
func TestMeteringLedgerMatchesHistories(t *testing.T) {
	dir := t.TempDir()
	database := "sqlite://" + filepath.Join(dir, "fnchain.db")
	s := harness.Start(t, harness.Options{DataDir: dir, Env: []string{"FNCHAIN_METERING=reconcile: {every: 1s, grace: 1s}"}})
	fs := newFunctionServer(t)
	c := s.Client(t)
	ctx := context.Background()

	mix := loadPlan(t, `
name: metered-mix
steps:
  - id: ok
    call: http.request
    with: {url: "${{ input.base }}/ok"}
  - id: flaky
    call: http.request
    retry: {maxAttempts: 5, initialInterval: 100ms}
    with: {url: "${{ input.base }}/flaky"}
  - id: guard
    try:
      - id: broken
        call: http.request
        retry: {maxAttempts: 1}
        with: {url: "${{ input.base }}/missing", method: POST, body: {order: 7}}
    catch:
      - steps: [{id: noted, call: noop}]
`)
	crash := loadPlan(t, `
name: metered-crash
steps:
  - id: hang
    call: http.request
    taskQueue: metered-crash
    timeout: 3s
    retry: {maxAttempts: 3, initialInterval: 100ms}
    with: {url: "${{ input.base }}/hang"}
`)
	input := map[string]any{"base": fs.URL}
	runMix, err := workflows.Start(ctx, c, mix, input, workflows.StartOptions{ID: "metered-mix", TaskQueue: "fnchain"})
	if err != nil {
		t.Fatal(err)
	}
	first := startWorker(t, s, "metered-crash", database)
	runCrash, err := workflows.Start(ctx, c, crash, input, workflows.StartOptions{ID: "metered-crash", TaskQueue: "fnchain"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-fs.hung:
	case <-time.After(time.Minute):
		t.Fatal("the crash run's activity never reached the function")
	}
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	startWorker(t, s, "metered-crash", database)
	for _, run := range []client.WorkflowRun{runMix, runCrash} {
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		err := run.Get(wctx, nil)
		cancel()
		if err != nil {
			t.Fatalf("run %s: %v", run.GetID(), err)
		}
	}

	db, err := sqldb.Open(ctx, database)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ledger, err := metering.NewLedger(ctx, db, metering.DefaultPrices())
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	wantAttempts := map[string]int{"metered-mix": 1 + 3 + 1 + 1, "metered-crash": 2}
	for _, run := range []client.WorkflowRun{runMix, runCrash} {
		events := historyEvents(t, c, run.GetID(), run.GetRunID())
		fromHistory := metering.ReadingsFromHistory(run.GetID(), run.GetRunID(), run.GetID(), events)
		var got []metering.Reading
		deadline := time.Now().Add(time.Minute)
		for {
			if got, err = ledger.Readings(ctx, run.GetID(), run.GetRunID()); err != nil {
				t.Fatal(err)
			}
			if len(got) >= wantAttempts[run.GetID()] || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		checkLedger(t, run.GetID(), got, fromHistory, wantAttempts[run.GetID()])
		var total int64
		for _, r := range got {
			total += r.BilledMs
		}
		desc, err := c.DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
		if err != nil {
			t.Fatal(err)
		}
		var billed int64
		if p := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()[metering.SearchBilledMs]; p == nil {
			t.Errorf("%s: no %s search attribute", run.GetID(), metering.SearchBilledMs)
		} else if err := json.Unmarshal(p.GetData(), &billed); err != nil || billed != total {
			t.Errorf("%s: %s = %d (%v), ledger sum %d", run.GetID(), metering.SearchBilledMs, billed, err, total)
		}
	}
	// The crashed attempt came from the history, untimed; the retry from
	// the second worker.
	crashReadings, _ := ledger.Readings(ctx, runCrash.GetID(), runCrash.GetRunID())
	if len(crashReadings) == 2 {
		if a := crashReadings[0]; a.Source != metering.SourceInferred || a.Outcome != metering.OutcomeTimedOut || a.BilledMs != 0 {
			t.Errorf("the killed attempt: %+v", a)
		}
		if b := crashReadings[1]; b.Source != metering.SourceWorker || b.Outcome != metering.OutcomeCompleted || b.Attempt != 2 {
			t.Errorf("the retry: %+v", b)
		}
	}

	var usage metering.UsageOutput
	fetchJSON(t, s.APIURL+"/v1/usage?groupBy=run&workflowId=metered-mix", http.StatusOK, &usage.Body)
	if len(usage.Body.Groups) != 1 || usage.Body.Groups[0].Attempts != 6 || usage.Body.Groups[0].Failed != 3 || usage.Body.Total.Cost <= 0 {
		t.Errorf("usage of the mix: %+v", usage.Body)
	}
	fetchJSON(t, s.APIURL+"/v1/usage?groupBy=step", http.StatusUnprocessableEntity, nil)
	fetchJSON(t, s.APIURL+"/v1/usage?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z", http.StatusUnprocessableEntity, nil)
	fetchJSON(t, s.APIURL+"/v1/usage?from=yesterday", http.StatusUnprocessableEntity, nil)
	resp, err := http.Get(s.APIURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`fnchain_activity_duration_seconds_bucket{function="http.request"`, `fnchain_runs_finished_total{status="completed",workflow="metered-mix"}`, `fnchain_pool_size{queue="fnchain"}`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// checkLedger compares a run's ledger with what its history holds: every
// attempt 1..n of each activity once, the final attempt's outcome and
// payload sizes as the history has them.
func checkLedger(t *testing.T, run string, got, history []metering.Reading, attempts int) {
	t.Helper()
	if len(got) != attempts || len(history) != attempts {
		t.Fatalf("%s: %d readings in the ledger, %d in the history, want %d:\nledger  %+v\nhistory %+v", run, len(got), len(history), attempts, got, history)
	}
	byKey := map[string]metering.Reading{}
	for _, r := range got {
		byKey[fmt.Sprintf("%s#%d", r.ActivityID, r.Attempt)] = r
	}
	for _, h := range history {
		r, ok := byKey[fmt.Sprintf("%s#%d", h.ActivityID, h.Attempt)]
		switch {
		case !ok:
			t.Errorf("%s: attempt %d of %s is in the history, not in the ledger", run, h.Attempt, h.ActivityID)
		case r.Function != h.Function || r.TaskQueue != h.TaskQueue || r.BytesIn != h.BytesIn:
			t.Errorf("%s %s#%d: ledger %+v, history %+v", run, h.ActivityID, h.Attempt, r, h)
		case h.Source == metering.SourceHistory && (r.Outcome != h.Outcome || r.BytesOut != h.BytesOut):
			t.Errorf("%s %s#%d final attempt: ledger %+v, history %+v", run, h.ActivityID, h.Attempt, r, h)
		case h.Source == metering.SourceHistory && r.Source == metering.SourceWorker && r.DurationUs > h.DurationUs:
			t.Errorf("%s %s#%d: the worker timed %d µs, more than the server's %d µs", run, h.ActivityID, h.Attempt, r.DurationUs, h.DurationUs)
		}
	}
}

func historyEvents(t *testing.T, c client.Client, id, runID string) []*historypb.HistoryEvent {
	t.Helper()
	var events []*historypb.HistoryEvent
	it := c.GetWorkflowHistory(context.Background(), id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	return events
}

func fetchJSON(t *testing.T, url string, status int, out any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("GET %s: %s, want %d: %s", url, resp.Status, status, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("GET %s: %v: %s", url, err, body)
		}
	}
}
