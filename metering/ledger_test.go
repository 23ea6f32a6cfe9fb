package metering

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"
)

func TestBilledMsRoundsUpWithoutMinimum(t *testing.T) {
	for us, want := range map[int64]int64{-5: 0, 0: 0, 1: 1, 999: 1, 1000: 1, 1001: 2, 2500: 3, 60_000_000: 60_000} {
		if got := BilledMs(us); got != want {
			t.Errorf("BilledMs(%d) = %d, want %d", us, got, want)
		}
	}
	if got := Microseconds(1500*time.Nanosecond + 2*time.Millisecond); got != 2001 {
		t.Errorf("Microseconds truncates: got %d, want 2001", got)
	}
}

// Writing a reading twice counts it once; a worker reading replaces a
// reconciled one and is never replaced by one.
func TestLedgerWritesAreIdempotent(t *testing.T) {
	ctx := context.Background()
	for name, l := range ledgers(t, DefaultPrices()) {
		t.Run(name, func(t *testing.T) {
			inferred := reading("w1", "r1", "fetch", 1, "http.request", 0, OutcomeUnknown, SourceInferred)
			worker := reading("w1", "r1", "fetch", 1, "http.request", 1500, OutcomeFailed, SourceWorker)
			second := reading("w1", "r1", "fetch", 2, "http.request", 2001, OutcomeCompleted, SourceWorker)
			for _, batch := range [][]Reading{{inferred}, {worker, second}, {worker, second}, {inferred}} {
				if err := l.Write(ctx, batch...); err != nil {
					t.Fatal(err)
				}
			}
			got, err := l.Readings(ctx, "w1", "r1")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0] != worker || got[1] != second {
				t.Fatalf("readings:\n got %+v\nwant %+v", got, []Reading{worker, second})
			}
			u, err := l.RunUsage(ctx, "w1", "r1")
			if err != nil {
				t.Fatal(err)
			}
			if u.Attempts != 2 || u.Failed != 1 || u.BilledMs != 2+3 || u.DurationUs != 3501 || u.BytesIn != 20 || u.BytesOut != 40 {
				t.Fatalf("run usage: %+v", u)
			}
		})
	}
}

func TestLedgerRejectsReadingsWithoutIdentity(t *testing.T) {
	for name, l := range ledgers(t, DefaultPrices()) {
		r := reading("w1", "", "fetch", 1, "noop", 5, OutcomeCompleted, SourceWorker)
		if err := l.Write(context.Background(), r); err == nil || !strings.Contains(err.Error(), "no workflow id, run id or activity id") {
			t.Errorf("%s: missing run id: %v", name, err)
		}
		r = reading("w1", "r1", "fetch", 0, "noop", 5, OutcomeCompleted, SourceWorker)
		if err := l.Write(context.Background(), r); err == nil || !strings.Contains(err.Error(), "attempts start at 1") {
			t.Errorf("%s: attempt 0: %v", name, err)
		}
	}
}

func TestUsageGroupsAndPrices(t *testing.T) {
	ctx := context.Background()
	prices := DefaultPrices()
	prices.Default.PerMs = ptr(0.001)
	prices.Functions = map[string]Price{"http.request": {PerInvocation: ptr(1.0), MemoryMB: ptr(1024)}}
	for name, l := range ledgers(t, prices) {
		t.Run(name, func(t *testing.T) {
			a := reading("w1", "r1", "a", 1, "http.request", 1_000_000, OutcomeCompleted, SourceWorker)
			b := reading("w1", "r1", "b", 1, "noop", 500, OutcomeCompleted, SourceWorker)
			c := reading("w2", "r2", "a", 1, "http.request", 2_000_000, OutcomeTimedOut, SourceHistory)
			c.Workflow = "billing"
			c.Start = c.Start.Add(time.Hour)
			if err := l.Write(ctx, a, b, c); err != nil {
				t.Fatal(err)
			}
			groups, total, err := l.Usage(ctx, Query{GroupBy: ByFunction})
			if err != nil {
				t.Fatal(err)
			}
			if len(groups) != 2 || groups[0].Function != "http.request" || groups[1].Function != "noop" {
				t.Fatalf("groups by function: %+v", groups)
			}
			// http.request: 2 invocations at 1.0, 3000 ms at 0.001, 3 GB-s at 0.0000166667.
			wantHTTP := 2*1.0 + 3000*0.001 + 3*0.0000166667
			if g := groups[0]; g.Attempts != 2 || g.Failed != 1 || g.BilledMs != 3000 || math.Abs(g.Cost-wantHTTP) > 1e-12 || math.Abs(g.GBSeconds-3) > 1e-12 {
				t.Fatalf("http.request group: %+v (want cost %v)", g, wantHTTP)
			}
			wantNoop := 0.0000002 + 1*0.001 + 0.001*128.0/1024*0.0000166667
			if math.Abs(groups[1].Cost-wantNoop) > 1e-15 || math.Abs(total.Cost-wantHTTP-wantNoop) > 1e-12 || total.Attempts != 3 {
				t.Fatalf("noop %+v total %+v", groups[1], total)
			}
			runs, _, err := l.Usage(ctx, Query{GroupBy: ByRun, To: a.Start.Add(time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			if len(runs) != 1 || runs[0].WorkflowID != "w1" || runs[0].RunID != "r1" || runs[0].Workflow != "orders" || runs[0].Attempts != 2 {
				t.Fatalf("runs before the second run: %+v", runs)
			}
			wfs, _, err := l.Usage(ctx, Query{GroupBy: ByWorkflow, Function: "http.request", From: a.Start.Add(time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			if len(wfs) != 1 || wfs[0].Workflow != "billing" || wfs[0].BilledMs != 2000 {
				t.Fatalf("workflows after the first run: %+v", wfs)
			}
			if _, _, err := l.Usage(ctx, Query{GroupBy: "step"}); err == nil || !strings.Contains(err.Error(), "use function, workflow or run") {
				t.Fatalf("bad grouping: %v", err)
			}
		})
	}
}
