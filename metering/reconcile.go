package metering

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// Reconciler adds to the ledger the readings that closed runs' histories
// hold and no worker reported: attempts whose worker died, or whose write
// never committed. Passes are idempotent, so several processes may run one.
type Reconciler struct {
	client    client.Client
	namespace string
	ledger    *Ledger
	cfg       Config
	logger    *slog.Logger
	// done is the upper close-time bound of the last complete pass.
	done time.Time
}

// overlap re-reads recently closed runs each pass: visibility records
// appear a little after runs close.
const overlap = 5 * time.Minute

// NewReconciler reconciles the runs of namespace into l.
func NewReconciler(c client.Client, namespace string, l *Ledger, cfg Config, logger *slog.Logger) *Reconciler {
	return &Reconciler{client: c, namespace: namespace, ledger: l, cfg: cfg, logger: logger}
}

// Run makes a pass every cfg.Reconcile.Every until ctx ends. A failed pass
// is logged and tried again at the next tick.
func (r *Reconciler) Run(ctx context.Context) error {
	t := time.NewTicker(r.cfg.Reconcile.Every)
	defer t.Stop()
	for {
		if runs, added, err := r.Pass(ctx, time.Now()); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.logger.Warn("reconciling meter readings", "error", err)
		} else if added > 0 {
			r.logger.Info("reconciled meter readings from history", "runs", runs, "readings", added)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Pass reconciles the runs that closed between the last pass and
// now - grace, returning how many runs it read and readings it added.
func (r *Reconciler) Pass(ctx context.Context, now time.Time) (runs, added int, err error) {
	upper := now.Add(-r.cfg.Reconcile.Grace)
	lower := now.Add(-r.cfg.Reconcile.Lookback)
	if !r.done.IsZero() {
		lower = r.done.Add(-overlap)
	}
	query := fmt.Sprintf(`ExecutionStatus != "Running" AND CloseTime >= %q AND CloseTime < %q`,
		lower.UTC().Format(time.RFC3339Nano), upper.UTC().Format(time.RFC3339Nano))
	var token []byte
	for {
		resp, err := r.client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: r.namespace, Query: query, NextPageToken: token})
		if err != nil {
			return runs, added, fmt.Errorf("listing closed runs: %w", err)
		}
		for _, e := range resp.GetExecutions() {
			n, read, err := r.reconcile(ctx, e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId(), e.GetType().GetName(), e.GetCloseTime().AsTime())
			if err != nil {
				return runs, added, err
			}
			if read {
				runs++
			}
			added += n
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	r.done = upper
	return runs, added, nil
}

// reconcile writes the readings of one closed run unless a pass already did.
func (r *Reconciler) reconcile(ctx context.Context, workflowID, runID, workflowType string, closed time.Time) (added int, read bool, err error) {
	var seen int
	if err := r.ledger.db.QueryRow(ctx, `SELECT COUNT(*) FROM metering_reconciled WHERE workflow_id = ? AND run_id = ?`, workflowID, runID).Scan(&seen); err != nil {
		return 0, false, fmt.Errorf("reading reconciled runs: %w", err)
	}
	if seen > 0 {
		return 0, false, nil
	}
	n, err := r.ReconcileRun(ctx, workflowID, runID, workflowType)
	if err != nil {
		return 0, true, err
	}
	if _, err := r.ledger.db.Exec(ctx, `INSERT INTO metering_reconciled (workflow_id, run_id, closed_us) VALUES (?, ?, ?)
		ON CONFLICT (workflow_id, run_id) DO NOTHING`, workflowID, runID, closed.UnixMicro()); err != nil {
		return 0, true, fmt.Errorf("marking run %s/%s reconciled: %w", workflowID, runID, err)
	}
	return n, true, nil
}

// ReconcileRun writes the readings the history of a run holds that the
// ledger lacks, and returns how many it added.
func (r *Reconciler) ReconcileRun(ctx context.Context, workflowID, runID, workflowType string) (int, error) {
	var events []*historypb.HistoryEvent
	it := r.client.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return 0, fmt.Errorf("reading the history of %s/%s: %w", workflowID, runID, err)
		}
		events = append(events, e)
	}
	readings := ReadingsFromHistory(workflowID, runID, workflowType, events)
	kept := readings[:0]
	for _, rd := range readings {
		if !r.cfg.excluded(rd.Function) {
			kept = append(kept, rd)
		}
	}
	if len(kept) == 0 {
		return 0, nil
	}
	before, err := r.count(ctx, workflowID, runID)
	if err != nil {
		return 0, err
	}
	if err := r.ledger.Write(ctx, kept...); err != nil {
		return 0, err
	}
	after, err := r.count(ctx, workflowID, runID)
	return after - before, err
}

func (r *Reconciler) count(ctx context.Context, workflowID, runID string) (int, error) {
	var n int
	err := r.ledger.db.QueryRow(ctx, `SELECT COUNT(*) FROM metering_ledger WHERE workflow_id = ? AND run_id = ?`, workflowID, runID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("counting readings: %w", err)
	}
	return n, nil
}

// ReadingsFromHistory derives the readings a run's history holds. Temporal
// records only the final attempt of an activity (its started event carries
// the attempt number and the previous attempt's failure), so an activity
// that ended after n attempts gives one timed reading (SourceHistory) and
// n-1 untimed ones (SourceInferred). Activities that never started, and
// attempts still running when the run closed, leave no trace here.
func ReadingsFromHistory(workflowID, runID, workflowType string, events []*historypb.HistoryEvent) []Reading {
	type scheduled struct {
		id, function, queue string
		bytesIn             int64
		at                  time.Time
	}
	sched := map[int64]scheduled{}
	started := map[int64]*historypb.HistoryEvent{}
	var out []Reading
	closeAttempt := func(scheduledID, startedID int64, closed *historypb.HistoryEvent, outcome Outcome, result *commonpb.Payloads) {
		s, ok := sched[scheduledID]
		st := started[startedID]
		if !ok || st == nil {
			return
		}
		attrs := st.GetActivityTaskStartedEventAttributes()
		base := Reading{WorkflowID: workflowID, RunID: runID, ActivityID: s.id, Function: s.function, Workflow: workflowType, TaskQueue: s.queue, BytesIn: s.bytesIn}
		for a := int32(1); a < attrs.GetAttempt(); a++ {
			rd := base
			rd.Attempt, rd.Start, rd.Source, rd.Outcome = a, s.at, SourceInferred, OutcomeUnknown
			if a == attrs.GetAttempt()-1 {
				rd.Outcome = failureOutcome(attrs.GetLastFailure())
			}
			out = append(out, rd)
		}
		rd := base
		rd.Attempt, rd.Start, rd.Source, rd.Outcome = max(attrs.GetAttempt(), 1), st.GetEventTime().AsTime(), SourceHistory, outcome
		rd.DurationUs = Microseconds(closed.GetEventTime().AsTime().Sub(rd.Start))
		rd.BilledMs = BilledMs(rd.DurationUs)
		rd.BytesOut = payloadsBytes(result)
		out = append(out, rd)
	}
	for _, e := range events {
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			a := e.GetActivityTaskScheduledEventAttributes()
			sched[e.GetEventId()] = scheduled{a.GetActivityId(), a.GetActivityType().GetName(), a.GetTaskQueue().GetName(), payloadsBytes(a.GetInput()), e.GetEventTime().AsTime()}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			started[e.GetEventId()] = e
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			a := e.GetActivityTaskCompletedEventAttributes()
			closeAttempt(a.GetScheduledEventId(), a.GetStartedEventId(), e, OutcomeCompleted, a.GetResult())
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
			a := e.GetActivityTaskFailedEventAttributes()
			closeAttempt(a.GetScheduledEventId(), a.GetStartedEventId(), e, OutcomeFailed, nil)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
			a := e.GetActivityTaskTimedOutEventAttributes()
			closeAttempt(a.GetScheduledEventId(), a.GetStartedEventId(), e, OutcomeTimedOut, nil)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
			a := e.GetActivityTaskCanceledEventAttributes()
			closeAttempt(a.GetScheduledEventId(), a.GetStartedEventId(), e, OutcomeCancelled, nil)
		}
	}
	return out
}

func failureOutcome(f *failurepb.Failure) Outcome {
	switch {
	case f == nil:
		return OutcomeUnknown
	case f.GetTimeoutFailureInfo() != nil:
		return OutcomeTimedOut
	case f.GetCanceledFailureInfo() != nil:
		return OutcomeCancelled
	}
	return OutcomeFailed
}

func payloadsBytes(p *commonpb.Payloads) int64 {
	var n int64
	for _, pl := range p.GetPayloads() {
		n += int64(len(pl.GetData()))
	}
	return n
}
