package metering

import (
	"context"
	"log/slog"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/fnchain/orchestrator/workflows"
)

// SearchBilledMs is the search attribute that holds a run's billed
// milliseconds (Int), set when the run ends.
const SearchBilledMs = "FnchainBilledMs"

// ActivityBilledMs is the local activity that sums a run's billed
// milliseconds in the ledger. Its name starts with "fnchain." so the
// default exclusion keeps it out of the ledger.
const ActivityBilledMs = "fnchain.metering.billedMs"

// versionBilled marks runs whose code publishes FnchainBilledMs; runs that
// started before it replay without it.
const versionBilled = "fnchain.metering.billed"

var (
	keyBilledMs     = temporal.NewSearchAttributeKeyInt64(SearchBilledMs)
	keyPlanWorkflow = temporal.NewSearchAttributeKeyKeyword(workflows.SearchWorkflow)
)

// SearchAttributes are the search attributes metering sets; the server must
// know them before runs end.
func SearchAttributes() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{SearchBilledMs: enumspb.INDEXED_VALUE_TYPE_INT}
}

// RegisterActivities registers the local activity behind FnchainBilledMs.
func RegisterActivities(r worker.ActivityRegistry, l *Ledger) {
	r.RegisterActivityWithOptions(func(ctx context.Context, workflowID, runID string) (int64, error) {
		u, err := l.RunUsage(ctx, workflowID, runID)
		return u.BilledMs, err
	}, activity.RegisterOptions{Name: ActivityBilledMs})
}

// publishBilled upserts the run's billed total. Every activity attempt of
// the run that reported committed its reading before the run saw it end,
// so the sum is complete but for attempts whose worker died (billed 0 ms
// by the reconciler anyway).
func publishBilled(ctx workflow.Context, logger *slog.Logger) {
	if workflow.GetVersion(ctx, versionBilled, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	// A cancelled run still gets its total.
	ctx, _ = workflow.NewDisconnectedContext(ctx)
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 5},
	})
	run := workflow.GetInfo(ctx).WorkflowExecution
	var billed int64
	if err := workflow.ExecuteLocalActivity(ctx, ActivityBilledMs, run.ID, run.RunID).Get(ctx, &billed); err != nil {
		if !workflow.IsReplaying(ctx) {
			logger.Warn("summing the run's billed time; FnchainBilledMs not set", "workflowId", run.ID, "runId", run.RunID, "error", err)
		}
		return
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, keyBilledMs.ValueSet(billed)); err != nil && !workflow.IsReplaying(ctx) {
		logger.Warn("setting FnchainBilledMs", "workflowId", run.ID, "runId", run.RunID, "error", err)
	}
}
