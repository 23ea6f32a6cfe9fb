package dsl

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"
)

// exprScope says which names an expression may read at its place in the
// file.
type exprScope struct {
	// state is true for expressions evaluated inside the run: input, steps,
	// vars, run and now() are in scope.
	state bool
	// startOnly limits the run state to input and run (search attributes,
	// evaluated before any step).
	startOnly bool
	catch     bool
	event     bool
	result    bool
	// locals are the foreach bindings around the expression: name -> is index.
	locals map[string]bool
	// visible holds the step ids whose output can be read here.
	visible *visibility
}

// visibility is a chain of step-id sets: a nested block sees what its
// enclosing blocks saw when it started, plus the steps before it in the block.
type visibility struct {
	parent *visibility
	ids    map[string]bool
}

func newVisibility(parent *visibility) *visibility {
	return &visibility{parent: parent, ids: map[string]bool{}}
}

func (v *visibility) has(id string) bool {
	for ; v != nil; v = v.parent {
		if v.ids[id] {
			return true
		}
	}
	return false
}

func (sc *exprScope) with(f func(*exprScope)) *exprScope {
	c := *sc
	f(&c)
	return &c
}

var (
	anyMapType = types.TypeOf(map[string]any{})
	// run and error are declared as maps: expr v1.17.8 panics compiling
	// field access on struct types declared through types.Map.
	runType = types.Map{
		"id": types.String, "workflowId": types.String,
		"startedAt": types.TypeOf(time.Time{}), "attempt": types.Int,
	}
	errorType = types.Map{"type": types.String, "message": types.String, "step": types.String}
	nowType   = types.TypeOf(func() (time.Time, error) { return time.Time{}, nil })
)

// env is the type environment of the scope: what the checker compiles
// against.
func (sc *exprScope) env() types.Map {
	m := types.Map{}
	for name, isIndex := range sc.locals {
		if isIndex {
			m[name] = types.Int
		} else {
			m[name] = types.Any
		}
	}
	if sc.state {
		m[nameInput] = types.Any
		m[nameRun] = runType
		if !sc.startOnly {
			m[nameSteps] = anyMapType
			m[nameVars] = anyMapType
			m[nameNow] = nowType
		}
	}
	if sc.catch {
		m[nameError] = errorType
	}
	if sc.event {
		m[nameEvent] = types.Any
	}
	if sc.result {
		m[nameResult] = types.Any
	}
	return m
}

// baseOptions make the expression language deterministic: now() comes from
// the scope (the workflow clock), and the builtins that return map contents
// in Go's random map order are replaced by sorted ones.
var baseOptions = []expr.Option{
	expr.DisableBuiltin("now"),
	expr.Function("keys", func(args ...any) (any, error) {
		m := args[0].(map[string]any)
		out := make([]any, 0, len(m))
		for _, k := range sortedKeys(m) {
			out = append(out, k)
		}
		return out, nil
	}, new(func(map[string]any) []any)),
	expr.Function("values", func(args ...any) (any, error) {
		m := args[0].(map[string]any)
		out := make([]any, 0, len(m))
		for _, k := range sortedKeys(m) {
			out = append(out, m[k])
		}
		return out, nil
	}, new(func(map[string]any) []any)),
	expr.Function("toPairs", func(args ...any) (any, error) {
		m := args[0].(map[string]any)
		out := make([]any, 0, len(m))
		for _, k := range sortedKeys(m) {
			out = append(out, []any{k, m[k]})
		}
		return out, nil
	}, new(func(map[string]any) []any)),
}

// exprCompiler compiles the expressions of one workflow.
type exprCompiler struct {
	errs *errList
	// ids holds every step id of the workflow, to tell a step that does not
	// exist from one that has not run yet.
	ids []string
	// vars holds every name a set step assigns.
	vars []string
	// configs caches compiler configurations by scope.
	configs map[string]*conf.Config
}

// compile compiles e in sc and records problems under label (`step "x"`).
func (c *exprCompiler) compile(e *Expr, sc *exprScope, label string) {
	env := sc.env()
	refs := &refChecker{c: c, sc: sc, env: env, pendingSteps: map[ast.Node]bool{}, bareSteps: map[ast.Node]bool{}}
	cfg := *c.config(env, e.wantBool)
	cfg.Visitors = []ast.Visitor{refs}
	program, err := compileSafely(e.Src, &cfg)
	if err != nil {
		c.report(e, label, err, env)
		return
	}
	for n := range refs.pendingSteps {
		refs.fail(n, fmt.Sprintf("a step exposes only its output (did you mean %s.output?)", nodeText(e.Src, n)))
	}
	for n := range refs.bareSteps {
		refs.fail(n, "read a step's output as steps.<id>.output")
	}
	if len(refs.errs) > 0 {
		slices.SortFunc(refs.errs, func(a, b *file.Error) int { return a.From - b.From })
		for _, fe := range refs.errs {
			fe.Bind(file.NewSource(e.Src))
			c.addExprError(e, label, fe, "")
		}
		return
	}
	e.program = program
}

// config returns the compiler configuration for an environment. Building
// one copies every builtin, which costs more than compiling a short
// expression, so a load builds one per distinct scope and reuses it.
func (c *exprCompiler) config(env types.Map, wantBool bool) *conf.Config {
	var kb strings.Builder
	for _, n := range sortedKeys(env) {
		kb.WriteString(n)
		if env[n] == types.Int {
			kb.WriteString(":int")
		}
		kb.WriteString(",")
	}
	if wantBool {
		kb.WriteString("/bool")
	}
	key := kb.String()
	if cfg, ok := c.configs[key]; ok {
		return cfg
	}
	cfg := conf.CreateNew()
	expr.Env(env)(cfg)
	for _, op := range baseOptions {
		op(cfg)
	}
	if wantBool {
		expr.AsBool()(cfg)
	}
	for name := range cfg.Disabled {
		delete(cfg.Builtins, name)
	}
	if c.configs == nil {
		c.configs = map[string]*conf.Config{}
	}
	c.configs[key] = cfg
	return cfg
}

// compileSafely compiles as expr.Compile does, with a configuration built
// once per scope; a panic inside the expression compiler becomes an error so
// that one odd expression cannot take down the loader.
func compileSafely(src string, cfg *conf.Config) (p *vm.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("compiling expression: %v", r)
		}
	}()
	tree, err := checker.ParseCheck(src, cfg)
	if err != nil {
		return nil, err
	}
	if err := optimizer.Optimize(&tree.Node, cfg); err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			return nil, fe.Bind(tree.Source)
		}
		return nil, err
	}
	return compiler.Compile(tree, cfg)
}

func (c *exprCompiler) report(e *Expr, label string, err error, env types.Map) {
	fe, ok := err.(*file.Error)
	if !ok {
		c.errs.add(e.Pos, "%s: expression: %v", label, err)
		return
	}
	hint := ""
	if name, ok := strings.CutPrefix(fe.Message, "unknown name "); ok {
		if h, known := scopeHints[name]; known {
			hint = " (" + h + ")"
		} else {
			hint = didYouMean(name, sortedKeys(env))
		}
	}
	c.addExprError(e, label, fe, hint)
}

func (c *exprCompiler) addExprError(e *Expr, label string, fe *file.Error, hint string) {
	p := e.Pos
	if fe.Line > 1 {
		p.Line += fe.Line - 1
		p.Col = fe.Column + 1
	} else if p.Line > 0 {
		p.Col += fe.Column
	}
	msg := fmt.Sprintf("%s: expression: %s%s", label, fe.Message, hint)
	if fe.Snippet == "" {
		c.errs.add(p, "%s", msg)
		return
	}
	c.errs.addSnippet(p, fmt.Sprintf("%s (%d:%d)", msg, fe.Line, fe.Column+1), strings.TrimPrefix(fe.Snippet, "\n"))
}

func nodeText(src string, n ast.Node) string {
	loc := n.Location()
	r := []rune(src)
	if loc.From < 0 || loc.To > len(r) || loc.From >= loc.To {
		return "steps.<id>"
	}
	return string(r[loc.From:loc.To])
}

// refChecker checks the step and variable names an expression reads, and
// rewrites steps.<id>.output to steps.<id> because at run time Scope.Steps
// maps ids straight to outputs. ast.Walk visits children first, so a
// steps.<id> node is seen before the .output around it; pendingSteps holds
// those until then.
type refChecker struct {
	c            *exprCompiler
	sc           *exprScope
	env          types.Map
	errs         []*file.Error
	pendingSteps map[ast.Node]bool
	bareSteps    map[ast.Node]bool
}

func (r *refChecker) fail(n ast.Node, msg string) {
	r.errs = append(r.errs, &file.Error{Location: n.Location(), Message: msg})
}

func (r *refChecker) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if n.Value == nameSteps && r.env[nameSteps] != nil {
			r.bareSteps[n] = true
		}
	case *ast.MemberNode:
		r.member(node, n)
	}
}

func (r *refChecker) member(node *ast.Node, n *ast.MemberNode) {
	if inner, ok := n.Node.(*ast.MemberNode); ok && r.pendingSteps[inner] {
		delete(r.pendingSteps, inner)
		if prop, ok := n.Property.(*ast.StringNode); !ok || prop.Value != nameOutput {
			r.fail(n.Property, "a step exposes only its output (use steps.<id>.output)")
			return
		}
		ast.Patch(node, inner)
		return
	}
	id, ok := n.Node.(*ast.IdentifierNode)
	if !ok {
		return
	}
	prop, literal := n.Property.(*ast.StringNode)
	switch {
	case id.Value == nameSteps && r.bareSteps[id]:
		delete(r.bareSteps, id)
		if !literal {
			r.fail(n, "a step id must be written out: steps.<id>.output")
			return
		}
		r.pendingSteps[n] = true
		switch {
		case r.sc.visible.has(prop.Value):
		case slices.Contains(r.c.ids, prop.Value):
			r.fail(n.Property, fmt.Sprintf("step %q has not run at this point (an expression reads steps before it, in its own block or around it)", prop.Value))
		default:
			r.fail(n.Property, fmt.Sprintf("unknown step %q%s", prop.Value, didYouMean(prop.Value, r.c.ids)))
		}
	case id.Value == nameVars && literal && r.env[nameVars] != nil:
		if !slices.Contains(r.c.vars, prop.Value) {
			r.fail(n.Property, fmt.Sprintf("unknown variable %q: no set step assigns it%s", prop.Value, didYouMean(prop.Value, r.c.vars)))
		}
	}
}

// typeOf returns the static type of a compiled expression; nil when unknown.
func typeOf(e *Expr) reflect.Type {
	if e.program == nil {
		return nil
	}
	t := e.program.Node().Type()
	if t == nil || t.Kind() == reflect.Interface {
		return nil
	}
	return t
}
