// Package dsl loads fnchain workflow files (YAML), validates them against the
// language described in docs/dsl.md and compiles them into an immutable plan
// that the Temporal interpreter executes.
//
// A plan is JSON-serialisable so that a run can carry the exact definition it
// started with: json.Marshal(*Workflow) writes it, DecodePlan reads it back and
// recompiles its expressions. Nothing in a plan may be modified after Load or
// DecodePlan return, because compiled programs and the content hash are shared.
package dsl

import (
	"encoding/json"
	"time"
)

// Workflow is the compiled plan of one workflow definition.
type Workflow struct {
	// Name is the Temporal workflow type.
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// File is the path the definition was loaded from; it is not part of Hash.
	File string `json:"file,omitempty"`
	// TaskQueue is empty when the file does not set one: the caller applies the
	// deployment's default queue.
	TaskQueue string `json:"taskQueue,omitempty"`
	// Timeout is the whole-run execution timeout; 0 means none.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Input is the JSON Schema (2020-12) of the run input, as written; nil
	// accepts any input.
	Input json.RawMessage `json:"input,omitempty"`
	// Defaults are the call-step defaults after the built-in ones were merged
	// in. They are already copied into every call step, so the interpreter
	// never needs to read them; they are kept to show what applied.
	Defaults CallDefaults `json:"defaults"`
	Triggers []*Trigger   `json:"triggers,omitempty"`
	Steps    []*Step      `json:"steps"`
	// Search lists the custom search attributes, sorted by name. They are
	// evaluated once when the run starts, with input and run in scope.
	Search []*SearchAttribute `json:"search,omitempty"`
	// Output is the run's result; nil means the output of the last top-level
	// step that ran.
	Output *Value `json:"output,omitempty"`
	// Hash is the hex sha256 of the canonical JSON form of the plan (without
	// File and Hash), so formatting, comments and key order do not change it.
	// ShortHash gives the 12-character form used in labels.
	Hash string `json:"hash"`

	// namePos is where the name was written, for duplicate-name errors.
	namePos Pos
}

// ShortHash is the first 12 characters of Hash.
func (w *Workflow) ShortHash() string {
	if len(w.Hash) < 12 {
		return w.Hash
	}
	return w.Hash[:12]
}

// CallDefaults are the options applied to every call step that does not set
// them itself.
type CallDefaults struct {
	Timeout         time.Duration `json:"timeout"`
	ScheduleTimeout time.Duration `json:"scheduleTimeout,omitempty"`
	Heartbeat       time.Duration `json:"heartbeat,omitempty"`
	Retry           *RetryPolicy  `json:"retry"`
}

// RetryPolicy maps onto temporal.RetryPolicy. The loader always fills
// MaxAttempts (>= 1), InitialInterval, Backoff (>= 1) and MaxInterval.
type RetryPolicy struct {
	MaxAttempts     int           `json:"maxAttempts"`
	InitialInterval time.Duration `json:"initialInterval"`
	Backoff         float64       `json:"backoff"`
	MaxInterval     time.Duration `json:"maxInterval"`
	// NonRetryable lists error types that end the step at once, sorted.
	NonRetryable []string `json:"nonRetryable,omitempty"`
}

// Kind names what a step does; it is the step's one kind key in YAML.
type Kind string

// The step kinds of the language.
const (
	KindCall     Kind = "call"
	KindSet      Kind = "set"
	KindSwitch   Kind = "switch"
	KindParallel Kind = "parallel"
	KindForeach  Kind = "foreach"
	KindLoop     Kind = "loop"
	KindSleep    Kind = "sleep"
	KindWait     Kind = "wait"
	KindWorkflow Kind = "workflow"
	KindTry      Kind = "try"
	KindFail     Kind = "fail"
	KindReturn   Kind = "return"
)

// Step is one step of a plan. Exactly one of the kind groups (Call, Set, ...)
// is non-nil, the one Kind names.
type Step struct {
	Kind Kind `json:"kind"`
	// ID is the user's `id`, or, when the file sets none, "<kind>-<n>" where n
	// is the step's 1-based position in the file in document order (depth
	// first, compensate steps included). The hyphen keeps generated ids apart
	// from user ids ([a-z][a-zA-Z0-9_]*), so they never collide. IDs are unique
	// in a workflow and are the Temporal activity IDs.
	ID string `json:"id"`
	// Name is the human summary shown in Temporal UI.
	Name string `json:"name,omitempty"`
	// If skips the step when it evaluates to false; a skipped step's output is
	// null.
	If *Expr `json:"if,omitempty"`
	// Output reshapes what the step exposes as steps.<id>.output; the raw
	// output is in scope as `result`. Nil exposes the raw output.
	Output *Value `json:"output,omitempty"`

	Call     *CallStep     `json:"call,omitempty"`
	Set      *SetStep      `json:"set,omitempty"`
	Switch   *SwitchStep   `json:"switch,omitempty"`
	Parallel *ParallelStep `json:"parallel,omitempty"`
	Foreach  *ForeachStep  `json:"foreach,omitempty"`
	Loop     *LoopStep     `json:"loop,omitempty"`
	Sleep    *SleepStep    `json:"sleep,omitempty"`
	Wait     *WaitStep     `json:"wait,omitempty"`
	Workflow *WorkflowStep `json:"workflow,omitempty"`
	Try      *TryStep      `json:"try,omitempty"`
	Fail     *FailStep     `json:"fail,omitempty"`
	Return   *ReturnStep   `json:"return,omitempty"`
}

// CallStep runs a function as a Temporal activity whose type is Function.
// Timeout and Retry always hold a value (the workflow defaults were applied).
type CallStep struct {
	Function string `json:"function"`
	// With evaluates to the activity's single argument, a JSON object.
	With *Value `json:"with,omitempty"`
	// Timeout is the start-to-close timeout.
	Timeout         time.Duration `json:"timeout"`
	ScheduleTimeout time.Duration `json:"scheduleTimeout,omitempty"`
	Heartbeat       time.Duration `json:"heartbeat,omitempty"`
	Retry           *RetryPolicy  `json:"retry"`
	// TaskQueue is empty for the workflow's own queue.
	TaskQueue string `json:"taskQueue,omitempty"`
	// Compensate is a call step run, in reverse completion order, when the
	// run fails after this step completed. Inside it steps.<this id>.output
	// is in scope.
	Compensate *Step `json:"compensate,omitempty"`
}

// SetStep assigns workflow variables. Every value is evaluated against the
// scope before the step, so entries do not see each other.
type SetStep struct {
	// Vars are sorted by name.
	Vars []*SetVar `json:"vars"`
}

// SetVar is one assignment of a set step.
type SetVar struct {
	Name  string `json:"name"`
	Value *Value `json:"value"`
}

// SwitchStep runs the steps of the first case whose When is true, or
// Otherwise. Its output is the output of the last step that ran in the chosen
// branch, or null.
type SwitchStep struct {
	Cases     []*SwitchCase `json:"cases"`
	Otherwise []*Step       `json:"otherwise,omitempty"`
}

// SwitchCase is one `when` case of a switch.
type SwitchCase struct {
	When  *Expr   `json:"when"`
	Steps []*Step `json:"steps"`
}

// ParallelStep runs named branches concurrently. Output: a map branch name ->
// output of the branch's last step; with Race, {winner, output}.
type ParallelStep struct {
	// Branches are sorted by name.
	Branches []*Branch `json:"branches"`
	FailFast bool      `json:"failFast,omitempty"`
	Race     bool      `json:"race,omitempty"`
}

// Branch is one named branch of a parallel step.
type Branch struct {
	Name  string  `json:"name"`
	Steps []*Step `json:"steps"`
}

// ForeachStep runs Steps for each element of Items. Output: the list of the
// outputs of each iteration's last step, in input order.
type ForeachStep struct {
	// Items must evaluate to a list.
	Items *Value `json:"items"`
	// As and IndexAs are the names the element and its 0-based index have
	// inside Steps ("item" and "index" unless renamed).
	As      string `json:"as"`
	IndexAs string `json:"indexAs"`
	// Concurrency is at least 1 (1 = one element at a time, the default).
	Concurrency int     `json:"concurrency"`
	Steps       []*Step `json:"steps"`
}

// LoopStep repeats Steps while While is true (checked before each
// iteration). Exceeding MaxIterations fails the step with error type
// "MaxIterations". Output: the output of the last step of the last iteration.
type LoopStep struct {
	While         *Expr   `json:"while"`
	MaxIterations int     `json:"maxIterations"`
	Steps         []*Step `json:"steps"`
}

// SleepStep is a durable timer: either a fixed Duration or until the time
// Until evaluates to (a time or an RFC 3339 string).
type SleepStep struct {
	Duration time.Duration `json:"duration,omitempty"`
	Until    *Value        `json:"until,omitempty"`
}

// WaitStep waits for the signal (or update) named Signal; its output is the
// payload. A Timeout of 0 waits forever; on timeout the step fails with error
// type "Timeout".
type WaitStep struct {
	Signal  string        `json:"signal"`
	Timeout time.Duration `json:"timeout,omitempty"`
}

// WorkflowStep runs another deployed workflow as a child workflow; its output
// is the child's result.
type WorkflowStep struct {
	Workflow  string        `json:"workflow"`
	With      *Value        `json:"with,omitempty"`
	TaskQueue string        `json:"taskQueue,omitempty"`
	Timeout   time.Duration `json:"timeout,omitempty"`
}

// TryStep runs Steps; on failure the first Catch whose Errors match (or that
// has none) runs with `error` in scope; Finally always runs.
type TryStep struct {
	Steps   []*Step  `json:"steps"`
	Catch   []*Catch `json:"catch,omitempty"`
	Finally []*Step  `json:"finally,omitempty"`
}

// Catch is one handler of a try step. Empty Errors catches every error.
type Catch struct {
	Errors []string `json:"errors,omitempty"`
	Steps  []*Step  `json:"steps"`
}

// FailStep ends the run, or enters the nearest catch, with an error of Type
// ("Error" unless set) and the evaluated Message (a string).
type FailStep struct {
	Type    string `json:"type"`
	Message *Value `json:"message,omitempty"`
}

// ReturnStep ends the run successfully with the evaluated Value as output.
type ReturnStep struct {
	Value *Value `json:"value,omitempty"`
}

// SearchAttribute is a custom search attribute set when the run starts.
type SearchAttribute struct {
	Name string `json:"name"`
	// Type is one of keyword, text, int, double, bool, datetime.
	Type  string `json:"type"`
	Value *Value `json:"value"`
}

// TriggerType names the kind of a trigger.
type TriggerType string

// The trigger types of the language.
const (
	TriggerHTTP     TriggerType = "http"
	TriggerSchedule TriggerType = "schedule"
	TriggerPostgres TriggerType = "postgres"
	TriggerNATS     TriggerType = "nats"
	TriggerBlob     TriggerType = "blob"
	TriggerAMQP     TriggerType = "amqp"
)

// Trigger starts runs. Exactly one of the type groups is non-nil.
type Trigger struct {
	Type TriggerType `json:"type"`
	// Input maps the event (in scope as `event`) to the run input; nil passes
	// the event itself. Not allowed on schedules (they use Schedule.Input).
	Input *Value `json:"input,omitempty"`
	// ID evaluates to the dedupe key: one key never starts two runs.
	ID *Value `json:"id,omitempty"`

	HTTP     *HTTPTrigger     `json:"http,omitempty"`
	Schedule *ScheduleTrigger `json:"schedule,omitempty"`
	Postgres *PostgresTrigger `json:"postgres,omitempty"`
	NATS     *NATSTrigger     `json:"nats,omitempty"`
	Blob     *BlobTrigger     `json:"blob,omitempty"`
	AMQP     *AMQPTrigger     `json:"amqp,omitempty"`
}

// HTTPTrigger is a webhook. Wait > 0 makes the request wait up to that long
// for the run's result.
type HTTPTrigger struct {
	Path   string `json:"path"`
	Method string `json:"method"`
	// Secret is a secret reference (env:NAME or file:/path), never the value.
	Secret string        `json:"secret,omitempty"`
	Wait   time.Duration `json:"wait,omitempty"`
}

// ScheduleTrigger is a Temporal Schedule.
type ScheduleTrigger struct {
	Cron          string        `json:"cron"`
	Timezone      string        `json:"timezone,omitempty"`
	Overlap       string        `json:"overlap"`
	CatchupWindow time.Duration `json:"catchupWindow,omitempty"`
	Jitter        time.Duration `json:"jitter,omitempty"`
	Paused        bool          `json:"paused,omitempty"`
	// Input is the static run input; it holds no expressions.
	Input *Value `json:"input,omitempty"`
}

// PostgresTrigger starts a run per row change of Table.
type PostgresTrigger struct {
	Connection string `json:"connection"`
	Table      string `json:"table"`
	// Operations are sorted; empty means insert, update and delete.
	Operations []string `json:"operations,omitempty"`
}

// NATSTrigger starts a run per message on Subject.
type NATSTrigger struct {
	Connection string `json:"connection"`
	Subject    string `json:"subject"`
}

// BlobTrigger starts a run per new object under Prefix.
type BlobTrigger struct {
	Connection string `json:"connection"`
	Prefix     string `json:"prefix,omitempty"`
}

// AMQPTrigger starts a run per message of Queue.
type AMQPTrigger struct {
	Connection string `json:"connection"`
	Queue      string `json:"queue"`
}
