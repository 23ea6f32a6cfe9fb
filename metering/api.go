package metering

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// UsageInput selects usage for GET /v1/usage.
type UsageInput struct {
	GroupBy    string    `query:"groupBy" enum:"function,workflow,run" default:"function" doc:"what the usage is summed by"`
	From       time.Time `query:"from" doc:"attempts that started at or after this time (RFC 3339); default: everything"`
	To         time.Time `query:"to" doc:"attempts that started before this time (RFC 3339); default: now"`
	Function   string    `query:"function" doc:"only this function (activity type)"`
	Workflow   string    `query:"workflow" doc:"only this workflow name"`
	WorkflowID string    `query:"workflowId" doc:"only runs of this workflow id"`
	RunID      string    `query:"runId" doc:"only this run"`
}

// UsageOutput is the body of GET /v1/usage.
type UsageOutput struct {
	Body struct {
		GroupBy string  `json:"groupBy"`
		Groups  []Group `json:"groups" nullable:"false"`
		Total   Usage   `json:"total"`
	}
}

// RegisterAPI adds GET /v1/usage to a.
func RegisterAPI(a huma.API, l *Ledger) {
	huma.Register(a, huma.Operation{
		OperationID: "get-usage",
		Method:      http.MethodGet,
		Path:        "/v1/usage",
		Summary:     "Usage and cost",
		Description: "Sums the metered activity attempts (retries, failures and timeouts included) and their cost, by function, workflow or run, over a time range. Each attempt is billed its duration rounded up to the millisecond.",
		Tags:        []string{"Metering"},
	}, func(ctx context.Context, in *UsageInput) (*UsageOutput, error) {
		if !in.From.IsZero() && !in.To.IsZero() && !in.From.Before(in.To) {
			return nil, huma.Error422UnprocessableEntity("the time range is empty", &huma.ErrorDetail{
				Location: "query.to", Message: "to must be after from: give from=2025-01-01T00:00:00Z&to=2025-02-01T00:00:00Z", Value: in.To,
			})
		}
		groups, total, err := l.Usage(ctx, Query{From: in.From, To: in.To, Function: in.Function, Workflow: in.Workflow,
			WorkflowID: in.WorkflowID, RunID: in.RunID, GroupBy: GroupBy(in.GroupBy)})
		if err != nil {
			return nil, huma.Error500InternalServerError("summing usage", err)
		}
		out := &UsageOutput{}
		out.Body.GroupBy, out.Body.Groups, out.Body.Total = in.GroupBy, groups, total
		if out.Body.Groups == nil {
			out.Body.Groups = []Group{}
		}
		return out, nil
	})
}
