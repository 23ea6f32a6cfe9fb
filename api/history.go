package api

import (
	"context"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"

	"github.com/fnchain/orchestrator/workflows"
)

// TimelineEntry is one thing a run did, read from its history.
type TimelineEntry struct {
	Step      string     `json:"step,omitempty" doc:"the step id with its repeat suffix; absent for timers"`
	Kind      string     `json:"kind" enum:"activity,timer,child,signal,update"`
	Name      string     `json:"name,omitempty" doc:"the step's name (its summary in Temporal UI), or the signal or update name"`
	Function  string     `json:"function,omitempty" doc:"the function an activity ran or the child workflow"`
	Status    string     `json:"status" enum:"scheduled,running,completed,failed,timedOut,canceled,terminated,fired,received"`
	Attempt   int32      `json:"attempt,omitempty"`
	StartedAt time.Time  `json:"startedAt"`
	ClosedAt  *time.Time `json:"closedAt,omitempty"`
	Output    any        `json:"output,omitempty" doc:"the raw result of an activity or child"`
	Error     *RunError  `json:"error,omitempty"`
}

// history is what a run's event history says about it.
type history struct {
	timeline []TimelineEntry
	result   any
	err      *RunError
}

// readHistory walks the events of one run. Activity ids are step ids
// (workflows package contract) and child ids are "<parent id>/<step id>".
func (s *service) readHistory(ctx context.Context, id, runID string) (*history, error) {
	it := s.Temporal.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &history{timeline: []TimelineEntry{}}
	open := map[int64]int{} // scheduling event id -> timeline index
	timers := map[string]int{}
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, err
		}
		h.apply(e, id, open, timers)
	}
	return h, nil
}

func (h *history) add(e *historypb.HistoryEvent, entry TimelineEntry) int {
	entry.StartedAt = e.GetEventTime().AsTime()
	if entry.Name == "" {
		entry.Name = summaryOf(e)
	}
	h.timeline = append(h.timeline, entry)
	return len(h.timeline) - 1
}

func (h *history) close(e *historypb.HistoryEvent, at int, status string, out any, f *failurepb.Failure) {
	if at < 0 || at >= len(h.timeline) {
		return
	}
	t := e.GetEventTime().AsTime()
	entry := &h.timeline[at]
	entry.Status, entry.ClosedAt, entry.Output = status, &t, out
	if f != nil {
		entry.Error = failureError(f)
	}
}

func lookup(m map[int64]int, id int64) int {
	if i, ok := m[id]; ok {
		return i
	}
	return -1
}

func (h *history) apply(e *historypb.HistoryEvent, parentID string, open map[int64]int, timers map[string]int) {
	switch e.GetEventType() {
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
		a := e.GetActivityTaskScheduledEventAttributes()
		open[e.GetEventId()] = h.add(e, TimelineEntry{Step: a.GetActivityId(), Kind: "activity", Function: a.GetActivityType().GetName(), Status: "scheduled"})
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
		a := e.GetActivityTaskStartedEventAttributes()
		if i := lookup(open, a.GetScheduledEventId()); i >= 0 {
			h.timeline[i].Status, h.timeline[i].Attempt = "running", a.GetAttempt()
		}
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
		a := e.GetActivityTaskCompletedEventAttributes()
		h.close(e, lookup(open, a.GetScheduledEventId()), "completed", decodePayloads(a.GetResult()), nil)
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
		a := e.GetActivityTaskFailedEventAttributes()
		h.close(e, lookup(open, a.GetScheduledEventId()), "failed", nil, a.GetFailure())
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
		a := e.GetActivityTaskTimedOutEventAttributes()
		h.close(e, lookup(open, a.GetScheduledEventId()), "timedOut", nil, a.GetFailure())
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
		h.close(e, lookup(open, e.GetActivityTaskCanceledEventAttributes().GetScheduledEventId()), "canceled", nil, nil)
	case enumspb.EVENT_TYPE_TIMER_STARTED:
		timers[e.GetTimerStartedEventAttributes().GetTimerId()] = h.add(e, TimelineEntry{Kind: "timer", Status: "running"})
	case enumspb.EVENT_TYPE_TIMER_FIRED:
		h.closeTimer(e, timers, e.GetTimerFiredEventAttributes().GetTimerId(), "fired")
	case enumspb.EVENT_TYPE_TIMER_CANCELED:
		h.closeTimer(e, timers, e.GetTimerCanceledEventAttributes().GetTimerId(), "canceled")
	case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
		a := e.GetStartChildWorkflowExecutionInitiatedEventAttributes()
		step := strings.TrimPrefix(a.GetWorkflowId(), parentID+"/")
		open[e.GetEventId()] = h.add(e, TimelineEntry{Step: step, Kind: "child", Function: a.GetWorkflowType().GetName(), Status: "scheduled"})
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
		if i := lookup(open, e.GetChildWorkflowExecutionStartedEventAttributes().GetInitiatedEventId()); i >= 0 {
			h.timeline[i].Status = "running"
		}
	case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED:
		h.close(e, lookup(open, e.GetStartChildWorkflowExecutionFailedEventAttributes().GetInitiatedEventId()), "failed", nil, nil)
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
		a := e.GetChildWorkflowExecutionCompletedEventAttributes()
		h.close(e, lookup(open, a.GetInitiatedEventId()), "completed", decodePayloads(a.GetResult()), nil)
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
		a := e.GetChildWorkflowExecutionFailedEventAttributes()
		h.close(e, lookup(open, a.GetInitiatedEventId()), "failed", nil, a.GetFailure())
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
		h.close(e, lookup(open, e.GetChildWorkflowExecutionCanceledEventAttributes().GetInitiatedEventId()), "canceled", nil, nil)
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
		h.close(e, lookup(open, e.GetChildWorkflowExecutionTimedOutEventAttributes().GetInitiatedEventId()), "timedOut", nil, nil)
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
		h.close(e, lookup(open, e.GetChildWorkflowExecutionTerminatedEventAttributes().GetInitiatedEventId()), "terminated", nil, nil)
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
		a := e.GetWorkflowExecutionSignaledEventAttributes()
		h.add(e, TimelineEntry{Kind: "signal", Name: a.GetSignalName(), Status: "received", Output: decodePayloads(a.GetInput())})
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
		in := e.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput()
		h.add(e, TimelineEntry{Kind: "update", Name: in.GetName(), Status: "received", Output: decodePayloads(in.GetArgs())})
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
		h.result = decodePayloads(e.GetWorkflowExecutionCompletedEventAttributes().GetResult())
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
		h.err = failureError(e.GetWorkflowExecutionFailedEventAttributes().GetFailure())
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
		h.err = &RunError{Type: "Timeout", Message: "the run exceeded its timeout"}
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
		h.err = &RunError{Type: "Terminated", Message: e.GetWorkflowExecutionTerminatedEventAttributes().GetReason()}
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
		h.err = &RunError{Type: "Canceled", Message: "the run was canceled"}
	}
}

func (h *history) closeTimer(e *historypb.HistoryEvent, timers map[string]int, id, status string) {
	if i, ok := timers[id]; ok {
		h.close(e, i, status, nil, nil)
	}
}

// progress is the steps view of a run that cannot be queried: finished
// steps with their raw results, and what was still open.
func (h *history) progress() workflows.Progress {
	p := workflows.Progress{Current: []workflows.RunningStep{}, Completed: []workflows.CompletedStep{}, Waiting: []workflows.PendingWait{}}
	for _, e := range h.timeline {
		if e.Step == "" || (e.Kind != "activity" && e.Kind != "child") {
			continue
		}
		switch e.Status {
		case "scheduled", "running":
			p.Current = append(p.Current, workflows.RunningStep{ID: e.Step, Name: e.Name})
		case "completed":
			p.Completed = append(p.Completed, workflows.CompletedStep{ID: e.Step, Output: e.Output})
			p.CompletedCount++
		}
	}
	return p
}

func failureError(f *failurepb.Failure) *RunError {
	// The innermost cause holds the type a catch names.
	for f.GetCause() != nil && f.GetApplicationFailureInfo() == nil {
		f = f.GetCause()
	}
	return &RunError{Type: f.GetApplicationFailureInfo().GetType(), Message: f.GetMessage()}
}

func summaryOf(e *historypb.HistoryEvent) string {
	p := e.GetUserMetadata().GetSummary()
	if p == nil {
		return ""
	}
	var s string
	if err := dataConverter.FromPayload(p, &s); err != nil {
		return ""
	}
	return s
}
