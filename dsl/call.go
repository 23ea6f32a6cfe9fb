package dsl

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/fnchain/orchestrator/internal/schemaerr"
)

// builtinDefaults apply when neither the step nor the workflow's defaults
// set an option: Temporal needs a start-to-close timeout, and its own default
// of retrying forever surprises users of workflow files.
var builtinDefaults = CallDefaults{
	Timeout: 5 * time.Minute,
	Retry:   &RetryPolicy{MaxAttempts: 3, InitialInterval: time.Second, Backoff: 2, MaxInterval: time.Minute},
}

// retry reads a retry policy; keys it does not set come from base.
func (d *decoder) retry(n *yaml.Node, what string, base *RetryPolicy) *RetryPolicy {
	out := *base
	out.NonRetryable = slices.Clone(base.NonRetryable)
	if n == nil {
		return &out
	}
	f := d.mapping(n, what, retrySpec.fields)
	if f == nil {
		return &out
	}
	out.MaxAttempts = f.posInt("maxAttempts", out.MaxAttempts)
	out.InitialInterval = f.duration("initialInterval", out.InitialInterval)
	out.MaxInterval = f.duration("maxInterval", out.MaxInterval)
	out.Backoff = f.number("backoff", out.Backoff)
	if out.Backoff < 1 {
		d.fail(f.get("backoff"), "%s: backoff must be at least 1", what)
		out.Backoff = base.Backoff
	}
	if f.has("nonRetryable") {
		out.NonRetryable = f.strings("nonRetryable")
		slices.Sort(out.NonRetryable)
	}
	if out.MaxInterval < out.InitialInterval {
		d.fail(n, "%s: maxInterval (%s) is shorter than initialInterval (%s)", what, out.MaxInterval, out.InitialInterval)
	}
	return &out
}

func (d *decoder) defaults(n *yaml.Node) CallDefaults {
	out := builtinDefaults
	if n == nil {
		return out
	}
	f := d.mapping(n, "defaults", defaultsSpec.fields)
	if f == nil {
		return out
	}
	out.Timeout = f.duration("timeout", out.Timeout)
	out.ScheduleTimeout = f.duration("scheduleTimeout", 0)
	out.Heartbeat = f.duration("heartbeat", 0)
	out.Retry = d.retry(f.get("retry"), "defaults: retry", out.Retry)
	return out
}

// checkCall checks the function and its literal arguments against the
// registry. A step with its own taskQueue may call functions other workers
// serve, so it is not checked.
func (p *stepParser) checkCall(f *fields, label string, c *CallStep) {
	if p.reg == nil || c.TaskQueue != "" || !f.has("call") {
		return
	}
	spec, ok := p.reg.Function(c.Function)
	if !ok {
		p.d.fail(f.get("call"), "%s: unknown function %q%s", label, c.Function, didYouMean(c.Function, p.reg.FunctionNames()))
		return
	}
	args, _ := c.With.Raw().(map[string]any)
	if spec.Connection != "" {
		p.checkConnection(f, label, spec, args)
	}
	if len(spec.Input) == 0 || (c.With != nil && args == nil) {
		return
	}
	sch, err := compileSchema(spec.Input)
	if err != nil {
		p.d.fail(f.get("call"), "%s: function %q has an invalid input schema: %v", label, c.Function, err)
		return
	}
	if args == nil {
		args = map[string]any{}
	}
	exprPaths := map[string]bool{}
	instance := withoutExprs(args, "", exprPaths)
	verr, ok := sch.Validate(instance).(*jsonschema.ValidationError)
	if !ok {
		return
	}
	withNode := f.get("with")
	for _, leaf := range schemaerr.Leaves(verr) {
		if underExpr(leaf.InstanceLocation, exprPaths) {
			continue
		}
		at := nodeAt(withNode, leaf.InstanceLocation)
		if at == nil {
			at = f.keys["call"]
		}
		p.d.fail(at, "%s: %s: %s", label, "with"+dotted(leaf.InstanceLocation), schemaerr.Message(leaf))
	}
}

func (p *stepParser) checkConnection(f *fields, label string, spec FunctionSpec, args map[string]any) {
	raw, ok := args["connection"]
	if !ok {
		p.d.fail(f.keys["call"], "%s: %s needs with.connection naming a %s connection%s", label, spec.Name, spec.Connection, connectionsOf(p.reg, spec.Connection))
		return
	}
	name, ok := raw.(string)
	if !ok || isExprString(raw) {
		return
	}
	at := mapValueNode(f.get("with"), "connection")
	p.d.connection(at, label, name, spec.Connection, p.reg)
}

// connection checks that name is a configured connection of type typ.
func (d *decoder) connection(at *yaml.Node, label, name, typ string, reg Registry) {
	got, ok := reg.Connection(name)
	switch {
	case !ok:
		d.fail(at, "%s: unknown connection %q%s", label, name, didYouMean(name, reg.ConnectionNames()))
	case got != typ:
		d.fail(at, "%s: connection %q is a %s connection, this needs a %s one%s", label, name, got, typ, connectionsOf(reg, typ))
	}
}

func connectionsOf(reg Registry, typ string) string {
	var names []string
	for _, n := range reg.ConnectionNames() {
		if t, _ := reg.Connection(n); t == typ {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return fmt.Sprintf(" (no %s connection is configured)", typ)
	}
	return fmt.Sprintf(" (configured: %s)", strings.Join(names, ", "))
}

// schemaCache holds compiled function schemas by their text: registries
// return specs by value, and compiling a schema costs far more than a load.
var schemaCache sync.Map

func compileSchema(doc json.RawMessage) (*jsonschema.Schema, error) {
	if s, ok := schemaCache.Load(string(doc)); ok {
		return s.(*jsonschema.Schema), nil
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(doc)))
	if err != nil {
		return nil, fmt.Errorf("parsing schema: %w", err)
	}
	s, err := newSchemaCompiler(v)
	if err != nil {
		return nil, err
	}
	schemaCache.Store(string(doc), s)
	return s, nil
}

// noLoader refuses $refs outside the schema: loading must not touch the
// network or the file system.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("$ref %s: only references inside the schema are allowed", url)
}

func newSchemaCompiler(doc any) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noLoader{})
	if err := c.AddResource("schema.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("schema.json")
}

// withoutExprs copies v with every string holding an expression replaced by
// null, and records the JSON pointer of each such place.
func withoutExprs(v any, at string, paths map[string]bool) any {
	switch v := v.(type) {
	case string:
		if strings.Contains(v, openDelim) {
			paths[at] = true
			return nil
		}
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = withoutExprs(e, fmt.Sprintf("%s/%d", at, i), paths)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = withoutExprs(e, at+"/"+k, paths)
		}
		return out
	}
	return v
}

func underExpr(loc []string, paths map[string]bool) bool {
	at := ""
	if paths[at] {
		return true
	}
	for _, tok := range loc {
		at += "/" + tok
		if paths[at] {
			return true
		}
	}
	return false
}

func dotted(loc []string) string {
	var b strings.Builder
	for _, tok := range loc {
		b.WriteString(".")
		b.WriteString(tok)
	}
	return b.String()
}

// nodeAt follows a JSON pointer's tokens through YAML.
func nodeAt(n *yaml.Node, loc []string) *yaml.Node {
	for _, tok := range loc {
		n = resolveAlias(n)
		if n == nil {
			return nil
		}
		switch n.Kind {
		case yaml.MappingNode:
			n = mapValueNode(n, tok)
		case yaml.SequenceNode:
			var i int
			if _, err := fmt.Sscanf(tok, "%d", &i); err != nil || i < 0 || i >= len(n.Content) {
				return nil
			}
			n = n.Content[i]
		default:
			return nil
		}
	}
	return n
}
