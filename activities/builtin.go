package activities

import (
	"context"
	"encoding/json"

	"go.temporal.io/sdk/activity"
)

// Builtin returns a registry holding the functions every worker serves:
// http.request, log and noop.
func Builtin() *Registry {
	r := NewRegistry()
	MustRegister(r, "http.request", "Send an HTTP request. A JSON response body is decoded; "+
		"a non-2xx status fails with error type HTTPError (details hold status and body), "+
		"retryable except for 4xx other than 408 and 429.", NewHTTPClient().Do)
	MustRegister(r, "log", "Write a message through the worker's activity logger.", logMessage)
	r.MustAdd(Function{
		Name:        "noop",
		Description: "Return `with` unchanged.",
		Run: func(_ context.Context, with json.RawMessage) (any, error) {
			return with, nil
		},
	})
	return r
}

// LogInput is the `with` of log.
type LogInput struct {
	Message string         `json:"message" minLength:"1" doc:"text to log"`
	Level   string         `json:"level,omitempty" enum:"debug,info,warn,error" default:"info" doc:"log level"`
	Fields  map[string]any `json:"fields,omitempty" doc:"key-value pairs logged with the message"`
}

// LogOutput is the result of log.
type LogOutput struct {
	Message string `json:"message" doc:"the message that was logged"`
}

func logMessage(ctx context.Context, in LogInput) (LogOutput, error) {
	logger := activity.GetLogger(ctx)
	kv := make([]any, 0, 2*len(in.Fields))
	for _, k := range sortedKeys(in.Fields) {
		kv = append(kv, k, in.Fields[k])
	}
	switch in.Level {
	case "debug":
		logger.Debug(in.Message, kv...)
	case "warn":
		logger.Warn(in.Message, kv...)
	case "error":
		logger.Error(in.Message, kv...)
	default:
		logger.Info(in.Message, kv...)
	}
	return LogOutput{Message: in.Message}, nil
}
