package metering

import (
	"fmt"
	"time"
)

// Outcome is how an attempt ended.
type Outcome string

// The outcomes of an attempt. OutcomeUnknown marks an attempt that a history
// implies but does not describe (an early attempt of a retried activity
// whose worker never reported it).
const (
	OutcomeCompleted Outcome = "completed"
	OutcomeFailed    Outcome = "failed"
	OutcomeTimedOut  Outcome = "timed_out"
	OutcomeCancelled Outcome = "cancelled"
	OutcomeUnknown   Outcome = "unknown"
)

// Source says how a reading was obtained.
type Source string

// The sources of a reading, best first.
const (
	// SourceWorker: timed by the worker that ran the attempt.
	SourceWorker Source = "worker"
	// SourceHistory: timed by the event times of the run's history.
	SourceHistory Source = "history"
	// SourceInferred: implied by a later attempt's number; not timed.
	SourceInferred Source = "inferred"
)

// Reading is the meter reading of one activity attempt.
type Reading struct {
	WorkflowID string    `json:"workflowId"`
	RunID      string    `json:"runId"`
	ActivityID string    `json:"activityId" doc:"the step id (with its repeat suffix)"`
	Attempt    int32     `json:"attempt"`
	Function   string    `json:"function" doc:"the activity type"`
	Workflow   string    `json:"workflow" doc:"the workflow type, which is the DSL workflow name"`
	TaskQueue  string    `json:"taskQueue"`
	Start      time.Time `json:"start"`
	DurationUs int64     `json:"durationUs"`
	BilledMs   int64     `json:"billedMs"`
	Outcome    Outcome   `json:"outcome"`
	BytesIn    int64     `json:"bytesIn"`
	BytesOut   int64     `json:"bytesOut"`
	Source     Source    `json:"source"`
}

// BilledMs rounds a duration in microseconds up to whole milliseconds, with
// no minimum.
func BilledMs(durationUs int64) int64 {
	if durationUs <= 0 {
		return 0
	}
	return (durationUs + 999) / 1000
}

// Microseconds truncates d to whole microseconds.
func Microseconds(d time.Duration) int64 {
	if d < 0 {
		return 0
	}
	return int64(d / time.Microsecond)
}

func (r *Reading) validate() error {
	switch {
	case r.WorkflowID == "" || r.RunID == "" || r.ActivityID == "":
		return fmt.Errorf("reading of %s has no workflow id, run id or activity id", r.Function)
	case r.Attempt < 1:
		return fmt.Errorf("reading of %s/%s/%s has attempt %d: attempts start at 1", r.WorkflowID, r.RunID, r.ActivityID, r.Attempt)
	}
	return nil
}
