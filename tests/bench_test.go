package tests

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/fnchain/orchestrator/internal/connect"
	"github.com/fnchain/orchestrator/tests/harness"
)

// The server benchmark runs one workload, a workflow calling one activity,
// against the embedded server of `orchestrator dev` (on its SQLite file, and
// with --memory) and against `temporal server start-dev` (in memory, its
// default, and on a file), in the same process and the same run, and
// prints a table with the ratio. Both servers get the same worker, client and
// options; only the server differs.
//
//	go install github.com/temporalio/cli/cmd/temporal@v1.5.1   # once; optional
//	go test ./tests -run '^$' -bench Server -benchtime 1x
func BenchmarkServer(b *testing.B) {
	targets := []struct {
		name  string
		start func(b *testing.B) string
	}{
		{"embedded", startEmbedded(false)},
		{"embedded-memory", startEmbedded(true)},
		{"start-dev", startTemporalCLI(nil)},
		{"start-dev-file", startTemporalCLI(func(dir string) []string {
			return []string{"--db-filename", filepath.Join(dir, "temporal.db")}
		})},
	}
	var results []benchResult
	for _, target := range targets {
		b.Run(target.name, func(b *testing.B) {
			addr := target.start(b)
			for b.Loop() {
				r := measureServer(b, addr)
				r.name = target.name
				b.ReportMetric(r.runsPerSec, "runs/s")
				b.ReportMetric(ms(r.seqP50), "p50-ms")
				b.ReportMetric(ms(r.seqP99), "p99-ms")
				results = append(results, r)
			}
		})
	}
	printTable(b, results)
}

type benchResult struct {
	name                   string
	seqP50, seqP99         time.Duration
	loadP50, loadP99       time.Duration
	runsPerSec             float64
	sequential, concurrent int
}

const (
	benchQueue     = "bench"
	benchInFlight  = 50
	benchSeqRuns   = 200
	benchLoadRuns  = 1500
	benchActivity  = "bench.echo"
	benchWorkflow  = "bench.one-activity"
	benchStartWait = 2 * time.Minute
)

// benchClient dials addr with the SDK's logging at warn: its per-activity
// debug lines would cost more than what is measured.
func benchClient(b *testing.B, addr string) client.Client {
	c, err := client.Dial(client.Options{
		HostPort: addr, Namespace: "default",
		Logger:        sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))),
		PayloadLimits: client.PayloadLimitOptions{MemoSizeWarning: connect.MemoSizeWarning},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	return c
}

func oneActivity(ctx workflow.Context, in string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var out string
	err := workflow.ExecuteActivity(ctx, benchActivity, in).Get(ctx, &out)
	return out, err
}

func echo(_ context.Context, in string) (string, error) { return in, nil }

func measureServer(b *testing.B, addr string) benchResult {
	c := benchClient(b, addr)
	w := worker.New(c, benchQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(oneActivity, workflow.RegisterOptions{Name: benchWorkflow})
	w.RegisterActivityWithOptions(echo, activityName(benchActivity))
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	defer w.Stop()

	run := func(id string) time.Duration {
		start := time.Now()
		r, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
			ID: id, TaskQueue: benchQueue, EnableEagerStart: true,
		}, benchWorkflow, id)
		if err == nil {
			err = r.Get(context.Background(), nil)
		}
		if err != nil {
			b.Fatalf("run %s: %v", id, err)
		}
		return time.Since(start)
	}
	prefix := strconv.FormatInt(time.Now().UnixNano(), 36)
	for i := range 20 { // warm caches, connections and the task queue
		run(fmt.Sprintf("%s-warm-%d", prefix, i))
	}
	seq := make([]time.Duration, benchSeqRuns)
	for i := range seq {
		seq[i] = run(fmt.Sprintf("%s-seq-%d", prefix, i))
	}

	load := make([]time.Duration, benchLoadRuns)
	var wg sync.WaitGroup
	next := make(chan int)
	start := time.Now()
	for range benchInFlight {
		wg.Go(func() {
			for i := range next {
				load[i] = run(fmt.Sprintf("%s-load-%d", prefix, i))
			}
		})
	}
	for i := range load {
		next <- i
	}
	close(next)
	wg.Wait()
	elapsed := time.Since(start)

	r := benchResult{sequential: benchSeqRuns, concurrent: benchLoadRuns, runsPerSec: float64(benchLoadRuns) / elapsed.Seconds()}
	r.seqP50, r.seqP99 = percentiles(seq)
	r.loadP50, r.loadP99 = percentiles(load)
	return r
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2], s[(len(s)*99)/100]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func printTable(b *testing.B, rs []benchResult) {
	if len(rs) == 0 {
		return
	}
	base := rs[0]
	out := fmt.Sprintf("\none-activity workflow: %d sequential runs, then %d runs with %d in flight\n", base.sequential, base.concurrent, benchInFlight)
	out += fmt.Sprintf("%-16s %10s %10s %10s %12s %12s %14s\n", "server", "runs/s", "p50 ms", "p99 ms", "p50@50 ms", "p99@50 ms", "embedded is")
	for _, r := range rs {
		out += fmt.Sprintf("%-16s %10.1f %10.1f %10.1f %12.1f %12.1f %13.2fx\n", r.name, r.runsPerSec, ms(r.seqP50), ms(r.seqP99), ms(r.loadP50), ms(r.loadP99), base.runsPerSec/r.runsPerSec)
	}
	fmt.Fprint(os.Stderr, out)
}

func startEmbedded(memory bool) func(b *testing.B) string {
	return func(b *testing.B) string {
		s, err := harness.StartE(harness.Options{Memory: memory, Args: []string{"--headless"}})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(s.Kill)
		return s.TemporalAddress
	}
}

// startTemporalCLI runs `temporal server start-dev` from PATH or GOBIN; the
// sub-benchmark is skipped when the CLI is not installed.
func startTemporalCLI(extra func(dir string) []string) func(b *testing.B) string {
	return func(b *testing.B) string {
		bin, err := exec.LookPath("temporal")
		if err != nil {
			gobin := filepath.Join(os.Getenv("HOME"), "go", "bin", "temporal")
			if _, statErr := os.Stat(gobin); statErr != nil {
				b.Skip("temporal CLI not found: go install github.com/temporalio/cli/cmd/temporal@v1.5.1")
			}
			bin = gobin
		}
		port, err := harness.FreePort()
		if err != nil {
			b.Fatal(err)
		}
		args := []string{"server", "start-dev", "--headless", "--port", strconv.Itoa(port), "--log-level", "error"}
		if extra != nil {
			args = append(args, extra(b.TempDir())...)
		}
		cmd := exec.Command(bin, args...)
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		addr := "127.0.0.1:" + strconv.Itoa(port)
		deadline := time.Now().Add(benchStartWait)
		for time.Now().Before(deadline) {
			c, err := client.Dial(client.Options{HostPort: addr})
			if err == nil {
				c.Close()
				return addr
			}
			time.Sleep(200 * time.Millisecond)
		}
		b.Fatalf("temporal server start-dev did not answer on %s", addr)
		return ""
	}
}

func activityName(name string) activity.RegisterOptions { return activity.RegisterOptions{Name: name} }
