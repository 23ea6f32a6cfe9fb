package bindings

import (
	"bytes"
	"encoding/json"

	"github.com/fnchain/orchestrator/activities"
)

// encodePayload sends a string as its bytes and any other value as JSON, so
// that `data: hello` and `data: {a: 1}` both do what a workflow author means.
func encodePayload(arg string, v any) ([]byte, string, error) {
	switch s := v.(type) {
	case nil:
		return nil, "", nil
	case string:
		return []byte(s), "text/plain; charset=utf-8", nil
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, "", activities.NewValidationError("argument %q: encoding as JSON: %v", arg, err)
		}
		return b, "application/json", nil
	}
}

// decodePayload returns JSON as a value and anything else as text.
func decodePayload(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) == nil && !dec.More() {
		return v
	}
	return string(b)
}

// argValue turns json.Number into int64 or float64 so that drivers see Go
// numbers, keeping integers exact.
func argValue(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, err := x.Float64()
		if err != nil {
			return x.String()
		}
		return f
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = argValue(e)
		}
		return out
	default:
		return v
	}
}
