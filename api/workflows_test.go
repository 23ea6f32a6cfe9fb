package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2/humatest"
)

const yamlType = "Content-Type: application/yaml"

const greetYAML = `name: greet
description: says hello
input:
  type: object
  required: [who]
  properties:
    who: {type: string}
    times: {type: integer, minimum: 1}
steps:
  - id: hello
    name: say hello
    call: noop
    with: {to: "${{ input.who }}"}
output: ${{ steps.hello.output }}
`

// problem decodes a problem+json answer and checks its status.
type problem struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Message  string `json:"message"`
		Location string `json:"location"`
		Value    any    `json:"value"`
	} `json:"errors"`
}

func wantProblem(t *testing.T, resp *httptest.ResponseRecorder, status int) problem {
	t.Helper()
	if resp.Code != status {
		t.Fatalf("status %d, want %d: %s", resp.Code, status, resp.Body)
	}
	if ct := resp.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json: %s", ct, resp.Body)
	}
	var p problem
	if err := json.Unmarshal(resp.Body.Bytes(), &p); err != nil {
		t.Fatalf("decoding the problem: %v: %s", err, resp.Body)
	}
	return p
}

func wantStatus(t *testing.T, resp *httptest.ResponseRecorder, status int, into any) {
	t.Helper()
	if resp.Code != status {
		t.Fatalf("status %d, want %d: %s", resp.Code, status, resp.Body)
	}
	if into != nil {
		if err := json.Unmarshal(resp.Body.Bytes(), into); err != nil {
			t.Fatalf("decoding: %v: %s", err, resp.Body)
		}
	}
}

func deploy(t *testing.T, a humatest.TestAPI, name, src string) {
	t.Helper()
	wantStatus(t, a.Put("/v1/workflows/"+name, yamlType, strings.NewReader(src)), http.StatusOK, nil)
}

func TestDeployGetListDelete(t *testing.T) {
	a, _ := newTestAPI(t, nil)
	var dep deployOutput
	wantStatus(t, a.Put("/v1/workflows/greet", yamlType, strings.NewReader(greetYAML)), http.StatusOK, &dep.Body)
	if len(dep.Body.Workflows) != 1 || dep.Body.Workflows[0].Version != 1 || !dep.Body.Workflows[0].Changed {
		t.Fatalf("first deploy: %+v", dep.Body)
	}
	wantStatus(t, a.Put("/v1/workflows/greet", yamlType, strings.NewReader("# same\n"+greetYAML)), http.StatusOK, &dep.Body)
	if dep.Body.Workflows[0].Changed || dep.Body.Workflows[0].Version != 1 {
		t.Fatalf("an unchanged redeploy made a version: %+v", dep.Body)
	}
	deploy(t, a, "greet", strings.Replace(greetYAML, "says hello", "says hi", 1))

	var got WorkflowDetail
	wantStatus(t, a.Get("/v1/workflows/greet"), http.StatusOK, &got)
	if got.Version != 2 || len(got.Versions) != 2 || got.Description != "says hi" || !strings.Contains(got.Source, "says hi") || got.TaskQueue != "fnchain" {
		t.Fatalf("get: %+v", got)
	}
	if schema, _ := got.InputSchema.(map[string]any); schema["type"] != "object" {
		t.Fatalf("input schema: %#v", got.InputSchema)
	}

	var list listWorkflowsOutput
	wantStatus(t, a.Get("/v1/workflows"), http.StatusOK, &list.Body)
	if len(list.Body.Workflows) != 1 || list.Body.Workflows[0].Name != "greet" {
		t.Fatalf("list: %+v", list.Body)
	}

	wantStatus(t, a.Delete("/v1/workflows/greet"), http.StatusNoContent, nil)
	wantProblem(t, a.Get("/v1/workflows/greet"), http.StatusNotFound)
	wantProblem(t, a.Delete("/v1/workflows/greet"), http.StatusNotFound)
}

func TestDeployFileOfWorkflows(t *testing.T) {
	a, _ := newTestAPI(t, nil)
	two := greetYAML + "---\n" + strings.Replace(greetYAML, "name: greet", "name: greet-again", 1)
	var dep deployOutput
	wantStatus(t, a.Post("/v1/workflows?file=both.yaml", yamlType, strings.NewReader(two)), http.StatusOK, &dep.Body)
	if len(dep.Body.Workflows) != 2 {
		t.Fatalf("deployed %+v", dep.Body)
	}
	// PUT takes only a file of the workflow the path names.
	p := wantProblem(t, a.Put("/v1/workflows/greet", yamlType, strings.NewReader(two)), http.StatusUnprocessableEntity)
	if len(p.Errors) != 1 || !strings.Contains(p.Errors[0].Message, `"greet-again"`) {
		t.Fatalf("problem: %+v", p)
	}
}

func TestBadFilesAreRejectedWithPositionsAndStoreNothing(t *testing.T) {
	a, _ := newTestAPI(t, nil)
	bad := strings.NewReplacer("call: noop", "call: nope", "output:", "  - call: log\n    with: {mesage: x}\noutput:").Replace(greetYAML)
	for _, path := range []string{"/v1/workflows/greet", "/v1/workflows?file=greet.yaml", "/v1/validate?file=greet.yaml"} {
		method := http.MethodPost
		if !strings.Contains(path, "?") {
			method = http.MethodPut
		}
		p := wantProblem(t, a.Do(method, path, yamlType, strings.NewReader(bad)), http.StatusUnprocessableEntity)
		if len(p.Errors) < 2 {
			t.Fatalf("%s: want every problem, got %+v", path, p)
		}
		for _, e := range p.Errors {
			if e.Location != "body" || !strings.HasPrefix(e.Message, "greet.yaml:") {
				t.Fatalf("%s: problem without a position: %+v", path, e)
			}
		}
		if !strings.Contains(p.Errors[0].Message, `greet.yaml:12:11: step "hello": unknown function "nope" (did you mean "noop"?)`) {
			t.Fatalf("%s: first problem %q", path, p.Errors[0].Message)
		}
	}
	wantProblem(t, a.Put("/v1/workflows/greet", yamlType, strings.NewReader("")), http.StatusBadRequest)
	for _, body := range []string{"{{{", "name: [1", "- just\n- a list\n", "name: greet\n"} {
		wantProblem(t, a.Put("/v1/workflows/greet", yamlType, strings.NewReader(body)), http.StatusUnprocessableEntity)
	}
	wantProblem(t, a.Put("/v1/workflows/Bad_Name", yamlType, strings.NewReader(greetYAML)), http.StatusUnprocessableEntity)
	var list listWorkflowsOutput
	wantStatus(t, a.Get("/v1/workflows"), http.StatusOK, &list.Body)
	if len(list.Body.Workflows) != 0 {
		t.Fatalf("a failed deploy stored %+v", list.Body)
	}
	huge := strings.NewReader(greetYAML + "# " + strings.Repeat("x", 1<<20) + "\n")
	wantProblem(t, a.Put("/v1/workflows/greet", yamlType, huge), http.StatusRequestEntityTooLarge)
}

func TestValidateDoesNotDeploy(t *testing.T) {
	a, _ := newTestAPI(t, nil)
	var out validateOutput
	wantStatus(t, a.Post("/v1/validate", yamlType, strings.NewReader(greetYAML)), http.StatusOK, &out.Body)
	if !out.Body.Valid || len(out.Body.Workflows) != 1 || out.Body.Workflows[0].Name != "greet" {
		t.Fatalf("validate: %+v", out.Body)
	}
	wantProblem(t, a.Get("/v1/workflows/greet"), http.StatusNotFound)
}

func TestOpenAPIHasAnOperationPerWorkflow(t *testing.T) {
	a, _ := newTestAPI(t, nil)
	deploy(t, a, "greet", greetYAML)
	resp := a.Get("/openapi.json")
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			RequestBody struct {
				Content map[string]struct {
					Schema map[string]any `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	wantStatus(t, resp, http.StatusOK, &doc)
	op := doc.Paths["/v1/workflows/greet/runs"]["post"]
	if op.OperationID != "startGreet" {
		t.Fatalf("operation %+v", op)
	}
	if req, _ := op.RequestBody.Content["application/json"].Schema["required"].([]any); len(req) != 1 || req[0] != "who" {
		t.Fatalf("request schema %+v", op.RequestBody)
	}
	if doc.Paths["/v1/workflows/{name}/runs"]["post"].OperationID != "startRun" {
		t.Fatal("the generic start operation is missing")
	}
	// A workflow deployed later appears without a restart.
	deploy(t, a, "greet-again", strings.Replace(greetYAML, "name: greet", "name: greet-again", 1))
	if y := a.Get("/openapi.yaml"); y.Code != http.StatusOK || !strings.Contains(y.Body.String(), "operationId: startGreetAgain") {
		t.Fatalf("yaml: %d %s", y.Code, y.Body)
	}
	if d := a.Get("/docs"); d.Code != http.StatusOK || !strings.Contains(d.Body.String(), "/openapi.yaml") {
		t.Fatalf("docs: %d", d.Code)
	}
}

func TestOperationIDsStayUnique(t *testing.T) {
	used := map[string]bool{"startRun": true}
	if got := unique(used, "startRun"); got != "startRun2" {
		t.Fatalf("got %s", got)
	}
	if pascal("order-fulfilment.v2_x") != "OrderFulfilmentV2X" {
		t.Fatal(pascal("order-fulfilment.v2_x"))
	}
}
