package metering

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
)

// BenchmarkMeteringOverhead measures the worker CPU metering adds to one
// activity attempt: the same activity run through the SDK's activity
// environment with and without the interceptor, writing to a real ledger.
// The difference of the cpu-µs/op metrics is the overhead (goal < 50 µs).
// Activities run 16 per core at once, as in a busy pool.
func BenchmarkMeteringOverhead(b *testing.B) {
	for name, db := range databases(b) {
		l, err := NewLedger(context.Background(), db, DefaultPrices())
		if err != nil {
			b.Fatal(err)
		}
		w := NewWriter(l, quiet)
		for _, metered := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/metered=%v", name, metered), func(b *testing.B) {
				// The test environment gives every attempt the same ids; the
				// benchmark needs distinct ones, as in real runs.
				rec := &distinctIDs{next: w, run: fmt.Sprintf("%s-%v-%d", name, metered, b.N)}
				newEnv := func() *testsuite.TestActivityEnvironment {
					var s testsuite.WorkflowTestSuite
					s.SetLogger(discardLogger{})
					env := s.NewTestActivityEnvironment()
					if metered {
						env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{NewInterceptor(DefaultConfig(), rec, nil, quiet)}})
					}
					env.RegisterActivityWithOptions(fakeFunction, activity.RegisterOptions{Name: "fake.fn"})
					return env
				}
				in := json.RawMessage(`{"url":"https://example.com/orders/42","method":"POST"}`)
				before := cpu()
				b.ResetTimer()
				// 16 activities at once per core, as in a busy pool: their
				// readings share commits.
				b.SetParallelism(16)
				b.RunParallel(func(pb *testing.PB) {
					env := newEnv()
					for pb.Next() {
						if _, err := env.ExecuteActivity("fake.fn", in); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.StopTimer()
				b.ReportMetric(float64(cpu()-before)/float64(b.N), "cpu-µs/op")
			})
		}
		w.Close()
		l.Close()
	}
}

// cpu is the process's user+system CPU time in microseconds; it includes
// the writer goroutine and the database driver, which wall time per op
// would hide.
func cpu() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano()/1000 + ru.Stime.Nano()/1000
}

type distinctIDs struct {
	next Recorder
	run  string
	n    atomic.Int64
}

func (d *distinctIDs) Record(ctx context.Context, r Reading) error {
	r.RunID, r.ActivityID = d.run, strconv.FormatInt(d.n.Add(1), 10)
	return d.next.Record(ctx, r)
}

type discardLogger struct{}

func (discardLogger) Debug(string, ...any) {}
func (discardLogger) Info(string, ...any)  {}
func (discardLogger) Warn(string, ...any)  {}
func (discardLogger) Error(string, ...any) {}
