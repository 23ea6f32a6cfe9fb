package api

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/fnchain/orchestrator/dsl"
	"github.com/fnchain/orchestrator/internal/catalog"
	"github.com/fnchain/orchestrator/internal/connect"
	"github.com/fnchain/orchestrator/workflows"
)

// WorkflowSummary is one deployed workflow in a list.
type WorkflowSummary struct {
	Name        string    `json:"name" example:"order-fulfilment"`
	Description string    `json:"description,omitempty"`
	Version     int       `json:"version" doc:"the current version; every deploy that changes the definition adds one"`
	Hash        string    `json:"hash" doc:"sha256 of the compiled definition"`
	File        string    `json:"file" doc:"the file it was deployed from"`
	DeployedAt  time.Time `json:"deployedAt"`
}

// WorkflowVersion is one version of a workflow.
type WorkflowVersion struct {
	Version    int       `json:"version"`
	Hash       string    `json:"hash"`
	DeployedAt time.Time `json:"deployedAt"`
}

// WorkflowDetail is a deployed workflow with its definition.
type WorkflowDetail struct {
	WorkflowSummary
	Source      string            `json:"source" doc:"the YAML as deployed"`
	TaskQueue   string            `json:"taskQueue"`
	Versions    []WorkflowVersion `json:"versions" doc:"newest first"`
	Triggers    []any             `json:"triggers" doc:"the compiled triggers"`
	InputSchema any               `json:"inputSchema,omitempty" doc:"JSON Schema of the run input; absent accepts any input"`
}

// DeployedWorkflow reports what a deploy did to one workflow.
type DeployedWorkflow struct {
	Name    string `json:"name"`
	Version int    `json:"version"`
	Hash    string `json:"hash"`
	Changed bool   `json:"changed" doc:"false when the definition equals the current version, which then stays"`
}

// ValidWorkflow is one workflow of a valid file.
type ValidWorkflow struct {
	Name string `json:"name"`
	Hash string `json:"hash"`
}

// WorkflowPathParam is the workflow name in a path.
type WorkflowPathParam struct {
	Name string `path:"name" pattern:"^[a-z0-9][a-z0-9._-]*$" maxLength:"200" doc:"workflow name" example:"order-fulfilment"`
}

// YAMLFileBody is a workflow file sent as the request body.
type YAMLFileBody struct {
	RawBody []byte `contentType:"application/yaml" doc:"a workflow file; several workflows are separated by ---"`
}

// FileQueryParam names the file that problems are reported against.
type FileQueryParam struct {
	File string `query:"file" maxLength:"200" default:"workflow.yaml" doc:"the file name that problems are reported against"`
}

type listWorkflowsOutput struct {
	Body struct {
		Workflows []WorkflowSummary `json:"workflows"`
	}
}

type workflowOutput struct{ Body WorkflowDetail }

type deployOutput struct {
	Body struct {
		Workflows []DeployedWorkflow `json:"workflows"`
	}
}

type validateOutput struct {
	Body struct {
		Valid     bool            `json:"valid"`
		Workflows []ValidWorkflow `json:"workflows"`
	}
}

const tagWorkflows = "Workflows"

func registerWorkflows(a huma.API, s *service) {
	huma.Register(a, s.op(huma.Operation{
		OperationID: "listWorkflows", Method: http.MethodGet, Path: "/v1/workflows",
		Summary: "List deployed workflows", Tags: []string{tagWorkflows},
	}, ScopeRead), func(ctx context.Context, _ *struct{}) (*listWorkflowsOutput, error) {
		defs, err := s.Catalog.List(ctx)
		if err != nil {
			return nil, backendProblem(err, "listing workflows")
		}
		out := &listWorkflowsOutput{}
		out.Body.Workflows = make([]WorkflowSummary, len(defs))
		for i, d := range defs {
			out.Body.Workflows[i] = summary(d)
		}
		return out, nil
	})

	huma.Register(a, s.op(huma.Operation{
		OperationID: "getWorkflow", Method: http.MethodGet, Path: "/v1/workflows/{name}",
		Summary: "Get a workflow", Description: "The current definition with its source, versions, triggers and input schema.",
		Tags: []string{tagWorkflows}, Errors: []int{404},
	}, ScopeRead), func(ctx context.Context, in *WorkflowPathParam) (*workflowOutput, error) {
		return s.getWorkflow(ctx, in.Name)
	})

	huma.Register(a, s.op(huma.Operation{
		OperationID: "deployWorkflow", Method: http.MethodPut, Path: "/v1/workflows/{name}",
		Summary:     "Deploy a workflow",
		Description: "Validates the YAML exactly as `orchestrator validate` does and makes it the current version. The file must define the workflow of the path and only it. Nothing is stored when anything is wrong.",
		Tags:        []string{tagWorkflows}, Errors: []int{422},
	}, ScopeAdmin), func(ctx context.Context, in *struct {
		WorkflowPathParam
		YAMLFileBody
	}) (*deployOutput, error) {
		return s.deploy(ctx, in.Name+".yaml", in.RawBody, in.Name)
	})

	huma.Register(a, s.op(huma.Operation{
		OperationID: "deployWorkflows", Method: http.MethodPost, Path: "/v1/workflows",
		Summary: "Deploy a file of workflows", Description: "Deploys every workflow of the file, or none when any is wrong.",
		Tags: []string{tagWorkflows}, Errors: []int{422},
	}, ScopeAdmin), func(ctx context.Context, in *struct {
		FileQueryParam
		YAMLFileBody
	}) (*deployOutput, error) {
		return s.deploy(ctx, in.File, in.RawBody, "")
	})

	huma.Register(a, s.op(huma.Operation{
		OperationID: "validateWorkflows", Method: http.MethodPost, Path: "/v1/validate",
		Summary: "Validate a workflow file", Description: "Reports every problem of the file as `orchestrator validate` does, without deploying anything.",
		Tags: []string{tagWorkflows}, Errors: []int{422},
	}, ScopeRead), func(ctx context.Context, in *struct {
		FileQueryParam
		YAMLFileBody
	}) (*validateOutput, error) {
		plans, err := dsl.Load(in.File, in.RawBody, s.Registry)
		if err != nil {
			return nil, fileProblem(err)
		}
		out := &validateOutput{}
		out.Body.Valid = true
		for _, p := range plans {
			out.Body.Workflows = append(out.Body.Workflows, ValidWorkflow{Name: p.Name, Hash: p.Hash})
		}
		return out, nil
	})

	huma.Register(a, s.op(huma.Operation{
		OperationID: "deleteWorkflow", Method: http.MethodDelete, Path: "/v1/workflows/{name}", DefaultStatus: http.StatusNoContent,
		Summary: "Undeploy a workflow", Description: "New runs can no longer start; runs in flight keep their definition, and its versions stay stored.",
		Tags: []string{tagWorkflows}, Errors: []int{404},
	}, ScopeAdmin), func(ctx context.Context, in *WorkflowPathParam) (*struct{}, error) {
		if err := s.Catalog.Delete(ctx, in.Name); err != nil {
			return nil, backendProblem(err, fmt.Sprintf("workflow %q", in.Name))
		}
		return nil, nil
	})
}

// deploy validates and stores a file. want, when set, is the one workflow
// the file must define.
func (s *service) deploy(ctx context.Context, file string, src []byte, want string) (*deployOutput, error) {
	plans, err := dsl.Load(file, src, s.Registry)
	if err != nil {
		return nil, fileProblem(err)
	}
	if want != "" && (len(plans) != 1 || plans[0].Name != want) {
		return nil, huma.Error422UnprocessableEntity("the file does not define exactly this workflow", &huma.ErrorDetail{
			Location: "body",
			Message:  fmt.Sprintf("the file defines %s, the path names %q: PUT a file with only %q here, or POST the file to /v1/workflows", names(plans), want, want),
		})
	}
	// Search attributes first: a definition whose runs cannot set them must
	// not become current.
	attrs := map[string]enumspb.IndexedValueType{}
	for _, p := range plans {
		maps.Copy(attrs, workflows.PlanSearchAttributes(p))
	}
	if len(attrs) > 0 {
		if err := connect.EnsureSearchAttributes(ctx, s.Temporal, s.Namespace, attrs); err != nil {
			var rpc serviceerror.ServiceError
			if errors.As(err, &rpc) {
				return nil, backendProblem(err, "registering search attributes")
			}
			// An attribute the namespace has with another type.
			return nil, huma.Error422UnprocessableEntity("the search attributes conflict with the namespace", &huma.ErrorDetail{Location: "body", Message: err.Error()})
		}
	}
	deployed, err := s.Catalog.Deploy(ctx, file, src)
	if err != nil {
		return nil, backendProblem(fileProblem(err), "deploying "+file)
	}
	out := &deployOutput{}
	for _, d := range deployed {
		out.Body.Workflows = append(out.Body.Workflows, DeployedWorkflow{
			Name: d.Definition.Name, Version: d.Definition.Version, Hash: d.Definition.Hash, Changed: d.Changed,
		})
	}
	return out, nil
}

func names(plans []*dsl.Workflow) string {
	quoted := make([]string, len(plans))
	for i, p := range plans {
		quoted[i] = strconv.Quote(p.Name)
	}
	return strings.Join(quoted, ", ")
}

func (s *service) getWorkflow(ctx context.Context, name string) (*workflowOutput, error) {
	what := fmt.Sprintf("workflow %q", name)
	d, err := s.Catalog.Get(ctx, name)
	if err != nil {
		return nil, backendProblem(err, what)
	}
	versions, err := s.Catalog.Versions(ctx, name)
	if err != nil {
		return nil, backendProblem(err, what)
	}
	out := &workflowOutput{Body: WorkflowDetail{
		WorkflowSummary: summary(d),
		Source:          string(d.Source),
		TaskQueue:       cmp.Or(d.Plan.TaskQueue, s.TaskQueue),
		Triggers:        []any{},
	}}
	for _, v := range versions {
		out.Body.Versions = append(out.Body.Versions, WorkflowVersion{Version: v.Version, Hash: v.Hash, DeployedAt: v.DeployedAt})
	}
	if len(d.Plan.Triggers) > 0 {
		raw, err := json.Marshal(d.Plan.Triggers)
		if err == nil {
			err = json.Unmarshal(raw, &out.Body.Triggers)
		}
		if err != nil {
			return nil, backendProblem(err, "encoding triggers")
		}
	}
	if len(d.Plan.Input) > 0 {
		if err := json.Unmarshal(d.Plan.Input, &out.Body.InputSchema); err != nil {
			return nil, backendProblem(err, "decoding the input schema")
		}
	}
	return out, nil
}

func summary(d *catalog.Definition) WorkflowSummary {
	return WorkflowSummary{
		Name: d.Name, Description: d.Plan.Description, Version: d.Version, Hash: d.Hash, File: d.File, DeployedAt: d.DeployedAt,
	}
}
