package tests

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/fnchain/orchestrator/internal/pools"
	"github.com/fnchain/orchestrator/tests/harness"
	"github.com/fnchain/orchestrator/workflows"
)

// Flooding a queue with slow activities grows its pool to the maximum,
// the backlog drains, and the pool shrinks back after the cooldown.
func TestPoolGrowsDrainsAndShrinks(t *testing.T) {
	s := harness.Start(t, harness.Options{Memory: true, Env: []string{
		"FNCHAIN_POOLS=queues: {fnchain: {min: 1, max: 8, interval: 300ms, cooldown: 3s}}",
	}})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	defer slow.Close()
	plan := loadPlan(t, `
name: flood
steps:
  - id: all
    foreach: "${{ input.items }}"
    concurrency: 200
    steps:
      - id: call
        call: http.request
        with: {url: "${{ input.url }}"}
`)
	items := make([]int, 120)
	run, err := workflows.Start(context.Background(), s.Client(t), plan, map[string]any{"items": items, "url": slow.URL},
		workflows.StartOptions{ID: "flood", TaskQueue: "fnchain"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- run.Get(context.Background(), nil) }()
	var status pools.StatusOutput
	peak, sawBacklog, finished := 0, false, false
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		fetchJSON(t, s.APIURL+"/v1/pools/fnchain", http.StatusOK, &status.Body)
		peak = max(peak, status.Body.Size)
		sawBacklog = sawBacklog || status.Body.Stats.Backlog > 0
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("the flood run: %v", err)
			}
			finished = true
		default:
		}
		if finished && status.Body.Size == 1 && status.Body.Stats.Backlog == 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !sawBacklog || peak != 8 || !finished || status.Body.Size != 1 {
		t.Fatalf("backlog seen %v, peak %d (want 8), finished %v, size now %d (want 1)\n%+v", sawBacklog, peak, finished, status.Body.Size, status.Body)
	}
	var grew, shrank bool
	for _, d := range status.Body.Decisions {
		grew = grew || (d.To > d.From && d.Backlog > 0)
		shrank = shrank || (d.To < d.From && d.Reason == "queue empty for the cooldown")
	}
	if !grew || !shrank {
		t.Fatalf("decisions do not show the growth and the shrink: %+v", status.Body.Decisions)
	}
	fetchJSON(t, s.APIURL+"/v1/pools/nope/desired", http.StatusNotFound, nil)
	var desired pools.DesiredOutput
	fetchJSON(t, s.APIURL+"/v1/pools/fnchain/desired", http.StatusOK, &desired.Body)
	if desired.Body.DesiredReplicas != 1 {
		t.Fatalf("desired after the drain: %+v", desired.Body)
	}
}

// BenchmarkDrainBurst times draining 2,000 activities of 50 ms each with a
// fixed pool of 1 slot, a fixed pool of 32 and an autoscaled pool of 1 to
// 32, on the shared embedded stack. With FNCHAIN_PLOT=file.png it draws
// each pool's size and backlog over time. Run it once: -benchtime=1x.
func BenchmarkDrainBurst(b *testing.B) {
	const burst = 2000
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	c, err := client.Dial(client.Options{HostPort: shared.TemporalAddress, Namespace: "default", Logger: log.NewStructuredLogger(quiet)})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	var series []plotSeries
	for _, mode := range []struct {
		name     string
		min, max int
	}{{"fixed-1", 1, 1}, {"fixed-32", 32, 32}, {"autoscale-1-32", 1, 32}} {
		b.Run(mode.name, func(b *testing.B) {
			for i := range b.N {
				queue := fmt.Sprintf("burst-%s-%d-%d", mode.name, i, time.Now().UnixNano())
				elapsed, samples := drain(b, c, quiet, queue, mode.min, mode.max, burst)
				b.ReportMetric(elapsed.Seconds(), "s-to-drain")
				series = append(series, plotSeries{name: mode.name, samples: samples})
			}
		})
	}
	if path := os.Getenv("FNCHAIN_PLOT"); path != "" {
		if err := writePlot(path, series); err != nil {
			b.Fatal(err)
		}
	}
}

func drain(b *testing.B, c client.Client, logger *slog.Logger, queue string, minSlots, maxSlots, burst int) (time.Duration, []plotSample) {
	m, err := pools.New(pools.Settings{Queues: map[string]pools.Config{queue: {Min: minSlots, Max: maxSlots, Interval: 250 * time.Millisecond, Cooldown: 2 * time.Second}}},
		queue, pools.Options{Client: c, Namespace: "default", Logger: logger, Local: true})
	if err != nil {
		b.Fatal(err)
	}
	opts, err := m.WorkerOptions(queue, worker.Options{})
	if err != nil {
		b.Fatal(err)
	}
	w := worker.New(c, queue, opts)
	w.RegisterActivityWithOptions(func(ctx context.Context) error {
		time.Sleep(50 * time.Millisecond)
		return nil
	}, activity.RegisterOptions{Name: "sleep50"})
	w.RegisterWorkflowWithOptions(func(ctx workflow.Context, n int) error {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Minute})
		futures := make([]workflow.Future, n)
		for i := range futures {
			futures[i] = workflow.ExecuteActivity(ctx, "sleep50")
		}
		for _, f := range futures {
			if err := f.Get(ctx, nil); err != nil {
				return err
			}
		}
		return nil
	}, workflow.RegisterOptions{Name: "burst"})
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	defer w.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.Run(ctx)
	start := time.Now()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: queue, WorkflowExecutionTimeout: 30 * time.Minute}, "burst", burst)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- run.Get(ctx, nil) }()
	var samples []plotSample
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				b.Fatal(err)
			}
			return time.Since(start), samples
		case <-tick.C:
			st := m.Status()[0]
			samples = append(samples, plotSample{at: time.Since(start), size: st.Size, backlog: st.Stats.Backlog})
		}
	}
}

// `orchestrator pools` prints the pools of a running orchestrator and says
// what to do when none answers.
func TestPoolsCommand(t *testing.T) {
	bin, err := harness.Binary()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "pools", "--api", shared.APIURL).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "QUEUE") || !strings.Contains(string(out), "fnchain") {
		t.Fatalf("pools: %v\n%s", err, out)
	}
	out, err = exec.Command(bin, "pools", "--api", "http://127.0.0.1:1").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "is the orchestrator running? give --api") {
		t.Fatalf("pools against nothing: %v\n%s", err, out)
	}
}
