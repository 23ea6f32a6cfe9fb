package workflows

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/fnchain/orchestrator/dsl"
)

// jsonValue gives v the shape it has after a trip through JSON, which is what
// the workflow sees, so expressions evaluated before a run (search
// attributes) see the same types as those evaluated inside it.
func jsonValue(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func asInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<63 {
			return int64(n), true
		}
	}
	return 0, false
}

func asFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// asTime accepts a time or an RFC 3339 string.
func asTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		return t, nil
	case string:
		parsed, err := time.Parse(time.RFC3339Nano, t)
		if err != nil {
			return time.Time{}, fmt.Errorf("want an RFC 3339 time such as 2025-01-31T09:00:00Z, got %q", t)
		}
		return parsed, nil
	}
	return time.Time{}, fmt.Errorf("want a time or an RFC 3339 string, got %s", dsl.TypeName(v))
}
