package metering

import (
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// A history of one activity retried after a timeout, one that completed
// first time and one that never started.
func TestReadingsFromHistory(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(ms int) *timestamppb.Timestamp {
		return timestamppb.New(t0.Add(time.Duration(ms) * time.Millisecond))
	}
	payloads := func(s string) *commonpb.Payloads {
		return &commonpb.Payloads{Payloads: []*commonpb.Payload{{Data: []byte(s)}}}
	}
	sched := func(id int64, ms int, act string) *historypb.HistoryEvent {
		return &historypb.HistoryEvent{EventId: id, EventTime: at(ms), EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
			Attributes: &historypb.HistoryEvent_ActivityTaskScheduledEventAttributes{ActivityTaskScheduledEventAttributes: &historypb.ActivityTaskScheduledEventAttributes{
				ActivityId: act, ActivityType: &commonpb.ActivityType{Name: "http.request"}, TaskQueue: &taskqueuepb.TaskQueue{Name: "q"}, Input: payloads(`{"u":1}`)}}}
	}
	start := func(id int64, ms int, attempt int32, last *failurepb.Failure) *historypb.HistoryEvent {
		return &historypb.HistoryEvent{EventId: id, EventTime: at(ms), EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED,
			Attributes: &historypb.HistoryEvent_ActivityTaskStartedEventAttributes{ActivityTaskStartedEventAttributes: &historypb.ActivityTaskStartedEventAttributes{
				ScheduledEventId: id - 1, Attempt: attempt, LastFailure: last}}}
	}
	complete := func(id int64, ms int, scheduled int64) *historypb.HistoryEvent {
		return &historypb.HistoryEvent{EventId: id, EventTime: at(ms), EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
			Attributes: &historypb.HistoryEvent_ActivityTaskCompletedEventAttributes{ActivityTaskCompletedEventAttributes: &historypb.ActivityTaskCompletedEventAttributes{
				ScheduledEventId: scheduled, StartedEventId: scheduled + 1, Result: payloads(`"done"`)}}}
	}
	timeout := &failurepb.Failure{FailureInfo: &failurepb.Failure_TimeoutFailureInfo{TimeoutFailureInfo: &failurepb.TimeoutFailureInfo{}}}
	events := []*historypb.HistoryEvent{
		sched(5, 0, "fetch"), start(6, 9000, 3, timeout), complete(7, 9250, 5),
		sched(8, 9300, "save"), start(9, 9301, 1, nil), complete(10, 9302, 8),
		sched(11, 9400, "never"),
	}
	got := ReadingsFromHistory("w", "r", "orders", events)
	base := Reading{WorkflowID: "w", RunID: "r", Function: "http.request", Workflow: "orders", TaskQueue: "q", BytesIn: 7}
	want := []Reading{
		with(base, func(r *Reading) {
			r.ActivityID, r.Attempt, r.Start, r.Outcome, r.Source = "fetch", 1, t0, OutcomeUnknown, SourceInferred
		}),
		with(base, func(r *Reading) {
			r.ActivityID, r.Attempt, r.Start, r.Outcome, r.Source = "fetch", 2, t0, OutcomeTimedOut, SourceInferred
		}),
		with(base, func(r *Reading) {
			r.ActivityID, r.Attempt, r.Start, r.Outcome, r.Source = "fetch", 3, at(9000).AsTime(), OutcomeCompleted, SourceHistory
			r.DurationUs, r.BilledMs, r.BytesOut = 250_000, 250, 6
		}),
		with(base, func(r *Reading) {
			r.ActivityID, r.Attempt, r.Start, r.Outcome, r.Source = "save", 1, at(9301).AsTime(), OutcomeCompleted, SourceHistory
			r.DurationUs, r.BilledMs, r.BytesOut = 1000, 1, 6
		}),
	}
	if len(got) != len(want) {
		t.Fatalf("got %d readings, want %d:\n%+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("reading %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func with(r Reading, f func(*Reading)) Reading { f(&r); return r }
