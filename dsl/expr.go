package dsl

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/expr-lang/expr/vm"
)

// Pos is a place in a workflow file. Line and Col are 1-based; the zero Pos
// means unknown (plans decoded from JSON carry no positions).
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Expr is one compiled expression: the text between `${{` and `}}` (or a bare
// YAML scalar where the language takes an expression, such as `if: true`).
// It is compiled and type-checked when the plan is loaded; Eval only runs the
// program. In JSON an Expr is its source text.
type Expr struct {
	// Src is the expression text, without ${{ }}.
	Src string
	// Pos is where Src starts in the file.
	Pos Pos

	// wantBool makes the compiler reject expressions whose type is known and
	// is not bool, and Eval reject non-bool results.
	wantBool bool
	program  *vm.Program
}

// Eval runs the expression against s.
func (e *Expr) Eval(s Scope) (any, error) {
	if e == nil {
		return nil, nil
	}
	if e.program == nil {
		return nil, fmt.Errorf("evaluating %q: expression was not compiled", e.Src)
	}
	out, err := vm.Run(e.program, s.env())
	if err != nil {
		return nil, fmt.Errorf("evaluating %q: %w", e.Src, err)
	}
	return normalise(out), nil
}

// EvalBool runs a condition (if, when, while). A nil Expr is true, so an
// absent `if` runs the step.
func (e *Expr) EvalBool(s Scope) (bool, error) {
	if e == nil {
		return true, nil
	}
	out, err := e.Eval(s)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("evaluating %q: want a bool, got %s", e.Src, TypeName(out))
	}
	return b, nil
}

// MarshalJSON writes the source text.
func (e *Expr) MarshalJSON() ([]byte, error) {
	return json.Marshal(e.Src)
}

// UnmarshalJSON reads the source text; DecodePlan compiles it afterwards.
func (e *Expr) UnmarshalJSON(data []byte) error {
	return json.Unmarshal(data, &e.Src)
}

// normalise turns the Go types expr produces into JSON-shaped values, so
// activities and later expressions see the same types whether a value came
// from an expression or from history.
func normalise(v any) any {
	switch v := v.(type) {
	case time.Duration:
		return v.String()
	case []string:
		out := make([]any, len(v))
		for i, s := range v {
			out[i] = s
		}
		return out
	}
	return v
}

// TypeName names a JSON-shaped value's type the way users write it, for
// error messages.
func TypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case string:
		return "string"
	case int, int64, float64:
		return "number"
	case []any:
		return "list"
	case map[string]any:
		return "map"
	case time.Time:
		return "time"
	}
	return fmt.Sprintf("%T", v)
}
