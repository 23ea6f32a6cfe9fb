package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"go.temporal.io/sdk/client"
)

// do serves one request without humatest's logging, which would dominate
// a fuzzing run.
func do(a huma.API, method, path, contentType, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	resp := httptest.NewRecorder()
	a.Adapter().ServeHTTP(resp, req)
	return resp
}

// The fuzzers check that no body makes an operation fail with a 5xx or
// answer outside problem+json, and that a rejected deploy stores nothing.
// They run without Temporal, whose client here reaches nothing: their
// seeds and what grows from them stay before the first Temporal call, and
// the operation tests cover what follows it.

func offline(f *testing.F) func(*Backend) {
	c, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	if err != nil {
		f.Fatal(err)
	}
	return func(b *Backend) { b.Temporal = c }
}

func FuzzDeployBody(f *testing.F) {
	for _, seed := range []string{greetYAML, approvalYAML, "", "name: greet\n", "{{", "name: greet\nsteps: [{call: noop}]\n", "---\n---\n", "name: greet\nsteps:\n  - foreach: ${{ input }}\n    steps: []\n"} {
		f.Add(seed)
	}
	a, _ := newServed(f, offline(f))
	f.Fuzz(func(t *testing.T, body string) {
		if strings.Contains(body, "search") {
			t.Skip("registering search attributes needs temporal")
		}
		resp := do(a, http.MethodPut, "/v1/workflows/greet", "application/yaml", body)
		switch {
		case resp.Code == http.StatusOK:
			if resp := do(a, http.MethodDelete, "/v1/workflows/greet", "", ""); resp.Code != http.StatusNoContent {
				t.Fatalf("deleting: %d %s", resp.Code, resp.Body)
			}
		case resp.Code >= 500 || resp.Header().Get("Content-Type") != "application/problem+json":
			t.Fatalf("%d %s: %s", resp.Code, resp.Header().Get("Content-Type"), resp.Body)
		default:
			if got := do(a, http.MethodGet, "/v1/workflows/greet", "", ""); got.Code != http.StatusNotFound {
				t.Fatalf("a rejected deploy left %s", got.Body)
			}
		}
	})
}

// A schema that random bodies almost never satisfy keeps the fuzzer from
// starting thousands of runs.
const strictYAML = `name: strict
input:
  type: object
  required: [id, n, tags]
  additionalProperties: false
  properties:
    id: {type: string, pattern: "^ord-[0-9]{6}$"}
    n: {type: integer, minimum: 1, maximum: 3}
    tags: {type: array, items: {enum: [a, b]}, minItems: 2}
steps:
  - call: noop
`

func FuzzStartBody(f *testing.F) {
	for _, seed := range []string{`{"id": "ord-00001", "n": 2, "tags": ["a", "b"]}`, `{}`, `[]`, `null`, `{"id": 1}`, `{"n": 1e400}`, `{"tags": [[[[]]]]}`, `"`, "\xff"} {
		f.Add(seed)
	}
	a, _ := newServed(f, offline(f))
	if resp := do(a, http.MethodPut, "/v1/workflows/strict", "application/yaml", strictYAML); resp.Code != http.StatusOK {
		f.Fatalf("deploying: %s", resp.Body)
	}
	f.Fuzz(func(t *testing.T, body string) {
		resp := do(a, http.MethodPost, "/v1/workflows/strict/runs", "application/json", body)
		if resp.Code >= 500 || resp.Header().Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%d %s: %s", resp.Code, resp.Header().Get("Content-Type"), resp.Body)
		}
	})
}
