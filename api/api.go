// Package api serves fnchain's HTTP API, described by an OpenAPI 3.1 document
// that huma generates from the typed operations registered here.
package api

import (
	"context"
	"net/http"
	"path"
	"reflect"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
)

// Check is one dependency that must answer for the process to be ready.
type Check struct {
	Name  string
	Check func(context.Context) error
}

// Options configure the API.
type Options struct {
	// Version is reported in the OpenAPI document.
	Version string
	// Checks returns what every /readyz request runs, each check bounded by
	// CheckTimeout. It is a function because components register checks
	// after the API exists.
	Checks       func() []Check
	CheckTimeout time.Duration
}

// New returns the API's router and the huma API on it: components register
// typed operations on the huma API and plain handlers (webhooks) on the mux.
func New(opts Options) (*http.ServeMux, huma.API) {
	if opts.CheckTimeout == 0 {
		opts.CheckTimeout = 2 * time.Second
	}
	mux := http.NewServeMux()
	cfg := huma.DefaultConfig("fnchain", opts.Version)
	cfg.Info.Description = "Durable function chains on Temporal: deploy YAML workflows, start and inspect their runs."
	cfg.OpenAPIPath = specPath
	cfg.Components.Schemas = huma.NewMapRegistry("#/components/schemas/", schemaName)
	adapter := humago.NewAdapter(mux, "")
	a := huma.NewAPI(cfg, skipSpec{adapter})
	sp := &spec{api: a}
	sp.register(adapter)
	registerHealth(a, opts)
	return mux, &specAPI{API: a, spec: sp}
}

// schemaName prefixes the names of other packages' types with their
// package (triggers.Status becomes TriggersStatus), since components
// registering operations here pick type names independently and huma
// refuses two schemas of one name. Huma's own and this package's types
// keep their names.
func schemaName(t reflect.Type, hint string) string {
	name := huma.DefaultSchemaNamer(t, hint)
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	pkg := t.PkgPath()
	if pkg == "" || pkg == reflect.TypeFor[Run]().PkgPath() || pkg == reflect.TypeFor[huma.ErrorModel]().PkgPath() {
		return name
	}
	base := path.Base(pkg)
	return strings.ToUpper(base[:1]) + base[1:] + name
}

// HealthOutput is the body of /healthz.
type HealthOutput struct {
	Body struct {
		Status string `json:"status" example:"ok" doc:"always ok while the process serves requests"`
	}
}

// ReadyOutput is the body of /readyz.
type ReadyOutput struct {
	Status int
	Body   struct {
		Status string            `json:"status" enum:"ready,unavailable"`
		Checks map[string]string `json:"checks" doc:"each dependency and ok, or why it failed"`
	}
}

func registerHealth(a huma.API, opts Options) {
	huma.Register(a, huma.Operation{
		OperationID: "healthz",
		Method:      http.MethodGet,
		Path:        "/healthz",
		Summary:     "Liveness",
		Description: "Answers while the process runs; restart the process when it does not.",
		Tags:        []string{"Health"},
	}, func(ctx context.Context, _ *struct{}) (*HealthOutput, error) {
		out := &HealthOutput{}
		out.Body.Status = "ok"
		return out, nil
	})

	huma.Register(a, huma.Operation{
		OperationID: "readyz",
		Method:      http.MethodGet,
		Path:        "/readyz",
		Summary:     "Readiness",
		Description: "Checks every dependency (Temporal and each configured connection); 503 until all answer.",
		Tags:        []string{"Health"},
		Responses: map[string]*huma.Response{
			"503": {Description: "A dependency does not answer; the body says which."},
		},
	}, func(ctx context.Context, _ *struct{}) (*ReadyOutput, error) {
		out := &ReadyOutput{Status: http.StatusOK}
		out.Body.Status = "ready"
		out.Body.Checks = runChecks(ctx, opts)
		for _, result := range out.Body.Checks {
			if result != "ok" {
				out.Status = http.StatusServiceUnavailable
				out.Body.Status = "unavailable"
			}
		}
		return out, nil
	})
}

// runChecks runs the checks concurrently so one slow dependency does not add
// its timeout to every other's.
func runChecks(ctx context.Context, opts Options) map[string]string {
	type result struct{ name, text string }
	var checks []Check
	if opts.Checks != nil {
		checks = opts.Checks()
	}
	results := make(chan result, len(checks))
	for _, c := range checks {
		go func() {
			cctx, cancel := context.WithTimeout(ctx, opts.CheckTimeout)
			defer cancel()
			text := "ok"
			if err := c.Check(cctx); err != nil {
				text = err.Error()
			}
			results <- result{c.Name, text}
		}()
	}
	out := make(map[string]string, len(checks))
	for range checks {
		r := <-results
		out[r.name] = r.text
	}
	return out
}
