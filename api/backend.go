package api

import (
	"context"

	"github.com/danielgtaylor/huma/v2"
	"go.temporal.io/sdk/client"

	"github.com/fnchain/orchestrator/dsl"
	"github.com/fnchain/orchestrator/internal/catalog"
)

// Backend is what the workflow and run operations work on.
type Backend struct {
	Catalog *catalog.Catalog
	// Registry is what deployed files are validated against; it must be the
	// registry the catalog was made with.
	Registry  dsl.Registry
	Temporal  client.Client
	Namespace string
	// TaskQueue is used for workflows that do not name one.
	TaskQueue string
	// UIURL is the base URL of Temporal UI (http://127.0.0.1:8233 in dev);
	// empty leaves runs without a link.
	UIURL string
	// Usage reports what a run consumed; nil leaves runs without usage.
	Usage UsageSource
	// Keys authenticates requests; nil serves every operation without
	// authentication.
	Keys *Keys
	// RateLimit is the sustained requests per second of one API key and
	// RateBurst the bucket size; zero means 50 and 100.
	RateLimit float64
	RateBurst int
	// MaxBodyBytes bounds request bodies (answered with 413); zero means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
}

// UsageSource reports the usage of a run (activity time, attempts) for the
// run resource; the metering component implements it.
type UsageSource interface {
	RunUsage(ctx context.Context, workflowID, runID string) (any, error)
}

// Register adds the workflow and run operations to a, behind authentication
// when b.Keys is set, and makes the OpenAPI document list one typed start
// operation per deployed workflow when a comes from New.
func Register(a huma.API, b *Backend) {
	s := &service{Backend: b, api: a, inputs: newInputSchemas()}
	if b.Keys != nil {
		a.UseMiddleware(authenticate(a, b.Keys, newLimiter(b.RateLimit, b.RateBurst)))
		a.OpenAPI().Components.SecuritySchemes = map[string]*huma.SecurityScheme{
			securityScheme: {Type: "http", Scheme: "bearer", Description: "an API key from `orchestrator keys create`"},
		}
	}
	registerWorkflows(a, s)
	registerRuns(a, s)
	if sp, ok := a.(*specAPI); ok {
		sp.spec.setWorkflows(s.workflowOperations)
	}
}

// service holds the operations' shared state.
type service struct {
	*Backend
	api    huma.API
	inputs *inputSchemas
}
