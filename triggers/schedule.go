package triggers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/fnchain/orchestrator/dsl"
	"github.com/fnchain/orchestrator/workflows"
)

// memoSchedule marks the schedules the reconciler owns; its value is
// "<workflow>/<key>".
const memoSchedule = "fnchain.trigger"

// ErrScheduleNotFound is returned for a schedule id that does not exist.
var ErrScheduleNotFound = errors.New("no such schedule")

// ScheduleID is the Temporal Schedule ID of a schedule trigger.
func ScheduleID(workflow, key string) string { return "fnchain-" + workflow + "-" + key }

var overlapPolicies = map[string]enumspb.ScheduleOverlapPolicy{
	"skip":           enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
	"bufferOne":      enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE,
	"bufferAll":      enumspb.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL,
	"cancelOther":    enumspb.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER,
	"terminateOther": enumspb.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER,
	"allowAll":       enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
}

// schedules reconciles schedule triggers with Temporal Schedules. Temporal
// is the source of truth: every pass lists what exists and converges, so
// several processes reconciling at once only repeat each other's work.
type schedules struct {
	client    client.Client
	taskQueue string
}

// reconcile creates, updates and deletes the Temporal Schedules so that
// exactly the schedule triggers of all exist, each matching its plan.
func (s *schedules) reconcile(ctx context.Context, all []declared) error {
	existing, err := s.owned(ctx)
	if err != nil {
		return err
	}
	var errs []error
	wanted := map[string]bool{}
	for _, d := range all {
		if d.trigger.Type != dsl.TriggerSchedule {
			continue
		}
		id := ScheduleID(d.plan.Name, d.key)
		wanted[id] = true
		if err := s.apply(ctx, id, d, existing[id]); err != nil {
			errs = append(errs, fmt.Errorf("schedule %s of workflow %s: %w", d.key, d.plan.Name, err))
		}
	}
	for id := range existing {
		if wanted[id] {
			continue
		}
		err := s.client.ScheduleClient().GetHandle(ctx, id).Delete(ctx)
		if err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("deleting schedule %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// owned lists the IDs of the schedules the reconciler created.
func (s *schedules) owned(ctx context.Context) (map[string]bool, error) {
	it, err := s.client.ScheduleClient().List(ctx, client.ScheduleListOptions{PageSize: 1000})
	if err != nil {
		return nil, fmt.Errorf("listing schedules: %w", err)
	}
	out := map[string]bool{}
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("listing schedules: %w", err)
		}
		if e.Memo.GetFields()[memoSchedule] != nil {
			out[e.ID] = true
		}
	}
	return out, nil
}

func (s *schedules) apply(ctx context.Context, id string, d declared, exists bool) error {
	want, err := s.schedule(d)
	if err != nil {
		return err
	}
	if !exists {
		_, err = s.client.ScheduleClient().Create(ctx, client.ScheduleOptions{
			ID:            id,
			Spec:          *want.Spec,
			Action:        want.Action,
			Overlap:       want.Policy.Overlap,
			CatchupWindow: want.Policy.CatchupWindow,
			Paused:        want.State.Paused,
			Memo:          map[string]any{memoSchedule: d.plan.Name + "/" + d.key},
		})
		if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
			return err
		}
		// Another process created it since the listing: update it instead.
	}
	return s.client.ScheduleClient().GetHandle(ctx, id).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			if current(in.Description.Schedule.Action, d.plan.Hash, want.Action.(*client.ScheduleWorkflowAction).TaskQueue) {
				// Skipping leaves the schedule, and a pause made through
				// the API, as it is.
				return nil, temporal.ErrSkipScheduleUpdate
			}
			return &client.ScheduleUpdate{Schedule: want}, nil
		},
	})
}

// current reports whether a schedule's action starts the given plan on the
// given task queue. The plan hash covers the trigger itself.
func current(action client.ScheduleAction, hash, taskQueue string) bool {
	a, ok := action.(*client.ScheduleWorkflowAction)
	if !ok || a.TaskQueue != taskQueue {
		return false
	}
	p, ok := a.Memo[workflows.MemoPlan].(*commonpb.Payload)
	if !ok {
		return false
	}
	var plan struct{ Hash string }
	return converter.GetDefaultDataConverter().FromPayload(p, &plan) == nil && plan.Hash == hash
}

// schedule is the Temporal Schedule a schedule trigger declares.
func (s *schedules) schedule(d declared) (*client.Schedule, error) {
	st := d.trigger.Schedule
	var input any
	if st.Input != nil {
		var err error
		if input, err = st.Input.Eval(dsl.Scope{}); err != nil {
			return nil, fmt.Errorf("evaluating input: %w", err)
		}
	}
	opts, err := workflows.WorkflowOptions(d.plan, input, workflows.StartOptions{TaskQueue: s.taskQueue})
	if err != nil {
		return nil, err
	}
	spec := client.ScheduleSpec{TimeZoneName: st.Timezone, Jitter: st.Jitter}
	if every, ok := strings.CutPrefix(st.Cron, "@every "); ok {
		d, err := dsl.ParseDuration(every)
		if err != nil {
			return nil, fmt.Errorf("cron %q: %w", st.Cron, err)
		}
		spec.Intervals = []client.ScheduleIntervalSpec{{Every: d}}
	} else {
		spec.CronExpressions = []string{st.Cron}
	}
	overlap, ok := overlapPolicies[st.Overlap]
	if !ok {
		return nil, fmt.Errorf("unknown overlap policy %q", st.Overlap)
	}
	return &client.Schedule{
		Spec: &spec,
		Action: &client.ScheduleWorkflowAction{
			ID:                       d.plan.Name + "-" + d.key,
			Workflow:                 d.plan.Name,
			Args:                     []any{input},
			TaskQueue:                opts.TaskQueue,
			WorkflowExecutionTimeout: opts.WorkflowExecutionTimeout,
			Memo:                     opts.Memo,
			TypedSearchAttributes:    opts.TypedSearchAttributes,
			StaticSummary:            opts.StaticSummary,
		},
		Policy: &client.SchedulePolicies{Overlap: overlap, CatchupWindow: st.CatchupWindow},
		State:  &client.ScheduleState{Paused: st.Paused},
	}, nil
}

// ScheduleInfo describes one schedule a trigger owns.
type ScheduleInfo struct {
	ID       string      `json:"id" doc:"Temporal Schedule ID"`
	Workflow string      `json:"workflow"`
	Key      string      `json:"key" doc:"Trigger key within the workflow"`
	Paused   bool        `json:"paused"`
	Note     string      `json:"note,omitempty"`
	Next     []time.Time `json:"next,omitempty" doc:"The next start times"`
	Recent   []Started   `json:"recent,omitempty" doc:"The latest starts"`
}

// Started is one run a schedule started.
type Started struct {
	ScheduledAt time.Time `json:"scheduledAt"`
	StartedAt   time.Time `json:"startedAt"`
	WorkflowID  string    `json:"workflowId"`
	RunID       string    `json:"runId"`
}

// ListSchedules lists the schedules that schedule triggers own.
func ListSchedules(ctx context.Context, c client.Client) ([]ScheduleInfo, error) {
	it, err := c.ScheduleClient().List(ctx, client.ScheduleListOptions{PageSize: 1000})
	if err != nil {
		return nil, fmt.Errorf("listing schedules: %w", err)
	}
	out := []ScheduleInfo{}
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("listing schedules: %w", err)
		}
		p := e.Memo.GetFields()[memoSchedule]
		if p == nil {
			continue
		}
		var owner string
		_ = converter.GetDefaultDataConverter().FromPayload(p, &owner)
		wf, key, _ := strings.Cut(owner, "/")
		info := ScheduleInfo{ID: e.ID, Workflow: wf, Key: key, Paused: e.Paused, Note: e.Note, Next: e.NextActionTimes}
		for _, a := range e.RecentActions {
			st := Started{ScheduledAt: a.ScheduleTime, StartedAt: a.ActualTime}
			if r := a.StartWorkflowResult; r != nil {
				st.WorkflowID, st.RunID = r.WorkflowID, r.FirstExecutionRunID
			}
			info.Recent = append(info.Recent, st)
		}
		out = append(out, info)
	}
	return out, nil
}

// PauseSchedule stops a schedule from starting runs until UnpauseSchedule.
// A redeploy that leaves the workflow unchanged keeps the pause.
func PauseSchedule(ctx context.Context, c client.Client, id, note string) error {
	return onSchedule(ctx, c, id, "pausing", func(h client.ScheduleHandle) error {
		return h.Pause(ctx, client.SchedulePauseOptions{Note: note})
	})
}

// UnpauseSchedule lets a paused schedule start runs again.
func UnpauseSchedule(ctx context.Context, c client.Client, id, note string) error {
	return onSchedule(ctx, c, id, "unpausing", func(h client.ScheduleHandle) error {
		return h.Unpause(ctx, client.ScheduleUnpauseOptions{Note: note})
	})
}

// TriggerSchedule starts a run now, whatever the spec says; the schedule's
// overlap policy applies.
func TriggerSchedule(ctx context.Context, c client.Client, id string) error {
	return onSchedule(ctx, c, id, "triggering", func(h client.ScheduleHandle) error {
		return h.Trigger(ctx, client.ScheduleTriggerOptions{})
	})
}

// BackfillSchedule starts the runs the schedule would have started between
// start and end, at once.
func BackfillSchedule(ctx context.Context, c client.Client, id string, start, end time.Time) error {
	if !end.After(start) {
		return fmt.Errorf("backfilling schedule %s: end %s must be after start %s", id, end.Format(time.RFC3339), start.Format(time.RFC3339))
	}
	return onSchedule(ctx, c, id, "backfilling", func(h client.ScheduleHandle) error {
		return h.Backfill(ctx, client.ScheduleBackfillOptions{Backfill: []client.ScheduleBackfill{{Start: start, End: end}}})
	})
}

func onSchedule(ctx context.Context, c client.Client, id, doing string, fn func(client.ScheduleHandle) error) error {
	if !strings.HasPrefix(id, "fnchain-") {
		return fmt.Errorf("%s schedule %s: %w (trigger schedules have ids starting with fnchain-)", doing, id, ErrScheduleNotFound)
	}
	err := fn(c.ScheduleClient().GetHandle(ctx, id))
	if isNotFound(err) {
		return fmt.Errorf("%s schedule %s: %w", doing, id, ErrScheduleNotFound)
	}
	if err != nil {
		return fmt.Errorf("%s schedule %s: %w", doing, id, err)
	}
	return nil
}

func isNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}
