package activities

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
)

// Error types that a `catch` or `retry.nonRetryable` can name.
const (
	TypeValidation = "ValidationError"
	TypeConnection = "ConnectionError"
	TypeHTTP       = "HTTPError"
	TypeTimeout    = "Timeout"
)

// NewValidationError reports bad arguments: the message must name the
// argument. Retrying cannot fix it, so it is non-retryable.
func NewValidationError(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), TypeValidation, nil)
}

// NewConnectionError reports that the service behind a connection could not
// be reached. It is retryable because the service may come back.
func NewConnectionError(connection string, cause error) error {
	return temporal.NewApplicationErrorWithCause(fmt.Sprintf("connection %q: %v", connection, cause), TypeConnection, nil)
}
