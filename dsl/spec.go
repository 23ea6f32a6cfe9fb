package dsl

// fieldSpec describes one key of a mapping in the language. The loader takes
// the allowed keys, required keys and "did you mean" candidates from these
// tables, and JSONSchema builds the editor schema from them, so the two
// cannot drift apart.
type fieldSpec struct {
	name     string
	typ      string // a key of schemaTypes, or "#name" for a $defs entry
	desc     string
	required bool
	enum     []string
}

// objSpec is a mapping of the language.
type objSpec struct {
	desc   string
	fields []fieldSpec
}

var overlapPolicies = []string{"skip", "bufferOne", "bufferAll", "cancelOther", "terminateOther", "allowAll"}

var searchTypes = []string{"keyword", "text", "int", "double", "bool", "datetime"}

var workflowSpec = &objSpec{desc: "A fnchain workflow: steps run durably on Temporal.", fields: []fieldSpec{
	{name: "name", typ: "name", required: true, desc: "The workflow's name and Temporal workflow type: [a-z0-9][a-z0-9._-]*."},
	{name: "description", typ: "string", desc: "What the workflow does, for people."},
	{name: "taskQueue", typ: "string", desc: "Temporal task queue the workflow and its calls run on; default from the deployment config."},
	{name: "timeout", typ: "duration", desc: "Whole-run execution timeout (Go duration plus d for days: 90s, 2h30m, 7d)."},
	{name: "input", typ: "schema", desc: "JSON Schema (2020-12) of the run input; runs with other input are rejected."},
	{name: "defaults", typ: "#defaults", desc: "Options applied to every call step that does not set them."},
	{name: "triggers", typ: "triggers", desc: "What starts runs: http, schedule, postgres, nats, blob, amqp."},
	{name: "steps", typ: "steps", required: true, desc: "The steps, run in order."},
	{name: "search", typ: "search", desc: "Custom search attributes set when the run starts (input and run in scope)."},
	{name: "output", typ: "value", desc: "The run's result; default: the output of the last step."},
}}

var defaultsSpec = &objSpec{desc: "Options applied to every call step that does not set them.", fields: []fieldSpec{
	{name: "timeout", typ: "duration", desc: "Start-to-close timeout of each attempt (built-in default 5m)."},
	{name: "scheduleTimeout", typ: "duration", desc: "Schedule-to-close timeout: all attempts together."},
	{name: "heartbeat", typ: "duration", desc: "Heartbeat timeout for long-running functions."},
	{name: "retry", typ: "#retry", desc: "Retry policy."},
}}

var retrySpec = &objSpec{desc: "Retry policy of a call (a Temporal retry policy).", fields: []fieldSpec{
	{name: "maxAttempts", typ: "posint", desc: "Attempts in all, the first included (built-in default 3; 1 = no retry)."},
	{name: "initialInterval", typ: "duration", desc: "Wait before the first retry (default 1s)."},
	{name: "backoff", typ: "backoff", desc: "Factor the wait grows by after each retry, >= 1 (default 2)."},
	{name: "maxInterval", typ: "duration", desc: "Longest wait between retries (default 1m)."},
	{name: "nonRetryable", typ: "strings", desc: "Error types that are never retried."},
}}

var stepCommonFields = []fieldSpec{
	{name: "id", typ: "id", desc: "Unique id ([a-z][a-zA-Z0-9_]*); other expressions read steps.<id>.output. Also the Temporal activity ID."},
	{name: "name", typ: "string", desc: "Human summary shown in Temporal UI."},
	{name: "if", typ: "cond", desc: "Run the step only when this ${{ }} expression is true."},
	{name: "output", typ: "value", desc: "Reshape what the step exposes as steps.<id>.output; `result` is the raw output."},
}

// kindSpecs lists, per step kind, the keys the kind adds to the common ones;
// the first is the kind key itself.
var kindSpecs = []struct {
	kind Kind
	desc string
	obj  objSpec
}{
	{KindCall, "Run a function as a Temporal activity.", objSpec{fields: []fieldSpec{
		{name: "call", typ: "string", required: true, desc: "The function to run (activity type), e.g. http.request."},
		{name: "with", typ: "value", desc: "The function's arguments (a map; ${{ }} allowed anywhere)."},
		{name: "timeout", typ: "duration", desc: "Start-to-close timeout of each attempt."},
		{name: "scheduleTimeout", typ: "duration", desc: "Schedule-to-close timeout: all attempts together."},
		{name: "heartbeat", typ: "duration", desc: "Heartbeat timeout."},
		{name: "retry", typ: "#retry", desc: "Retry policy."},
		{name: "taskQueue", typ: "string", desc: "Run the activity on another task queue (served by any worker, any SDK); the function is then not checked."},
		{name: "compensate", typ: "#step", desc: "A call step run if a later step fails (saga)."},
	}}},
	{KindSet, "Assign workflow variables (vars.<name>).", objSpec{fields: []fieldSpec{
		{name: "set", typ: "set", required: true, desc: "Map of variable name to value."},
	}}},
	{KindSwitch, "Run the first case whose `when` is true.", objSpec{fields: []fieldSpec{
		{name: "switch", typ: "switch", required: true, desc: "Cases {when, steps}, optionally ending with {otherwise: [steps]}."},
	}}},
	{KindParallel, "Run named branches concurrently.", objSpec{fields: []fieldSpec{
		{name: "parallel", typ: "parallel", required: true, desc: "Map of branch name to steps; output is a map branch -> output."},
		{name: "failFast", typ: "bool", desc: "The first failure cancels the other branches."},
		{name: "race", typ: "bool", desc: "The first branch to succeed wins; output {winner, output}."},
	}}},
	{KindForeach, "Run steps for each element of a list.", objSpec{fields: []fieldSpec{
		{name: "foreach", typ: "value", required: true, desc: "The list, usually ${{ }}."},
		{name: "as", typ: "as", desc: "Name of the element (default item), or {item, index}."},
		{name: "concurrency", typ: "posint", desc: "Elements processed at once (default 1)."},
		{name: "steps", typ: "steps", required: true, desc: "Steps run for each element."},
	}}},
	{KindLoop, "Repeat steps while a condition holds.", objSpec{fields: []fieldSpec{
		{name: "loop", typ: "#loop", required: true, desc: "{while, maxIterations}."},
		{name: "steps", typ: "steps", required: true, desc: "Steps of each iteration."},
	}}},
	{KindSleep, "Durable timer.", objSpec{fields: []fieldSpec{
		{name: "sleep", typ: "sleep", required: true, desc: "A duration (10m) or {until: ${{ timestamp }}}."},
	}}},
	{KindWait, "Wait for a signal.", objSpec{fields: []fieldSpec{
		{name: "wait", typ: "#wait", required: true, desc: "{signal, timeout}; output is the signal's payload."},
	}}},
	{KindWorkflow, "Run another workflow as a child workflow.", objSpec{fields: []fieldSpec{
		{name: "workflow", typ: "name", required: true, desc: "Name of the child workflow."},
		{name: "with", typ: "value", desc: "The child's input."},
		{name: "taskQueue", typ: "string", desc: "Task queue of the child; default: the child's own."},
		{name: "timeout", typ: "duration", desc: "Execution timeout of the child."},
	}}},
	{KindTry, "Handle errors of steps.", objSpec{fields: []fieldSpec{
		{name: "try", typ: "steps", required: true, desc: "Steps whose errors are handled."},
		{name: "catch", typ: "catch", desc: "Handlers {errors: [Type], steps}; the first that matches runs."},
		{name: "finally", typ: "steps", desc: "Steps that always run."},
	}}},
	{KindFail, "End the run (or enter the nearest catch) with an error.", objSpec{fields: []fieldSpec{
		{name: "fail", typ: "failval", required: true, desc: "{type, message}, or just the message."},
	}}},
	{KindReturn, "End the run successfully.", objSpec{fields: []fieldSpec{
		{name: "return", typ: "value", required: true, desc: "The run's output."},
	}}},
}

var loopSpec = &objSpec{desc: "Loop condition.", fields: []fieldSpec{
	{name: "while", typ: "cond", required: true, desc: "Checked before each iteration; the loop ends when false."},
	{name: "maxIterations", typ: "posint", desc: "Iterations allowed before the step fails with MaxIterations (default 1000)."},
}}

var waitSpec = &objSpec{desc: "Signal to wait for.", fields: []fieldSpec{
	{name: "signal", typ: "string", required: true, desc: "Signal (or update) name."},
	{name: "timeout", typ: "duration", desc: "Give up after this long: the step fails with error type Timeout."},
}}

var failSpec = &objSpec{desc: "The error to fail with.", fields: []fieldSpec{
	{name: "type", typ: "errtype", desc: "Error type a catch can name (default Error)."},
	{name: "message", typ: "value", required: true, desc: "Error message."},
}}

var sleepUntilSpec = &objSpec{desc: "Sleep until a point in time.", fields: []fieldSpec{
	{name: "until", typ: "value", required: true, desc: "RFC 3339 timestamp or ${{ }} giving one."},
}}

var asSpec = &objSpec{desc: "Names of the element and index.", fields: []fieldSpec{
	{name: "item", typ: "id", desc: "Name of the element (default item)."},
	{name: "index", typ: "id", desc: "Name of the 0-based index (default index)."},
}}

var caseSpec = &objSpec{desc: "A switch case.", fields: []fieldSpec{
	{name: "when", typ: "cond", required: true, desc: "Condition."},
	{name: "steps", typ: "steps", required: true, desc: "Steps run when the condition is true."},
}}

var otherwiseSpec = &objSpec{desc: "The switch's default case.", fields: []fieldSpec{
	{name: "otherwise", typ: "steps", required: true, desc: "Steps run when no case matched."},
}}

var catchSpec = &objSpec{desc: "An error handler.", fields: []fieldSpec{
	{name: "errors", typ: "strings", desc: "Error types handled; omitted handles all."},
	{name: "steps", typ: "steps", required: true, desc: "Steps run with `error` ({type, message, step}) in scope."},
}}

var searchAttrSpec = &objSpec{desc: "A search attribute with an explicit type.", fields: []fieldSpec{
	{name: "type", typ: "enum", enum: searchTypes, required: true, desc: "Search attribute type."},
	{name: "value", typ: "value", required: true, desc: "The value."},
}}

var triggerCommonFields = []fieldSpec{
	{name: "input", typ: "value", desc: "Maps the event (`event`) to the run input; default: the event."},
	{name: "id", typ: "value", desc: "Dedupe key from the event: the same key never starts two runs."},
}

var triggerSpecs = []struct {
	typ  TriggerType
	desc string
	obj  objSpec
	conn bool // needs a connection of the trigger's type
}{
	{TriggerHTTP, "Start a run per HTTP request.", objSpec{fields: []fieldSpec{
		{name: "path", typ: "path", required: true, desc: "URL path, starting with /."},
		{name: "method", typ: "enum", enum: httpMethods, desc: "HTTP method (default POST)."},
		{name: "secret", typ: "secret", desc: "Secret reference (env:NAME or file:/path) for request signatures."},
		{name: "wait", typ: "duration", desc: "Wait this long for the run's result before answering 202."},
	}}, false},
	{TriggerSchedule, "Start runs on a Temporal Schedule.", objSpec{fields: []fieldSpec{
		{name: "cron", typ: "string", required: true, desc: "5-field cron, or @hourly, @daily, @weekly, @monthly, @yearly, @every <duration>."},
		{name: "timezone", typ: "string", desc: "IANA time zone (default UTC)."},
		{name: "overlap", typ: "enum", enum: overlapPolicies, desc: "What to do when a run is still going (default skip)."},
		{name: "catchupWindow", typ: "duration", desc: "How far back missed runs are caught up."},
		{name: "jitter", typ: "duration", desc: "Random delay up to this long per start."},
		{name: "paused", typ: "bool", desc: "Create the schedule paused."},
		{name: "input", typ: "value", desc: "Static run input (no expressions)."},
	}}, false},
	{TriggerPostgres, "Start a run per row change (logical replication).", objSpec{fields: []fieldSpec{
		{name: "connection", typ: "string", required: true, desc: "A postgres connection."},
		{name: "table", typ: "string", required: true, desc: "schema.table to watch."},
		{name: "operations", typ: "operations", desc: "insert, update, delete (default all)."},
	}}, true},
	{TriggerNATS, "Start a run per NATS message.", objSpec{fields: []fieldSpec{
		{name: "connection", typ: "string", required: true, desc: "A nats connection."},
		{name: "subject", typ: "string", required: true, desc: "Subject (wildcards allowed)."},
	}}, true},
	{TriggerBlob, "Start a run per new object in a bucket.", objSpec{fields: []fieldSpec{
		{name: "connection", typ: "string", required: true, desc: "A blob connection."},
		{name: "prefix", typ: "string", desc: "Only objects under this prefix."},
	}}, true},
	{TriggerAMQP, "Start a run per AMQP message.", objSpec{fields: []fieldSpec{
		{name: "connection", typ: "string", required: true, desc: "An amqp connection."},
		{name: "queue", typ: "string", required: true, desc: "Queue to consume."},
	}}, true},
}
