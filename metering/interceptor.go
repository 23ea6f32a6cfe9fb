package metering

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Recorder is where the interceptor sends readings; *Writer is one.
type Recorder interface {
	Record(ctx context.Context, r Reading) error
}

var _ Recorder = (*Writer)(nil)

// Interceptor meters the activity attempts of a worker and publishes each
// fnchain run's billed total as a search attribute.
type Interceptor struct {
	interceptor.WorkerInterceptorBase
	cfg      Config
	recorder Recorder
	metrics  *Metrics
	logger   *slog.Logger
	// recordTimeout bounds how long an attempt's completion waits for its
	// reading to commit.
	recordTimeout time.Duration
}

var _ interceptor.WorkerInterceptor = (*Interceptor)(nil)

// NewInterceptor meters into recorder; metrics may be nil.
func NewInterceptor(cfg Config, recorder Recorder, metrics *Metrics, logger *slog.Logger) *Interceptor {
	return &Interceptor{cfg: cfg, recorder: recorder, metrics: metrics, logger: logger, recordTimeout: 5 * time.Second}
}

// InterceptActivity meters every attempt of an activity that is not local
// and not excluded.
func (i *Interceptor) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &activityInbound{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, root: i}
}

type activityInbound struct {
	interceptor.ActivityInboundInterceptorBase
	root *Interceptor
}

func (a *activityInbound) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	info := activity.GetInfo(ctx)
	if info.IsLocalActivity || info.WorkflowExecution.ID == "" || a.root.cfg.excluded(info.ActivityType.Name) {
		return a.Next.ExecuteActivity(ctx, in)
	}
	start := time.Now()
	result, err := a.Next.ExecuteActivity(ctx, in)
	elapsed := time.Since(start)
	us := Microseconds(elapsed)
	r := Reading{
		WorkflowID: info.WorkflowExecution.ID,
		RunID:      info.WorkflowExecution.RunID,
		ActivityID: info.ActivityID,
		Attempt:    info.Attempt,
		Function:   info.ActivityType.Name,
		Workflow:   info.WorkflowType.Name,
		TaskQueue:  info.TaskQueue,
		Start:      start.UTC(),
		DurationUs: us,
		BilledMs:   BilledMs(us),
		Outcome:    outcomeOf(ctx, err),
		BytesIn:    payloadBytes(in.Args...),
		Source:     SourceWorker,
	}
	if err == nil {
		r.BytesOut = payloadBytes(result)
	}
	a.root.metrics.recordAttempt(&r)
	// The reading commits before the SDK reports the attempt, so a run
	// never closes ahead of its readings; a ledger that is down delays
	// completions by at most recordTimeout and never fails them.
	wctx, cancel := context.WithTimeout(context.Background(), a.root.recordTimeout)
	defer cancel()
	if werr := a.root.recorder.Record(wctx, r); werr != nil {
		a.root.logger.Warn("meter reading not committed yet; it stays queued", "workflowId", r.WorkflowID, "activityId", r.ActivityID, "attempt", r.Attempt, "error", werr)
	}
	return result, err
}

// outcomeOf classifies how an attempt ended from the worker's side.
func outcomeOf(ctx context.Context, err error) Outcome {
	switch {
	case err == nil:
		return OutcomeCompleted
	case temporal.IsTimeoutError(err), errors.Is(err, context.DeadlineExceeded):
		return OutcomeTimedOut
	case temporal.IsCanceledError(err), errors.Is(err, context.Canceled):
		return OutcomeCancelled
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return OutcomeTimedOut
	}
	return OutcomeFailed
}

// payloadBytes is the size of values as the data converter encodes them:
// the sum of the payloads' data lengths, the figure the history holds.
// Functions take their argument as raw JSON, which is its own encoding.
func payloadBytes(values ...any) int64 {
	var n int64
	for _, v := range values {
		switch v := v.(type) {
		case json.RawMessage:
			n += int64(len(v))
			continue
		case nil:
			continue
		}
		p, err := converter.GetDefaultDataConverter().ToPayload(v)
		if err == nil {
			n += int64(len(p.GetData()))
		}
	}
	return n
}

// InterceptWorkflow counts runs and, for fnchain runs, publishes their
// billed total when they end.
func (i *Interceptor) InterceptWorkflow(ctx workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &workflowInbound{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}, root: i}
}

type workflowInbound struct {
	interceptor.WorkflowInboundInterceptorBase
	root *Interceptor
}

func (w *workflowInbound) ExecuteWorkflow(ctx workflow.Context, in *interceptor.ExecuteWorkflowInput) (any, error) {
	name := workflow.GetInfo(ctx).WorkflowType.Name
	if !workflow.IsReplaying(ctx) {
		w.root.metrics.runStarted(name)
	}
	result, err := w.Next.ExecuteWorkflow(ctx, in)
	if _, isPlan := workflow.GetTypedSearchAttributes(ctx).GetKeyword(keyPlanWorkflow); isPlan {
		publishBilled(ctx, w.root.logger)
	}
	if !workflow.IsReplaying(ctx) {
		w.root.metrics.runFinished(name, runStatus(err))
	}
	return result, err
}

func runStatus(err error) string {
	var can *workflow.ContinueAsNewError
	switch {
	case err == nil:
		return "completed"
	case errors.As(err, &can):
		return "continued_as_new"
	case temporal.IsCanceledError(err):
		return "canceled"
	case temporal.IsTimeoutError(err):
		return "timed_out"
	}
	return "failed"
}
