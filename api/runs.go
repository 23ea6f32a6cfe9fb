package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/fnchain/orchestrator/workflows"
)

// Run is a run of a workflow: its status, where it is, and how it ended.
type Run struct {
	ID         string     `json:"id" doc:"the Temporal workflow id"`
	RunID      string     `json:"runId" doc:"the Temporal run id"`
	Workflow   string     `json:"workflow"`
	Definition string     `json:"definition,omitempty" doc:"short hash of the definition the run executes"`
	Status     string     `json:"status" enum:"running,completed,failed,canceled,terminated,timedOut,continuedAsNew"`
	StartedAt  time.Time  `json:"startedAt"`
	ClosedAt   *time.Time `json:"closedAt,omitempty"`
	// Steps are absent in the answer of a start.
	Current        []workflows.RunningStep   `json:"current,omitempty" doc:"steps running now"`
	Waiting        []workflows.PendingWait   `json:"waiting,omitempty" doc:"wait steps waiting for a signal or update"`
	Completed      []workflows.CompletedStep `json:"completed,omitempty" doc:"the latest finished steps with their outputs, oldest first"`
	CompletedCount int                       `json:"completedCount,omitempty"`
	Result         any                       `json:"result,omitempty"`
	Error          *RunError                 `json:"error,omitempty"`
	UIURL          string                    `json:"uiUrl,omitempty" doc:"the run in Temporal UI"`
	Usage          any                       `json:"usage,omitempty" doc:"what the run consumed so far"`
}

// RunError is why a run or step failed.
type RunError struct {
	Type    string `json:"type,omitempty" doc:"the error type a catch names (HTTPError, Timeout, ...)"`
	Message string `json:"message"`
}

// RunPathParam names a run: a workflow id, and a run id for a run other
// than the latest.
type RunPathParam struct {
	ID    string `path:"id" maxLength:"1000" doc:"workflow id of the run"`
	RunID string `query:"runId" maxLength:"100" doc:"a run of the id other than the latest"`
}

// WaitQueryParam is ?wait, how long a request waits for a run to end.
type WaitQueryParam struct {
	Wait string `query:"wait" doc:"how long to wait for the result, a duration up to 60s such as 10s" example:"10s"`
}

// maxWait bounds ?wait, so a request does not outlive proxies' timeouts.
const maxWait = 60 * time.Second

func (q WaitQueryParam) duration() (time.Duration, error) {
	if q.Wait == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(q.Wait)
	if err != nil || d < 0 || d > maxWait {
		return 0, huma.Error422UnprocessableEntity("bad wait", &huma.ErrorDetail{
			Location: "query.wait", Value: q.Wait, Message: fmt.Sprintf("want a duration between 0s and %s such as 10s", maxWait),
		})
	}
	return d, nil
}

type startInput struct {
	WorkflowPathParam
	WaitQueryParam
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"200" doc:"the same key never starts two runs of this workflow: a retried request answers with the run the first one started"`
	RawBody        []byte `contentType:"application/json"`
}

type runOutput struct {
	Status   int
	Location string `header:"Location" doc:"the run, to poll until it ends"`
	Body     Run
}

const tagRuns = "Runs"

const startPath = "/v1/workflows/{name}/runs"

func registerStart(a huma.API, s *service) {
	op := s.op(huma.Operation{
		OperationID: "startRun", Method: http.MethodPost, Path: startPath, DefaultStatus: http.StatusAccepted, SkipValidateBody: true,
		Summary: "Start a run",
		Description: "Starts a run of the current version with the body as input, validated against the workflow's input schema. " +
			"Answers 202 with a Location to poll, or with ?wait=10s 200 and the result when the run ends in time.",
		Tags: []string{tagRuns}, Errors: []int{400, 404, 422},
		Responses: map[string]*huma.Response{"200": {Description: "The run ended within ?wait."}},
	}, ScopeRun)
	huma.Register(a, op, s.start)
	// The body is any JSON value the workflow's schema accepts, read raw so
	// that malformed JSON is reported with its offset.
	a.OpenAPI().Paths[op.Path].Post.RequestBody = anyJSONBody("the run input; the workflow's own start operation shows its schema")
	sameBody(a, op, "202", "200")
}

// sameBody documents the body of one status for another that an
// operation answers with the same output type.
func sameBody(a huma.API, op huma.Operation, from, to string) {
	item := a.OpenAPI().Paths[op.Path]
	registered := map[string]*huma.Operation{http.MethodGet: item.Get, http.MethodPost: item.Post}[op.Method]
	registered.Responses[to].Content = registered.Responses[from].Content
	registered.Responses[to].Headers = registered.Responses[from].Headers
}

func anyJSONBody(doc string) *huma.RequestBody {
	return &huma.RequestBody{Description: doc, Content: map[string]*huma.MediaType{"application/json": {Schema: &huma.Schema{}}}}
}

func (s *service) start(ctx context.Context, in *startInput) (*runOutput, error) {
	wait, err := in.duration()
	if err != nil {
		return nil, err
	}
	def, err := s.Catalog.Get(ctx, in.Name)
	if err != nil {
		return nil, backendProblem(err, fmt.Sprintf("workflow %q", in.Name))
	}
	input, err := decodeInput(in.RawBody)
	if err != nil {
		return nil, err
	}
	if err := s.inputs.validate(def.Plan, input); err != nil {
		return nil, err
	}
	opts := workflows.StartOptions{TaskQueue: s.TaskQueue, ID: in.Name + "-" + uuid.NewString()}
	if in.IdempotencyKey != "" {
		// A running run with the key is returned, and so is a closed one,
		// since the SDK answers an already-started error with that run.
		opts.ID = in.Name + "-key-" + in.IdempotencyKey
		opts.IDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
		opts.IDReusePolicy = enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE
	}
	run, err := workflows.Start(ctx, s.Temporal, def.Plan, input, opts)
	if err != nil {
		return nil, backendProblem(err, "starting the run")
	}
	out := &runOutput{Status: http.StatusAccepted, Location: runLocation(run.GetID()), Body: Run{
		ID: run.GetID(), RunID: run.GetRunID(), Workflow: def.Name, Definition: def.Plan.ShortHash(),
		Status: "running", StartedAt: time.Now().UTC(), UIURL: s.uiLink(run.GetID(), run.GetRunID()),
	}}
	if wait > 0 {
		wctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		if s.awaitResult(wctx, run, &out.Body) {
			out.Status = http.StatusOK
		}
	}
	return out, nil
}

// awaitResult waits for run to end and fills the result or error into r;
// it reports false when ctx ended first.
func (s *service) awaitResult(ctx context.Context, run client.WorkflowRun, r *Run) bool {
	var result any
	err := run.Get(ctx, &result)
	// The SDK's long poll may time out a moment before ctx reports it.
	var deadline *serviceerror.DeadlineExceeded
	if err != nil && (ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &deadline)) {
		return false
	}
	r.RunID = run.GetRunID()
	now := time.Now().UTC()
	r.ClosedAt = &now
	if err == nil {
		r.Status, r.Result = "completed", result
		return true
	}
	r.Status, r.Error = "failed", runError(err)
	var canceled *temporal.CanceledError
	var terminated *temporal.TerminatedError
	var timeout *temporal.TimeoutError
	switch {
	case errors.As(err, &canceled):
		r.Status = "canceled"
	case errors.As(err, &terminated):
		r.Status = "terminated"
	case errors.As(err, &timeout):
		r.Status = "timedOut"
	}
	return true
}

// runError keeps the innermost typed cause, which is what names the step.
func runError(err error) *RunError {
	out := &RunError{Message: err.Error()}
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		out.Type, out.Message = app.Type(), app.Message()
	}
	return out
}

func runLocation(id string) string { return "/v1/runs/" + url.PathEscape(id) }

func (s *service) uiLink(id, runID string) string {
	if s.UIURL == "" {
		return ""
	}
	return fmt.Sprintf("%s/namespaces/%s/workflows/%s/%s", s.UIURL, url.PathEscape(s.Namespace), url.PathEscape(id), url.PathEscape(runID))
}

var statusNames = map[enumspb.WorkflowExecutionStatus]string{
	enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:          "running",
	enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:        "completed",
	enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:           "failed",
	enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:         "canceled",
	enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:       "terminated",
	enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:        "timedOut",
	enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW: "continuedAsNew",
}

var dataConverter = converter.GetDefaultDataConverter()

// decodePayloads reads the first payload; what cannot be decoded is shown
// as its error rather than hiding the rest of the run.
func decodePayloads(p *commonpb.Payloads) any {
	if len(p.GetPayloads()) == 0 {
		return nil
	}
	var v any
	if err := dataConverter.FromPayload(p.GetPayloads()[0], &v); err != nil {
		return fmt.Sprintf("undecodable payload: %v", err)
	}
	return v
}

// keyword reads a keyword search attribute; an absent one is empty.
func keyword(p *commonpb.Payload) string {
	var s string
	if p != nil && dataConverter.FromPayload(p, &s) != nil {
		return ""
	}
	return s
}
