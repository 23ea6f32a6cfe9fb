package dsl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Value is an arbitrary value from the file (scalar, list or map) that may
// hold `${{ }}` in any string inside it. A string that is exactly one
// `${{ }}` evaluates to the expression's value with its type; a string with
// text around expressions is interpolated into a string; a string without
// `${{` is returned as is without running any program. Map keys are always
// literal. In JSON a Value is the value as written.
type Value struct {
	raw  any
	root vnode
	// src is the YAML the value came from; it gives positions while loading
	// and is nil in decoded plans.
	src *yaml.Node
}

type vkind uint8

const (
	vLit vkind = iota
	vExpr
	vTmpl
	vList
	vMap
)

// vnode is the compiled form of a Value.
type vnode struct {
	kind vkind
	// static is true when no expression occurs in the node or below.
	static bool
	lit    any
	expr   *Expr
	parts  []tmplPart
	list   []vnode
	keys   []string
	vals   []vnode
}

// tmplPart is a piece of an interpolated string: literal text or, when expr
// is non-nil, an expression.
type tmplPart struct {
	text string
	expr *Expr
}

// NewValue returns a Value holding a literal JSON-shaped value (nil, bool,
// number, string, []any, map[string]any). Strings in it are not templates.
func NewValue(v any) *Value {
	return &Value{raw: v, root: vnode{kind: vLit, static: true, lit: v}}
}

// Raw returns the value as written, with expressions as their `${{ }}` text.
// Callers must not modify it.
func (v *Value) Raw() any {
	if v == nil {
		return nil
	}
	return v.raw
}

// IsStatic reports whether the value holds no expression.
func (v *Value) IsStatic() bool {
	return v == nil || v.root.static
}

// Eval evaluates every expression inside the value against s. The result is
// freshly built, so the caller may keep or modify it.
func (v *Value) Eval(s Scope) (any, error) {
	if v == nil {
		return nil, nil
	}
	return v.root.eval(&s)
}

func (n *vnode) eval(s *Scope) (any, error) {
	switch n.kind {
	case vLit:
		return deepCopy(n.lit), nil
	case vExpr:
		return n.expr.Eval(*s)
	case vTmpl:
		var b strings.Builder
		for _, p := range n.parts {
			if p.expr == nil {
				b.WriteString(p.text)
				continue
			}
			out, err := p.expr.Eval(*s)
			if err != nil {
				return nil, err
			}
			if err := writeInterpolated(&b, out); err != nil {
				return nil, fmt.Errorf("interpolating %q: %w", p.expr.Src, err)
			}
		}
		return b.String(), nil
	case vList:
		out := make([]any, len(n.list))
		for i := range n.list {
			e, err := n.list[i].eval(s)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case vMap:
		out := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			e, err := n.vals[i].eval(s)
			if err != nil {
				return nil, err
			}
			out[k] = e
		}
		return out, nil
	}
	return nil, fmt.Errorf("evaluating value: unknown node kind %d", n.kind)
}

// writeInterpolated writes strings as they are, times as RFC 3339, null as
// nothing and anything else as JSON, as GitHub Actions does.
func writeInterpolated(b *strings.Builder, v any) error {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		b.WriteString(v)
		return nil
	case time.Time:
		b.WriteString(v.Format(time.RFC3339Nano))
		return nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b.Write(data)
	return nil
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = deepCopy(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = deepCopy(e)
		}
		return out
	}
	return v
}

// MarshalJSON writes the value as written.
func (v *Value) MarshalJSON() ([]byte, error) {
	return json.Marshal(v.raw)
}

// UnmarshalJSON reads the value as written; DecodePlan compiles it
// afterwards.
func (v *Value) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	v.raw = fromJSONNumbers(raw)
	return nil
}

// fromJSONNumbers gives decoded plans the number types YAML loading gives:
// int for integers, float64 otherwise.
func fromJSONNumbers(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil && i >= math.MinInt && i <= math.MaxInt {
			return int(i)
		}
		f, _ := v.Float64()
		return f
	case []any:
		for i, e := range v {
			v[i] = fromJSONNumbers(e)
		}
	case map[string]any:
		for k, e := range v {
			v[k] = fromJSONNumbers(e)
		}
	}
	return v
}
