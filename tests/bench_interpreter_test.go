package tests

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/fnchain/orchestrator/activities"
	"github.com/fnchain/orchestrator/dsl"
	"github.com/fnchain/orchestrator/tests/harness"
	"github.com/fnchain/orchestrator/workflows"
)

// BenchmarkInterpreter runs a 10-step chain written in YAML (the
// interpreter) and the same chain written as a Go workflow, against one
// embedded server and one worker in this process, and prints throughput and
// the worker CPU each costs per step.
//
//	go test ./tests -run '^$' -bench Interpreter -benchtime 1x
func BenchmarkInterpreter(b *testing.B) {
	s, err := harness.StartE(harness.Options{Memory: true, Args: []string{"--headless"}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Kill()
	c := benchClient(b, s.TemporalAddress)

	const queue = "bench-chain"
	reg := activities.NewRegistry()
	activities.MustRegister(reg, "bench.step", "adds one", addOne)
	w := worker.New(c, queue, worker.Options{})
	workflows.New(workflows.Options{}).Register(w)
	reg.Register(w)
	w.RegisterWorkflowWithOptions(handWrittenChain, workflow.RegisterOptions{Name: "bench.hand-written"})
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	defer w.Stop()

	var yaml strings.Builder
	yaml.WriteString("name: bench-chain\nsteps:\n  - id: s0\n    call: bench.step\n    with: {v: \"${{ input.v }}\"}\n")
	for i := 1; i < chainSteps; i++ {
		fmt.Fprintf(&yaml, "  - id: s%d\n    call: bench.step\n    with: {v: \"${{ steps.s%d.output.v }}\"}\n", i, i-1)
	}
	plans, err := dsl.Load("bench.yaml", []byte(yaml.String()), reg)
	if err != nil {
		b.Fatal(err)
	}
	plan := plans[0]

	startInterp := func(id string) (client.WorkflowRun, error) {
		return workflows.Start(context.Background(), c, plan, map[string]any{"v": 0}, workflows.StartOptions{ID: id, TaskQueue: queue})
	}
	startHand := func(id string) (client.WorkflowRun, error) {
		return c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: id, TaskQueue: queue}, "bench.hand-written", stepValue{V: 0})
	}
	for b.Loop() {
		var rows []chainResult
		// Alternate, so neither side always runs on a warmer server.
		for round := range 2 {
			rows = append(rows, measureChain(b, "interpreter", round, startInterp), measureChain(b, "hand-written", round, startHand))
		}
		printChainTable(rows)
	}
}

const (
	chainSteps    = 10
	chainRuns     = 400
	chainInFlight = 50
)

type stepValue struct {
	V int `json:"v"`
}

func addOne(_ context.Context, in stepValue) (stepValue, error) { return stepValue{V: in.V + 1}, nil }

func handWrittenChain(ctx workflow.Context, in stepValue) (stepValue, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 5 * time.Minute})
	v := in
	for i := range chainSteps {
		ctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{ActivityID: "s" + strconv.Itoa(i), StartToCloseTimeout: 5 * time.Minute})
		if err := workflow.ExecuteActivity(ctx, "bench.step", v).Get(ctx, &v); err != nil {
			return v, err
		}
	}
	return v, nil
}

type chainResult struct {
	name          string
	runsPerSec    float64
	cpuPerStepUS  float64
	totalCPU      time.Duration
	elapsed       time.Duration
	completedRuns int
}

func measureChain(b *testing.B, name string, round int, start func(id string) (client.WorkflowRun, error)) chainResult {
	prefix := fmt.Sprintf("%s-%d-%d", name, round, time.Now().UnixNano())
	var wg sync.WaitGroup
	next := make(chan int)
	cpu0 := processCPU()
	t0 := time.Now()
	for range chainInFlight {
		wg.Go(func() {
			for i := range next {
				r, err := start(fmt.Sprintf("%s-%d", prefix, i))
				var out stepValue
				if err == nil {
					err = r.Get(context.Background(), &out)
				}
				if err != nil || out.V != chainSteps {
					b.Errorf("%s run %d: %v (v=%d)", name, i, err, out.V)
				}
			}
		})
	}
	for i := range chainRuns {
		next <- i
	}
	close(next)
	wg.Wait()
	elapsed, cpu := time.Since(t0), processCPU()-cpu0
	return chainResult{
		name: name, runsPerSec: chainRuns / elapsed.Seconds(), totalCPU: cpu, elapsed: elapsed, completedRuns: chainRuns,
		cpuPerStepUS: float64(cpu.Microseconds()) / float64(chainRuns*chainSteps),
	}
}

// processCPU is the user and system CPU this process has used: the worker,
// and the client starting and awaiting runs, which both sides share.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func printChainTable(rows []chainResult) {
	out := fmt.Sprintf("\n%d-step chain, %d runs with %d in flight, one embedded server, one worker\n", chainSteps, chainRuns, chainInFlight)
	out += fmt.Sprintf("%-14s %6s %10s %18s\n", "workflow", "round", "runs/s", "process CPU/step")
	var interp, hand chainResult
	for i, r := range rows {
		out += fmt.Sprintf("%-14s %6d %10.1f %15.0f µs\n", r.name, i/2+1, r.runsPerSec, r.cpuPerStepUS)
		if r.name == "interpreter" {
			interp.runsPerSec += r.runsPerSec / 2
			interp.cpuPerStepUS += r.cpuPerStepUS / 2
		} else {
			hand.runsPerSec += r.runsPerSec / 2
			hand.cpuPerStepUS += r.cpuPerStepUS / 2
		}
	}
	out += fmt.Sprintf("interpreter throughput: %.2fx the hand-written workflow; extra CPU per step: %.0f µs\n",
		interp.runsPerSec/hand.runsPerSec, interp.cpuPerStepUS-hand.cpuPerStepUS)
	fmt.Fprint(os.Stderr, out)
}
