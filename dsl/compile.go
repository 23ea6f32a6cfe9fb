package dsl

import (
	"fmt"
	"reflect"
	"slices"
	"time"
)

// compileWorkflow compiles every expression of w in the scope its place
// gives it. Load and DecodePlan share it, so a decoded plan is compiled
// exactly as a loaded one.
func compileWorkflow(w *Workflow, errs *errList) {
	ec := &exprCompiler{errs: errs}
	walkSteps(w.Steps, func(s *Step) {
		ec.ids = append(ec.ids, s.ID)
		if s.Set != nil {
			for _, v := range s.Set.Vars {
				if !slices.Contains(ec.vars, v.Name) {
					ec.vars = append(ec.vars, v.Name)
				}
			}
		}
	})
	slices.Sort(ec.ids)
	slices.Sort(ec.vars)
	pc := &planCompiler{ec: ec, file: w.File}
	top := &exprScope{state: true, visible: newVisibility(nil)}
	after := pc.steps(w.Steps, top)
	pc.value(w.Output, top.with(func(c *exprScope) { c.visible = after }), "output")
	start := &exprScope{state: true, startOnly: true}
	for _, a := range w.Search {
		label := fmt.Sprintf("search attribute %s", a.Name)
		pc.value(a.Value, start, label)
		if a.Value.root.kind == vExpr && a.Type == "" {
			a.Type = searchTypeOf(typeOf(a.Value.root.expr))
		}
		if a.Type == "" {
			a.Type = literalSearchType(a.Value.raw)
		}
	}
	event := &exprScope{event: true}
	for _, t := range w.Triggers {
		label := fmt.Sprintf("%s trigger", t.Type)
		pc.value(t.Input, event, label+": input")
		pc.value(t.ID, event, label+": id")
		if t.Schedule != nil {
			pc.value(t.Schedule.Input, &exprScope{}, label+": input")
		}
	}
}

// searchTypeOf maps an expression's static type to a search attribute
// type; unknown types are keyword, the type Temporal UI filters best.
func searchTypeOf(t reflect.Type) string {
	if t == nil {
		return "keyword"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "bool"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "int"
	case reflect.Float64, reflect.Float32:
		return "double"
	}
	if t == reflect.TypeFor[time.Time]() {
		return "datetime"
	}
	return "keyword"
}

// walkSteps calls fn for every step in document order, nested and
// compensate steps included.
func walkSteps(steps []*Step, fn func(*Step)) {
	for _, s := range steps {
		fn(s)
		for _, child := range childBlocks(s) {
			walkSteps(child, fn)
		}
	}
}

// childBlocks returns the step lists nested in s, compensate as a list of
// one.
func childBlocks(s *Step) [][]*Step {
	var out [][]*Step
	switch {
	case s.Call != nil && s.Call.Compensate != nil:
		out = append(out, []*Step{s.Call.Compensate})
	case s.Switch != nil:
		for _, c := range s.Switch.Cases {
			out = append(out, c.Steps)
		}
		out = append(out, s.Switch.Otherwise)
	case s.Parallel != nil:
		for _, b := range s.Parallel.Branches {
			out = append(out, b.Steps)
		}
	case s.Foreach != nil:
		out = append(out, s.Foreach.Steps)
	case s.Loop != nil:
		out = append(out, s.Loop.Steps)
	case s.Try != nil:
		out = append(out, s.Try.Steps)
		for _, c := range s.Try.Catch {
			out = append(out, c.Steps)
		}
		out = append(out, s.Try.Finally)
	}
	return out
}

type planCompiler struct {
	ec   *exprCompiler
	file string
}

func (pc *planCompiler) value(v *Value, sc *exprScope, label string) {
	pc.ec.compileValue(pc.file, v, sc, label)
}

func (pc *planCompiler) expr(e *Expr, sc *exprScope, label string) {
	if e != nil {
		pc.ec.compile(e, sc, label)
	}
}

// steps compiles a block. Each step sees the steps before it in the block;
// the returned visibility holds the ids the block adds for what follows it.
func (pc *planCompiler) steps(steps []*Step, sc *exprScope) *visibility {
	vis := newVisibility(sc.visible)
	inner := sc.with(func(c *exprScope) { c.visible = vis })
	for _, s := range steps {
		pc.step(s, inner)
		vis.ids[s.ID] = true
	}
	return vis
}

// nested compiles a block whose steps stay visible after it (switch cases,
// try, catch, finally): their outputs are readable later, null when they did
// not run.
func (pc *planCompiler) nested(steps []*Step, sc *exprScope) {
	for id := range pc.steps(steps, sc).ids {
		sc.visible.ids[id] = true
	}
}

func (pc *planCompiler) step(s *Step, sc *exprScope) {
	label := fmt.Sprintf("step %q", s.ID)
	pc.expr(s.If, sc, label+": if")
	switch s.Kind {
	case KindCall:
		pc.value(s.Call.With, sc, label+": with")
		if comp := s.Call.Compensate; comp != nil {
			self := newVisibility(sc.visible)
			self.ids[s.ID] = true
			pc.step(comp, sc.with(func(c *exprScope) { c.visible = self }))
		}
	case KindSet:
		for _, v := range s.Set.Vars {
			pc.value(v.Value, sc, label+": set."+v.Name)
		}
	case KindSwitch:
		for _, c := range s.Switch.Cases {
			pc.expr(c.When, sc, label+": when")
			pc.nested(c.Steps, sc)
		}
		pc.nested(s.Switch.Otherwise, sc)
	case KindParallel:
		for _, b := range s.Parallel.Branches {
			pc.steps(b.Steps, sc)
		}
	case KindForeach:
		pc.value(s.Foreach.Items, sc, label+": foreach")
		if s.Foreach.Items != nil && s.Foreach.Items.root.kind == vExpr {
			pc.checkKind(s.Foreach.Items.root.expr, label+": foreach", "a list", reflect.Slice, reflect.Array)
		}
		body := sc.with(func(c *exprScope) {
			c.locals = map[string]bool{}
			for k, v := range sc.locals {
				c.locals[k] = v
			}
			c.locals[s.Foreach.As] = false
			c.locals[s.Foreach.IndexAs] = true
		})
		pc.steps(s.Foreach.Steps, body)
	case KindLoop:
		pc.expr(s.Loop.While, sc, label+": loop.while")
		pc.steps(s.Loop.Steps, sc)
	case KindSleep:
		pc.value(s.Sleep.Until, sc, label+": sleep.until")
	case KindWorkflow:
		pc.value(s.Workflow.With, sc, label+": with")
	case KindTry:
		pc.nested(s.Try.Steps, sc)
		for _, c := range s.Try.Catch {
			pc.nested(c.Steps, sc.with(func(c *exprScope) { c.catch = true }))
		}
		pc.nested(s.Try.Finally, sc)
	case KindFail:
		pc.value(s.Fail.Message, sc, label+": fail.message")
	case KindReturn:
		pc.value(s.Return.Value, sc, label+": return")
	}
	pc.value(s.Output, sc.with(func(c *exprScope) { c.result = true }), label+": output")
}

// checkKind reports an expression whose static type is known and is none of
// kinds.
func (pc *planCompiler) checkKind(e *Expr, label, want string, kinds ...reflect.Kind) {
	t := typeOf(e)
	if t == nil || slices.Contains(kinds, t.Kind()) {
		return
	}
	pc.ec.errs.add(e.Pos, "%s: expression gives %s, want %s", label, t, want)
}
