package tests

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/fnchain/orchestrator/api"
	"github.com/fnchain/orchestrator/internal/sqldb/sqldbtest"
	"github.com/fnchain/orchestrator/tests/harness"
	"github.com/fnchain/orchestrator/triggers"
	"github.com/fnchain/orchestrator/workflows"
)

// The call steps have a short timeout so that an activity lost with the
// killed worker is retried on the other one within seconds.
const clusterStepsYAML = `name: cluster-steps
input: {type: object, required: [n], properties: {n: {type: integer}}}
steps:
  - id: first
    call: noop
    timeout: 5s
    with: {n: "${{ input.n }}"}
  - id: nap
    sleep: 1s
  - id: approve
    wait: {signal: approve, timeout: 5m}
  - id: last
    call: noop
    timeout: 5s
    with: {by: "${{ steps.approve.output }}"}
`

const clusterTickYAML = `name: cluster-tick
triggers:
  - schedule: {cron: "@every 2s", overlap: allowAll}
steps:
  - return: tick
`

// clusterRuns is the size the cluster layout is proved at.
const clusterRuns = 500

// pgDatabases gives the embedded server fresh databases named for this run
// and drops them, with the visibility one, when the test ends.
func pgDatabases(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("fnchain_cluster_%d", time.Now().UnixNano())
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, sqldbtest.PostgresURL)
		if err != nil {
			t.Errorf("dropping %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		for _, db := range []string{name, name + "_visibility"} {
			if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)"); err != nil {
				t.Errorf("dropping %s: %v", db, err)
			}
		}
	})
	return "postgres://postgres@127.0.0.1:5432/" + name + "?sslmode=disable"
}

// pgStore gives the orchestrator's own store a fresh Postgres schema.
func pgStore(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	schema := fmt.Sprintf("cluster_%d", time.Now().UnixNano())
	conn, err := pgx.Connect(ctx, sqldbtest.PostgresURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if conn, err := pgx.Connect(ctx, sqldbtest.PostgresURL); err == nil {
			_, _ = conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			conn.Close(ctx)
		}
	})
	return sqldbtest.PostgresURL + "&search_path=" + schema
}

func mustPort(t *testing.T) string {
	t.Helper()
	p, err := harness.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(p)
}

func startClusterServe(t *testing.T, temporal, database, port string) *harness.Process {
	t.Helper()
	p := harness.Run(t, "serve", "--insecure", "--listen", "127.0.0.1:"+port,
		"--temporal-address", temporal, "--database", database)
	if err := p.WaitReady("http://127.0.0.1:"+port+"/readyz", time.Minute); err != nil {
		t.Fatalf("%v\n%s", err, p.Output())
	}
	return p
}

func startClusterWorker(t *testing.T, temporal, database string) *harness.Process {
	t.Helper()
	p := harness.Run(t, "worker", "--temporal-address", temporal, "--database", database)
	if err := p.WaitOutput("worker started", time.Minute); err != nil {
		t.Fatalf("%v\n%s", err, p.Output())
	}
	return p
}

// forEach runs fn for 0..n-1 on a few goroutines.
func forEach(n, parallel int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range parallel {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// The cluster layout on this machine: Temporal on Postgres in one process,
// serve, and two workers. A worker is killed and serve restarted while 500
// runs are in flight; every run still completes exactly once and the
// schedule fires once per action.
func TestClusterSurvivesWorkerCrashAndServeRestart(t *testing.T) {
	began := time.Now()
	temporalPort := mustPort(t)
	temporal := "127.0.0.1:" + temporalPort
	server := harness.Run(t, "dev", "--temporal-only", "--headless", "--temporal-db", pgDatabases(t),
		"--data-dir", t.TempDir(), "--temporal-port", temporalPort)
	if err := server.WaitOutput("Temporal  ", 2*time.Minute); err != nil {
		t.Fatalf("%v\n%s", err, server.Output())
	}
	database := pgStore(t)
	apiPort := mustPort(t)
	base := "http://127.0.0.1:" + apiPort
	serve := startClusterServe(t, temporal, database, apiPort)
	workers := []*harness.Process{startClusterWorker(t, temporal, database), startClusterWorker(t, temporal, database)}
	t.Logf("cluster up in %s", time.Since(began).Round(time.Millisecond))

	deployOver(t, base, "cluster-steps", clusterStepsYAML)
	deployOver(t, base, "cluster-tick", clusterTickYAML)

	started := time.Now()
	ids := make([]string, clusterRuns)
	forEach(clusterRuns, 16, func(i int) {
		var run api.Run
		mustCall(t, http.StatusAccepted, &run, http.MethodPost, base+"/v1/workflows/cluster-steps/runs", "application/json", fmt.Sprintf(`{"n": %d}`, i))
		ids[i] = run.ID
	})
	t.Logf("%d runs started over the API in %s", clusterRuns, time.Since(started).Round(time.Millisecond))

	signal := func(from, to int) {
		forEach(to-from, 16, func(i int) {
			mustCall(t, http.StatusAccepted, nil, http.MethodPost, base+"/v1/runs/"+ids[from+i]+"/signals/approve", "application/json", `"ok"`)
		})
	}
	signal(0, clusterRuns/2)
	workers[0].Kill()
	t.Logf("worker killed at %s", time.Since(began).Round(time.Millisecond))
	if err := serve.Stop(harness.StopTimeout); err != nil {
		t.Fatal(err)
	}
	startClusterServe(t, temporal, database, apiPort)
	t.Logf("serve restarted at %s", time.Since(began).Round(time.Millisecond))
	signal(clusterRuns/2, clusterRuns)

	c, err := client.Dial(client.Options{HostPort: temporal, Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	completed := fmt.Sprintf("%s = 'cluster-steps' AND ExecutionStatus = 'Completed'", workflows.SearchWorkflow)
	lastLog := time.Now()
	waitFor(t, "every run completed", 2*time.Minute, func() bool {
		// A busy server may time a count out; the next poll asks again.
		resp, err := c.CountWorkflow(context.Background(), &workflowservice.CountWorkflowExecutionsRequest{Query: completed})
		if err != nil {
			t.Logf("counting completed runs: %v", err)
			return false
		}
		n := resp.GetCount()
		// The pace shows where a slow run of this test spent its time.
		if time.Since(lastLog) > 10*time.Second {
			t.Logf("%d runs completed at %s", n, time.Since(began).Round(time.Millisecond))
			lastLog = time.Now()
		}
		return n >= clusterRuns
	})
	t.Logf("%d runs completed at %s", clusterRuns, time.Since(began).Round(time.Millisecond))
	if n := count(t, c, fmt.Sprintf("%s = 'cluster-steps'", workflows.SearchWorkflow)); n != clusterRuns {
		t.Fatalf("%d runs of cluster-steps, want %d", n, clusterRuns)
	}
	forEach(clusterRuns, 8, func(i int) { checkOnce(t, c, ids[i]) })

	sched := c.ScheduleClient().GetHandle(context.Background(), triggers.ScheduleID("cluster-tick", "schedule-1"))
	if err := sched.Pause(context.Background(), client.SchedulePauseOptions{Note: "cluster test"}); err != nil {
		t.Fatal(err)
	}
	desc, err := sched.Describe(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ticks := fmt.Sprintf("%s = 'cluster-tick'", workflows.SearchWorkflow)
	waitFor(t, "every scheduled run visible", 30*time.Second, func() bool { return count(t, c, ticks) >= int64(desc.Info.NumActions) })
	if n := count(t, c, ticks); desc.Info.NumActions < 2 || n != int64(desc.Info.NumActions) {
		t.Fatalf("schedule took %d actions and %d runs exist", desc.Info.NumActions, n)
	}
	t.Logf("cluster test took %s (%d scheduled runs)", time.Since(began).Round(time.Millisecond), desc.Info.NumActions)
}

func count(t *testing.T, c client.Client, query string) int64 {
	t.Helper()
	resp, err := c.CountWorkflow(context.Background(), &workflowservice.CountWorkflowExecutionsRequest{Query: query})
	if err != nil {
		t.Fatalf("counting %s: %v", query, err)
	}
	return resp.GetCount()
}

// checkOnce reads a run's history: one completion, and each call step
// scheduled once (a retry after the crash is another attempt, not another
// activity).
func checkOnce(t *testing.T, c client.Client, id string) {
	events := map[enumspb.EventType]int{}
	it := c.GetWorkflowHistory(context.Background(), id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Errorf("history of %s: %v", id, err)
			return
		}
		events[e.GetEventType()]++
	}
	if events[enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED] != 1 ||
		events[enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED] != 2 ||
		events[enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED] != 2 ||
		events[enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED] != 1 {
		t.Errorf("run %s: events %v, want one completion, one signal and two activities", id, events)
	}
}

// Bad --temporal-db values stop dev at once with one line naming the flag.
func TestTemporalDBErrors(t *testing.T) {
	temporalPort, uiPort, apiPort := freePorts(t)
	common := []string{"--temporal-port", temporalPort, "--ui-port", uiPort, "--listen", "127.0.0.1:" + apiPort, "--data-dir", t.TempDir()}
	cases := []struct{ url, want string }{
		{"mysql://127.0.0.1/x", `--temporal-db "mysql://127.0.0.1/x" is not a postgres:// URL: use postgres://user:password@host:5432/temporal`},
		{"postgres://127.0.0.1:5432/", "names no database"},
		{"postgres://u:secret@127.0.0.1:1/fnchain_nowhere", "preparing temporal database fnchain_nowhere on 127.0.0.1:1 (--temporal-db): connecting:"},
	}
	for _, c := range cases {
		out := runDevFailing(t, append([]string{"--temporal-db", c.url}, common...)...)
		if !strings.Contains(out, c.want) || strings.Count(out, "\n") > 0 || strings.Contains(out, "secret") {
			t.Errorf("--temporal-db %s:\n%s\nwant one line with: %s", c.url, out, c.want)
		}
	}
	out := runDevFailing(t, append([]string{"--temporal-db", "postgres://127.0.0.1/x", "--memory"}, common...)...)
	if !strings.Contains(out, "--memory keeps nothing and --temporal-db keeps everything in Postgres") {
		t.Errorf("--memory with --temporal-db:\n%s", out)
	}
}

// A second start on the same Postgres databases finds the schema current
// and the namespace there, and keeps the runs of the first.
func TestTemporalDBKeepsRunsAcrossRestarts(t *testing.T) {
	db := pgDatabases(t)
	opts := harness.Options{Args: []string{"--headless", "--temporal-db", db}}
	first := harness.Start(t, opts)
	deployOver(t, first.APIURL, "api-quick", apiQuickYAML)
	var run api.Run
	mustCall(t, http.StatusOK, &run, http.MethodPost, first.APIURL+"/v1/workflows/api-quick/runs?wait=20s", "application/json", `{"n": 7}`)
	if err := first.Stop(harness.StopTimeout); err != nil {
		t.Fatal(err)
	}
	opts.DataDir = first.DataDir
	second := harness.Start(t, opts)
	var again api.Run
	mustCall(t, http.StatusOK, &again, http.MethodGet, second.APIURL+"/v1/runs/"+run.ID, "", "")
	if again.Status != "completed" || again.RunID != run.RunID {
		t.Fatalf("after restart: %+v, want the completed run %s", again, run.RunID)
	}
}

// serve without a reachable Temporal stops with one line, as worker does.
func TestServeRefusesUnreachableTemporal(t *testing.T) {
	_, errOut, code := orchestrator(t, t.TempDir(), "serve", "--insecure", "--listen", "127.0.0.1:0",
		"--temporal-address", "127.0.0.1:1", "--connect-timeout", "300ms", "--database", "sqlite::memory:")
	want := "orchestrator serve: cannot reach Temporal at 127.0.0.1:1 (namespace default) within 300ms"
	if code != 1 || !strings.Contains(errOut, want) {
		t.Fatalf("exit %d, stderr:\n%s\nwant: %s", code, errOut, want)
	}
}
