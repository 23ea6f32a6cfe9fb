package workflows

import (
	"errors"
	"fmt"
	"slices"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/fnchain/orchestrator/dsl"
)

// Error types the interpreter itself raises; catch can name them.
const (
	// ErrExpression: an expression failed at run time.
	ErrExpression = "ExpressionError"
	// ErrValidation: a value has the wrong shape (foreach over a non-list,
	// `with` that is not a map, a bad time).
	ErrValidation = "ValidationError"
	// ErrTimeout: a wait step timed out, or an activity or child run did.
	ErrTimeout = "Timeout"
	// ErrCanceled: the step was cancelled.
	ErrCanceled = "Canceled"
	// ErrMaxIterations: a loop was still going after maxIterations.
	ErrMaxIterations = "MaxIterations"
	// ErrPlan: the run's plan is missing or unreadable.
	ErrPlan = "PlanError"
	// ErrNotFound: a workflow step names a workflow that is not deployed.
	ErrNotFound = "NotFound"
	// errGeneric is the type of errors that carry none.
	errGeneric = "Error"
)

// stepError ties an error to the step it happened in: the innermost step
// wraps it, enclosing steps pass it on.
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return fmt.Sprintf("step %q: %v", e.step, e.err) }
func (e *stepError) Unwrap() error { return e.err }

// returnSignal carries a return step's output up to the run.
type returnSignal struct{ value any }

func (*returnSignal) Error() string { return "return" }

// userError is bad data found while running step id: never retried.
func userError(typ, format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), typ, nil)
}

// passesThrough reports errors that are control flow, not failures: no step
// wraps them and no catch handles them.
func passesThrough(err error) bool {
	var rs *returnSignal
	return errors.As(err, &rs) || workflow.IsContinueAsNewError(err)
}

// describe gives the `error` a catch sees. The type and message come from
// the first error in the chain that carries a type, so an activity failure
// shows the activity's own error, not the "activity error" wrapper.
func describe(err error) dsl.ErrorInfo {
	info := dsl.ErrorInfo{Type: errGeneric, Message: err.Error()}
	var se *stepError
	if errors.As(err, &se) {
		info.Step = se.step
		info.Message = se.err.Error()
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		switch t := e.(type) {
		case *temporal.ApplicationError:
			info.Type, info.Message = t.Type(), t.Message()
			if info.Type == "" {
				info.Type = errGeneric
			}
			return info
		case *temporal.TimeoutError:
			info.Type, info.Message = ErrTimeout, t.Error()
			return info
		case *temporal.CanceledError:
			info.Type, info.Message = ErrCanceled, "canceled"
			return info
		case *temporal.PanicError:
			info.Message = t.Error()
			return info
		}
	}
	return info
}

// matches reports whether a catch listing types handles an error of typ.
func matches(types []string, typ string) bool {
	return len(types) == 0 || slices.Contains(types, typ)
}
