package api

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/fnchain/orchestrator/workflows"
)

// queryTimeout bounds the progress query: a run whose workers are all down
// answers from its history instead.
const queryTimeout = 3 * time.Second

type getRunOutput struct{ Body Run }

type listRunsInput struct {
	Workflow      string    `query:"workflow" pattern:"^[a-z0-9][a-z0-9._-]*$" maxLength:"200" doc:"only runs of this workflow"`
	Status        string    `query:"status" enum:"running,completed,failed,canceled,terminated,timedOut,continuedAsNew," doc:"only runs in this status"`
	StartedAfter  time.Time `query:"startedAfter" doc:"only runs started at or after this time (RFC 3339)"`
	StartedBefore time.Time `query:"startedBefore" doc:"only runs started before this time (RFC 3339)"`
	PageSize      int       `query:"pageSize" minimum:"1" maximum:"1000" default:"50"`
	PageToken     string    `query:"pageToken" maxLength:"4096" doc:"nextPageToken of the previous page"`
}

// RunSummary is one run in a list.
type RunSummary struct {
	ID         string     `json:"id"`
	RunID      string     `json:"runId"`
	Workflow   string     `json:"workflow"`
	Definition string     `json:"definition,omitempty"`
	Status     string     `json:"status"`
	StartedAt  time.Time  `json:"startedAt"`
	ClosedAt   *time.Time `json:"closedAt,omitempty"`
	UIURL      string     `json:"uiUrl,omitempty"`
}

type listRunsOutput struct {
	Body struct {
		Runs          []RunSummary `json:"runs"`
		NextPageToken string       `json:"nextPageToken,omitempty"`
	}
}

type payloadInput struct {
	RunPathParam
	Name    string `path:"name" maxLength:"200" doc:"signal or update name, as the wait step names it"`
	RawBody []byte `contentType:"application/json"`
}

type terminateInput struct {
	RunPathParam
	Body struct {
		Reason string `json:"reason,omitempty" maxLength:"1000"`
	} `required:"false"`
}

type updateOutput struct {
	Body struct {
		Result any `json:"result"`
	}
}

type timelineOutput struct {
	Body struct {
		Steps []TimelineEntry `json:"steps"`
	}
}

func registerRuns(a huma.API, s *service) {
	registerStart(a, s)
	tags := []string{tagRuns}
	huma.Register(a, s.op(huma.Operation{
		OperationID: "getRun", Method: http.MethodGet, Path: "/v1/runs/{id}",
		Summary: "Get a run", Description: "Status, the steps running and finished with their outputs, the result or error, and a link to Temporal UI.",
		Tags: tags, Errors: []int{404},
	}, ScopeRead), func(ctx context.Context, in *RunPathParam) (*getRunOutput, error) {
		r, err := s.getRun(ctx, in.ID, in.RunID)
		if err != nil {
			return nil, err
		}
		return &getRunOutput{Body: *r}, nil
	})

	result := s.op(huma.Operation{
		OperationID: "getRunResult", Method: http.MethodGet, Path: "/v1/runs/{id}/result",
		Summary: "Get a run's result", Description: "200 with the result or error once the run ended; 202 while it runs (waiting up to ?wait first).",
		Tags: tags, Errors: []int{404},
		Responses: map[string]*huma.Response{"202": {Description: "The run has not ended yet."}},
	}, ScopeRead)
	huma.Register(a, result, func(ctx context.Context, in *struct {
		RunPathParam
		WaitQueryParam
	}) (*runOutput, error) {
		wait, err := in.duration()
		if err != nil {
			return nil, err
		}
		r, err := s.getRun(ctx, in.ID, in.RunID)
		if err != nil {
			return nil, err
		}
		out := &runOutput{Status: http.StatusOK, Body: *r}
		if r.Status == "running" {
			out.Status, out.Location = http.StatusAccepted, runLocation(in.ID)
			wctx, cancel := context.WithTimeout(ctx, wait)
			defer cancel()
			if s.awaitResult(wctx, s.Temporal.GetWorkflow(ctx, in.ID, in.RunID), &out.Body) {
				out.Status = http.StatusOK
			}
		}
		return out, nil
	})
	sameBody(a, result, "200", "202")

	huma.Register(a, s.op(huma.Operation{
		OperationID: "listRuns", Method: http.MethodGet, Path: "/v1/runs",
		Summary: "List runs", Description: "Newest first, filtered by workflow, status and start time, from Temporal's visibility store (which may lag a second behind).",
		Tags: tags,
	}, ScopeRead), s.listRuns)

	huma.Register(a, s.op(huma.Operation{
		OperationID: "cancelRun", Method: http.MethodPost, Path: "/v1/runs/{id}/cancel", DefaultStatus: http.StatusAccepted,
		Summary: "Cancel a run", Description: "Asks the run to cancel: compensations run and the run ends canceled.",
		Tags: tags, Errors: []int{404, 409},
	}, ScopeRun), func(ctx context.Context, in *RunPathParam) (*struct{}, error) {
		return nil, backendProblem(s.Temporal.CancelWorkflow(ctx, in.ID, in.RunID), runWhat(in.ID))
	})

	huma.Register(a, s.op(huma.Operation{
		OperationID: "terminateRun", Method: http.MethodPost, Path: "/v1/runs/{id}/terminate", DefaultStatus: http.StatusNoContent,
		Summary: "Terminate a run", Description: "Ends the run at once; nothing of it runs any more, not even compensations.",
		Tags: tags, Errors: []int{404, 409},
	}, ScopeRun), func(ctx context.Context, in *terminateInput) (*struct{}, error) {
		reason := in.Body.Reason
		if reason == "" {
			reason = "terminated through the api"
		}
		return nil, backendProblem(s.Temporal.TerminateWorkflow(ctx, in.ID, in.RunID, reason), runWhat(in.ID))
	})

	signal := s.op(huma.Operation{
		OperationID: "signalRun", Method: http.MethodPost, Path: "/v1/runs/{id}/signals/{name}", DefaultStatus: http.StatusAccepted, SkipValidateBody: true,
		Summary: "Signal a run", Description: "Delivers the body to the wait step waiting for this name, now or when it gets there.",
		Tags: tags, Errors: []int{400, 404, 409},
	}, ScopeRun)
	huma.Register(a, signal, func(ctx context.Context, in *payloadInput) (*struct{}, error) {
		payload, err := decodeInput(in.RawBody)
		if err != nil {
			return nil, err
		}
		return nil, backendProblem(s.Temporal.SignalWorkflow(ctx, in.ID, in.RunID, in.Name, payload), runWhat(in.ID))
	})
	a.OpenAPI().Paths[signal.Path].Post.RequestBody = anyJSONBody("the payload, which becomes the wait step's output")

	update := s.op(huma.Operation{
		OperationID: "updateRun", Method: http.MethodPost, Path: "/v1/runs/{id}/updates/{name}", SkipValidateBody: true,
		Summary: "Send an update to a run", Description: "Delivers the body to a wait step waiting for this name now; 409 when no step waits for it.",
		Tags: tags, Errors: []int{400, 404, 409},
	}, ScopeRun)
	huma.Register(a, update, func(ctx context.Context, in *payloadInput) (*updateOutput, error) {
		payload, err := decodeInput(in.RawBody)
		if err != nil {
			return nil, err
		}
		h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: in.ID, RunID: in.RunID, UpdateName: in.Name, Args: []any{payload},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		out := &updateOutput{}
		if err == nil {
			err = h.Get(ctx, &out.Body.Result)
		}
		var app *temporal.ApplicationError
		if errors.As(err, &app) {
			return nil, huma.Error409Conflict(fmt.Sprintf("the run rejected update %s: %s", in.Name, app.Message()))
		}
		if err != nil {
			return nil, backendProblem(err, runWhat(in.ID))
		}
		return out, nil
	})
	a.OpenAPI().Paths[update.Path].Post.RequestBody = anyJSONBody("the payload, which becomes the wait step's output")

	huma.Register(a, s.op(huma.Operation{
		OperationID: "getRunTimeline", Method: http.MethodGet, Path: "/v1/runs/{id}/timeline",
		Summary: "A run's step timeline", Description: "Every activity, timer, child run, signal and update of the run, in order, from its history.",
		Tags: tags, Errors: []int{404},
	}, ScopeRead), func(ctx context.Context, in *RunPathParam) (*timelineOutput, error) {
		h, err := s.readHistory(ctx, in.ID, in.RunID)
		if err != nil {
			return nil, backendProblem(err, runWhat(in.ID))
		}
		out := &timelineOutput{}
		out.Body.Steps = h.timeline
		return out, nil
	})
}

func runWhat(id string) string { return fmt.Sprintf("run %q", id) }

func (s *service) getRun(ctx context.Context, id, runID string) (*Run, error) {
	desc, err := s.Temporal.DescribeWorkflowExecution(ctx, id, runID)
	if err != nil {
		return nil, backendProblem(err, runWhat(id))
	}
	info := desc.GetWorkflowExecutionInfo()
	r := &Run{
		ID: id, RunID: info.GetExecution().GetRunId(), Workflow: info.GetType().GetName(),
		Definition: keyword(info.GetSearchAttributes().GetIndexedFields()[workflows.SearchDefinition]),
		Status:     statusNames[info.GetStatus()], StartedAt: info.GetStartTime().AsTime(),
	}
	r.UIURL = s.uiLink(id, r.RunID)
	if ct := info.GetCloseTime(); ct != nil {
		t := ct.AsTime()
		r.ClosedAt = &t
	}
	progress, queried := workflows.Progress{}, false
	if r.Status == "running" {
		qctx, cancel := context.WithTimeout(ctx, queryTimeout)
		v, err := s.Temporal.QueryWorkflow(qctx, id, r.RunID, workflows.QueryProgress)
		cancel()
		queried = err == nil && v.Get(&progress) == nil
	}
	if !queried {
		h, err := s.readHistory(ctx, id, r.RunID)
		if err != nil {
			return nil, backendProblem(err, runWhat(id))
		}
		progress, r.Result, r.Error = h.progress(), h.result, h.err
	}
	r.Current, r.Waiting, r.Completed, r.CompletedCount = progress.Current, progress.Waiting, progress.Completed, progress.CompletedCount
	if s.Usage != nil {
		if r.Usage, err = s.Usage.RunUsage(ctx, id, r.RunID); err != nil {
			return nil, backendProblem(err, "reading the usage of "+runWhat(id))
		}
	}
	return r, nil
}

var visibilityStatus = map[string]string{
	"running": "Running", "completed": "Completed", "failed": "Failed", "canceled": "Canceled",
	"terminated": "Terminated", "timedOut": "TimedOut", "continuedAsNew": "ContinuedAsNew",
}

// listRuns builds a visibility query from validated parameters only: the
// workflow name is held to the DSL's name pattern, so it cannot escape the
// quotes.
func (s *service) listRuns(ctx context.Context, in *listRunsInput) (*listRunsOutput, error) {
	conds := []string{workflows.SearchWorkflow + " IS NOT NULL"}
	if in.Workflow != "" {
		conds = []string{fmt.Sprintf("%s = '%s'", workflows.SearchWorkflow, in.Workflow)}
	}
	if in.Status != "" {
		conds = append(conds, fmt.Sprintf("ExecutionStatus = '%s'", visibilityStatus[in.Status]))
	}
	if !in.StartedAfter.IsZero() {
		conds = append(conds, fmt.Sprintf("StartTime >= '%s'", in.StartedAfter.UTC().Format(time.RFC3339Nano)))
	}
	if !in.StartedBefore.IsZero() {
		conds = append(conds, fmt.Sprintf("StartTime < '%s'", in.StartedBefore.UTC().Format(time.RFC3339Nano)))
	}
	token, err := base64.RawURLEncoding.DecodeString(in.PageToken)
	if err != nil {
		return nil, huma.Error422UnprocessableEntity("bad page token", &huma.ErrorDetail{Location: "query.pageToken", Message: "not a token this api returned: pass nextPageToken of the previous page"})
	}
	resp, err := s.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: s.Namespace, PageSize: int32(in.PageSize), NextPageToken: token,
		Query: strings.Join(conds, " AND "),
	})
	if err != nil {
		return nil, backendProblem(err, "listing runs")
	}
	out := &listRunsOutput{}
	out.Body.Runs = make([]RunSummary, 0, len(resp.GetExecutions()))
	for _, e := range resp.GetExecutions() {
		rs := RunSummary{
			ID: e.GetExecution().GetWorkflowId(), RunID: e.GetExecution().GetRunId(), Workflow: e.GetType().GetName(),
			Definition: keyword(e.GetSearchAttributes().GetIndexedFields()[workflows.SearchDefinition]),
			Status:     statusNames[e.GetStatus()], StartedAt: e.GetStartTime().AsTime(),
		}
		if ct := e.GetCloseTime(); ct != nil {
			t := ct.AsTime()
			rs.ClosedAt = &t
		}
		rs.UIURL = s.uiLink(rs.ID, rs.RunID)
		out.Body.Runs = append(out.Body.Runs, rs)
	}
	out.Body.NextPageToken = base64.RawURLEncoding.EncodeToString(resp.GetNextPageToken())
	return out, nil
}
