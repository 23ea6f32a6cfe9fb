package workflows

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var writeHistories = flag.Bool("write-histories", false, "rewrite the generated histories in testdata/histories")

// TestReplayHistories replays every history in testdata/histories against
// the current interpreter: a change that would break runs in flight fails
// here. Each history carries its own plan in the memo, so histories of older
// definitions replay against the definition they ran.
func TestReplayHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no histories in testdata/histories")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			New(Options{}).Register(replayer)
			if err := replayer.ReplayWorkflowHistoryFromJSONFile(nil, file); err != nil {
				t.Fatalf("replaying %s: %v", file, err)
			}
		})
	}
}

// TestReplayDetectsChangedCommands guards the guard: a history whose
// activity id no longer matches the plan must fail to replay.
func TestReplayDetectsChangedCommands(t *testing.T) {
	replayer := worker.NewWorkflowReplayer()
	New(Options{}).Register(replayer)
	err := replayer.ReplayWorkflowHistory(nil, chainHistory(t, "renamed"))
	if err == nil || !strings.Contains(err.Error(), "nondeterministic") {
		t.Fatalf("got %v, want a nondeterminism error for a history with a different activity id", err)
	}
}

const historyPlan = `
name: history-chain
description: Two echo calls, for the replay test
steps:
  - id: first
    name: First call
    call: echo
    with: {n: "${{ input.n }}"}
  - id: second
    call: echo
    with: {prev: "${{ steps.first.output.n }}"}
`

// TestWriteGeneratedHistory keeps testdata/histories/generated-chain.json in
// step with chainHistory; run with -write-histories to rewrite it.
func TestWriteGeneratedHistory(t *testing.T) {
	if !*writeHistories {
		t.Skip("run with -write-histories to rewrite the generated history")
	}
	data, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(chainHistory(t, "first"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", "histories", "generated-chain.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// chainHistory builds, event by event as the server records them, the
// history of a successful run of historyPlan whose first activity has id
// firstID.
func chainHistory(t *testing.T, firstID string) *historypb.History {
	t.Helper()
	p := loadPlan(t, historyPlan)
	so, err := WorkflowOptions(p, map[string]any{"n": 1}, StartOptions{TaskQueue: "fnchain"})
	if err != nil {
		t.Fatal(err)
	}
	memo, err := payloadMap(so.Memo)
	if err != nil {
		t.Fatal(err)
	}
	sa := &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{
		SearchWorkflow:   mustPayload(t, p.Name),
		SearchDefinition: mustPayload(t, p.ShortHash()),
	}}
	queue := &taskqueuepb.TaskQueue{Name: "fnchain", Kind: enumspb.TASK_QUEUE_KIND_NORMAL}
	start := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	var events []*historypb.HistoryEvent
	add := func(typ enumspb.EventType, attrs func(*historypb.HistoryEvent)) int64 {
		e := &historypb.HistoryEvent{EventId: int64(len(events) + 1), EventTime: timestamppb.New(start.Add(time.Duration(len(events)) * time.Millisecond)), EventType: typ}
		attrs(e)
		events = append(events, e)
		return e.EventId
	}
	workflowTask := func() int64 {
		sched := add(enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_WorkflowTaskScheduledEventAttributes{WorkflowTaskScheduledEventAttributes: &historypb.WorkflowTaskScheduledEventAttributes{TaskQueue: queue, StartToCloseTimeout: durationpb.New(10 * time.Second), Attempt: 1}}
		})
		started := add(enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_WorkflowTaskStartedEventAttributes{WorkflowTaskStartedEventAttributes: &historypb.WorkflowTaskStartedEventAttributes{ScheduledEventId: sched}}
		})
		return add(enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_WorkflowTaskCompletedEventAttributes{WorkflowTaskCompletedEventAttributes: &historypb.WorkflowTaskCompletedEventAttributes{ScheduledEventId: sched, StartedEventId: started}}
		})
	}
	activity := func(completed int64, id string, with, result any) {
		sched := add(enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_ActivityTaskScheduledEventAttributes{ActivityTaskScheduledEventAttributes: &historypb.ActivityTaskScheduledEventAttributes{
				ActivityId: id, ActivityType: &commonpb.ActivityType{Name: "echo"}, TaskQueue: queue,
				Input: mustPayloads(t, with), StartToCloseTimeout: durationpb.New(30 * time.Second), WorkflowTaskCompletedEventId: completed,
			}}
		})
		started := add(enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_ActivityTaskStartedEventAttributes{ActivityTaskStartedEventAttributes: &historypb.ActivityTaskStartedEventAttributes{ScheduledEventId: sched, Attempt: 1}}
		})
		add(enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_ActivityTaskCompletedEventAttributes{ActivityTaskCompletedEventAttributes: &historypb.ActivityTaskCompletedEventAttributes{Result: mustPayloads(t, result), ScheduledEventId: sched, StartedEventId: started}}
		})
	}
	add(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{
			WorkflowType: &commonpb.WorkflowType{Name: p.Name}, TaskQueue: queue, Input: mustPayloads(t, map[string]any{"n": 1}),
			WorkflowTaskTimeout: durationpb.New(10 * time.Second), Attempt: 1, Memo: memo, SearchAttributes: sa,
			OriginalExecutionRunId: "11111111-2222-3333-4444-555555555555", FirstExecutionRunId: "11111111-2222-3333-4444-555555555555",
		}}
	})
	done := workflowTask()
	activity(done, firstID, map[string]any{"n": 1}, map[string]any{"n": 1})
	done = workflowTask()
	activity(done, "second", map[string]any{"prev": 1}, map[string]any{"prev": 1})
	done = workflowTask()
	add(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_WorkflowExecutionCompletedEventAttributes{WorkflowExecutionCompletedEventAttributes: &historypb.WorkflowExecutionCompletedEventAttributes{
			Result: mustPayloads(t, map[string]any{"prev": 1}), WorkflowTaskCompletedEventId: done,
		}}
	})
	return &historypb.History{Events: events}
}

func payloadMap(m map[string]any) (*commonpb.Memo, error) {
	out := &commonpb.Memo{Fields: map[string]*commonpb.Payload{}}
	for k, v := range m {
		p, err := defaultConverter.ToPayload(v)
		if err != nil {
			return nil, err
		}
		out.Fields[k] = p
	}
	return out, nil
}

func mustPayload(t *testing.T, v any) *commonpb.Payload {
	p, err := defaultConverter.ToPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustPayloads(t *testing.T, v any) *commonpb.Payloads {
	return &commonpb.Payloads{Payloads: []*commonpb.Payload{mustPayload(t, v)}}
}
