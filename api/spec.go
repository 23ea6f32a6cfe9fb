package api

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"
)

// specPath is where the OpenAPI document is served, as .json and .yaml (and
// -3.0.json, -3.0.yaml for older tools).
const specPath = "/openapi"

// specAPI is the huma API that New returns: its document is built per
// request, because workflows deployed at run time add operations to it.
type specAPI struct {
	huma.API
	spec *spec
}

type spec struct {
	api huma.API
	mu  sync.Mutex
	// extra returns the paths of the deployed workflows.
	extra func(context.Context) (map[string]*huma.PathItem, error)
}

func (s *spec) setWorkflows(extra func(context.Context) (map[string]*huma.PathItem, error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.extra = extra
}

// document is the registered operations plus the deployed workflows'. The
// registered part is only read: it is complete before the API serves.
func (s *spec) document(ctx context.Context) (*huma.OpenAPI, error) {
	doc := *s.api.OpenAPI()
	s.mu.Lock()
	extra := s.extra
	s.mu.Unlock()
	if extra == nil {
		return &doc, nil
	}
	paths, err := extra(ctx)
	if err != nil {
		return nil, err
	}
	doc.Paths = maps.Clone(doc.Paths)
	for p, item := range paths {
		if _, taken := doc.Paths[p]; !taken {
			doc.Paths[p] = item
		}
	}
	return &doc, nil
}

func (s *spec) register(adapter huma.Adapter) {
	serve := func(suffix, contentType string, render func(*huma.OpenAPI) ([]byte, error)) {
		adapter.Handle(&huma.Operation{Method: http.MethodGet, Path: specPath + suffix}, func(ctx huma.Context) {
			doc, err := s.document(ctx.Context())
			var out []byte
			if err == nil {
				out, err = render(doc)
			}
			if err != nil {
				_ = huma.WriteErr(s.api, ctx, http.StatusInternalServerError, "building the openapi document", err)
				return
			}
			ctx.SetHeader("Content-Type", contentType)
			_, _ = ctx.BodyWriter().Write(out)
		})
	}
	serve(".json", "application/openapi+json", func(d *huma.OpenAPI) ([]byte, error) { return json.Marshal(d) })
	serve(".yaml", "application/openapi+yaml", (*huma.OpenAPI).YAML)
	serve("-3.0.json", "application/openapi+json", (*huma.OpenAPI).Downgrade)
	serve("-3.0.yaml", "application/openapi+yaml", (*huma.OpenAPI).DowngradeYAML)
}

// skipSpec keeps huma from registering its own document routes, which
// render the document once and cache it.
type skipSpec struct{ huma.Adapter }

func (a skipSpec) Handle(op *huma.Operation, handler func(huma.Context)) {
	if strings.HasPrefix(op.Path, specPath) {
		return
	}
	a.Adapter.Handle(op, handler)
}

// workflowOperations gives each deployed workflow its own start operation,
// with the workflow's input schema as body, so that a client generator
// produces startOrderFulfilment(input).
func (s *service) workflowOperations(ctx context.Context) (map[string]*huma.PathItem, error) {
	defs, err := s.Catalog.List(ctx)
	if err != nil {
		return nil, err
	}
	generic := s.api.OpenAPI().Paths[startPath].Post
	used := map[string]bool{}
	for _, item := range s.api.OpenAPI().Paths {
		for _, op := range []*huma.Operation{item.Get, item.Put, item.Post, item.Delete, item.Patch} {
			if op != nil {
				used[op.OperationID] = true
			}
		}
	}
	out := map[string]*huma.PathItem{}
	for _, d := range defs {
		op := *generic
		op.OperationID = unique(used, "start"+pascal(d.Name))
		op.Path = "/v1/workflows/" + d.Name + "/runs"
		op.Summary = "Start a run of " + d.Name
		op.Description = d.Plan.Description
		op.Tags = []string{"Workflow: " + d.Name}
		op.Parameters = nil
		for _, p := range generic.Parameters {
			if p.In != "path" {
				op.Parameters = append(op.Parameters, p)
			}
		}
		body := &huma.Schema{}
		if len(d.Plan.Input) > 0 && json.Unmarshal(d.Plan.Input, body) != nil {
			body = &huma.Schema{Description: "the input schema of this workflow cannot be shown in OpenAPI; see GET /v1/workflows/" + d.Name}
		}
		op.RequestBody = &huma.RequestBody{
			Required: len(d.Plan.Input) > 0,
			Content:  map[string]*huma.MediaType{"application/json": {Schema: body}},
		}
		out[op.Path] = &huma.PathItem{Post: &op}
	}
	return out, nil
}

// unique makes an operation id unique when two workflow names differ only
// in separators (order-fulfilment, order.fulfilment).
func unique(used map[string]bool, id string) string {
	out := id
	for n := 2; used[out]; n++ {
		out = id + strconv.Itoa(n)
	}
	used[out] = true
	return out
}

// pascal turns order-fulfilment into OrderFulfilment.
func pascal(name string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '.' || r == '_' }) {
		b.WriteString(strings.ToUpper(part[:1]))
		b.WriteString(part[1:])
	}
	return b.String()
}
