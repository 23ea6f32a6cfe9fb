package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"go.temporal.io/api/serviceerror"

	"github.com/fnchain/orchestrator/dsl"
	"github.com/fnchain/orchestrator/internal/catalog"
)

// fileProblem turns the problems of a workflow file into a 422 with one
// error per problem, located in the body with its line and column in the
// message, as `orchestrator validate` prints them.
func fileProblem(err error) error {
	var errs dsl.Errors
	if !errors.As(err, &errs) {
		return err
	}
	details := make([]error, len(errs))
	for i, e := range errs {
		details[i] = &huma.ErrorDetail{Message: e.Error(), Location: "body"}
	}
	return huma.Error422UnprocessableEntity(fmt.Sprintf("the workflow file has %d problem(s)", len(errs)), details...)
}

// backendProblem maps what Temporal and the catalog answer to a status.
// Errors without a known meaning become 500s whose text is logged by huma's
// caller, not hidden: the message is the error itself.
func backendProblem(err error, what string) error {
	if err == nil {
		return nil
	}
	var (
		notFound *serviceerror.NotFound
		invalid  *serviceerror.InvalidArgument
		failed   *serviceerror.FailedPrecondition
		exhaust  *serviceerror.ResourceExhausted
		status   huma.StatusError
	)
	switch {
	case errors.As(err, &status):
		return err
	case errors.Is(err, catalog.ErrNotFound), errors.As(err, &notFound):
		return huma.Error404NotFound(fmt.Sprintf("%s not found", what), err)
	case errors.As(err, &invalid):
		return huma.Error400BadRequest(invalid.Message)
	case errors.As(err, &failed):
		return huma.Error409Conflict(failed.Message)
	case errors.As(err, &exhaust):
		return huma.Error503ServiceUnavailable("temporal is overloaded: retry later", err)
	case errors.Is(err, context.DeadlineExceeded):
		return huma.Error504GatewayTimeout(fmt.Sprintf("%s: temporal did not answer in time", what))
	}
	return huma.NewError(http.StatusInternalServerError, fmt.Sprintf("%s: %v", what, err))
}
