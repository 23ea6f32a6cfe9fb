package dsl

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// stepParser reads the steps of one workflow.
type stepParser struct {
	d        *decoder
	reg      Registry
	defaults CallDefaults
	// n numbers the steps in document order for generated ids.
	n   int
	ids map[string]bool
}

var kindNames = func() []string {
	out := make([]string, len(kindSpecs))
	for i, k := range kindSpecs {
		out[i] = string(k.kind)
	}
	return out
}()

func (p *stepParser) steps(n *yaml.Node, what string) []*Step {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		p.d.fail(n, "%s must be a list of steps, not %s", what, describe(n))
		return nil
	}
	if len(n.Content) == 0 {
		p.d.fail(n, "%s must hold at least one step", what)
		return nil
	}
	out := make([]*Step, 0, len(n.Content))
	for _, sn := range n.Content {
		if s := p.step(sn); s != nil {
			out = append(out, s)
		}
	}
	return out
}

func (p *stepParser) step(n *yaml.Node) *Step {
	p.n++
	num := p.n
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.MappingNode {
		p.d.fail(n, "a step must be a mapping with one kind key (%s), not %s", strings.Join(kindNames, ", "), describe(n))
		return nil
	}
	var found []int
	for i := 0; i+1 < len(n.Content); i += 2 {
		for ki, k := range kindSpecs {
			if n.Content[i].Value == string(k.kind) {
				found = append(found, ki)
			}
		}
	}
	switch len(found) {
	case 0:
		p.reportNoKind(n)
		return nil
	case 1:
	default:
		names := make([]string, len(found))
		for i, ki := range found {
			names[i] = string(kindSpecs[ki].kind)
		}
		p.d.fail(n, "a step has exactly one kind key, this one has %s: split it into separate steps", strings.Join(names, " and "))
		return nil
	}
	ks := kindSpecs[found[0]]
	s := &Step{Kind: ks.kind, ID: fmt.Sprintf("%s-%d", ks.kind, num)}
	f := p.d.mapping(n, fmt.Sprintf("%s step", ks.kind), append(slices.Clip(stepCommonFields), ks.obj.fields...))
	if f.has("id") {
		id := f.str("id")
		switch {
		case !stepIDRe.MatchString(id):
			p.d.fail(f.get("id"), "step id %q must match [a-z][a-zA-Z0-9_]* (start with a lowercase letter; letters, digits, _)", id)
		case p.ids[id]:
			p.d.fail(f.get("id"), "step id %q is used twice: ids are unique in a workflow", id)
		default:
			s.ID = id
		}
		p.ids[id] = true
	}
	label := fmt.Sprintf("step %q", s.ID)
	f.what = label
	s.Name = f.str("name")
	s.If = p.d.cond(f.get("if"), label+": if")
	s.Output = p.d.value(f.get("output"))
	switch s.Kind {
	case KindCall:
		s.Call = p.call(f, label)
	case KindSet:
		s.Set = p.set(f, label)
	case KindSwitch:
		s.Switch = p.switchStep(f, label)
	case KindParallel:
		s.Parallel = p.parallel(f, label)
	case KindForeach:
		s.Foreach = p.foreach(f, label)
	case KindLoop:
		s.Loop = p.loop(f, label)
	case KindSleep:
		s.Sleep = p.sleep(f, label)
	case KindWait:
		s.Wait = p.wait(f, label)
	case KindWorkflow:
		s.Workflow = p.child(f, label)
	case KindTry:
		s.Try = p.try(f, label)
	case KindFail:
		s.Fail = p.fail(f, label)
	case KindReturn:
		s.Return = &ReturnStep{Value: p.d.value(f.get("return"))}
	}
	return s
}

// reportNoKind explains a step without a kind key, suggesting a kind for a
// misspelt key.
func (p *stepParser) reportNoKind(n *yaml.Node) {
	common := make([]string, len(stepCommonFields))
	for i, c := range stepCommonFields {
		common[i] = c.name
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if slices.Contains(common, k.Value) {
			continue
		}
		if hint := didYouMean(k.Value, kindNames); hint != "" {
			p.d.fail(k, "unknown step kind %q%s", k.Value, hint)
			return
		}
	}
	p.d.fail(n, "a step needs one kind key: %s", strings.Join(kindNames, ", "))
}

func (p *stepParser) call(f *fields, label string) *CallStep {
	c := &CallStep{
		Function:        f.str("call"),
		TaskQueue:       f.str("taskQueue"),
		Timeout:         f.duration("timeout", p.defaults.Timeout),
		ScheduleTimeout: f.duration("scheduleTimeout", p.defaults.ScheduleTimeout),
		Heartbeat:       f.duration("heartbeat", p.defaults.Heartbeat),
		With:            p.d.value(f.get("with")),
		Retry:           p.d.retry(f.get("retry"), label+": retry", p.defaults.Retry),
	}
	if c.With != nil {
		if _, ok := c.With.raw.(map[string]any); !ok && !isExprString(c.With.raw) {
			p.d.fail(f.get("with"), "%s: with must be a mapping of arguments, not %s", label, describe(f.get("with")))
		}
	}
	if f.has("compensate") {
		comp := p.step(f.get("compensate"))
		if comp != nil && comp.Kind != KindCall {
			p.d.fail(f.get("compensate"), "%s: compensate must be a call step, not a %s step", label, comp.Kind)
		} else {
			c.Compensate = comp
		}
	}
	p.checkCall(f, label, c)
	return c
}

func isExprString(v any) bool {
	s, ok := v.(string)
	return ok && strings.Contains(s, openDelim)
}

func (p *stepParser) set(f *fields, label string) *SetStep {
	n := f.get("set")
	if n == nil || n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		p.d.fail(n, "%s: set must be a mapping of variable names to values, not %s", label, describe(n))
		return &SetStep{}
	}
	s := &SetStep{}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		switch {
		case !stepIDRe.MatchString(k.Value):
			p.d.fail(k, "%s: variable name %q must match [a-z][a-zA-Z0-9_]*", label, k.Value)
		case seen[k.Value]:
			p.d.fail(k, "%s: variable %q is set twice", label, k.Value)
		default:
			seen[k.Value] = true
			s.Vars = append(s.Vars, &SetVar{Name: k.Value, Value: p.d.value(n.Content[i+1])})
		}
	}
	slices.SortFunc(s.Vars, func(a, b *SetVar) int { return strings.Compare(a.Name, b.Name) })
	return s
}

func (p *stepParser) switchStep(f *fields, label string) *SwitchStep {
	n := f.get("switch")
	s := &SwitchStep{}
	if n == nil || n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		p.d.fail(n, "%s: switch must be a list of cases {when, steps}, not %s", label, describe(n))
		return s
	}
	for i, cn := range n.Content {
		cn = resolveAlias(cn)
		if cn.Kind == yaml.MappingNode && mapValueNode(cn, "otherwise") != nil {
			cf := p.d.mapping(cn, label+": otherwise", otherwiseSpec.fields)
			if i != len(n.Content)-1 {
				p.d.fail(cn, "%s: otherwise must be the last case", label)
			}
			if cf != nil {
				s.Otherwise = p.steps(cf.get("otherwise"), label+": otherwise")
			}
			continue
		}
		cf := p.d.mapping(cn, fmt.Sprintf("%s: case %d", label, i+1), caseSpec.fields)
		if cf == nil {
			continue
		}
		c := &SwitchCase{When: p.d.cond(cf.get("when"), cf.what+": when")}
		if cf.has("steps") {
			c.Steps = p.steps(cf.get("steps"), cf.what+": steps")
		}
		s.Cases = append(s.Cases, c)
	}
	if len(s.Cases) == 0 {
		p.d.fail(n, "%s: switch needs at least one when case", label)
	}
	return s
}

func (p *stepParser) parallel(f *fields, label string) *ParallelStep {
	n := f.get("parallel")
	s := &ParallelStep{FailFast: f.boolean("failFast"), Race: f.boolean("race")}
	if s.FailFast && s.Race {
		p.d.fail(f.keys["race"], "%s: failFast and race exclude each other (race already cancels the losers)", label)
	}
	if n == nil || n.Kind != yaml.MappingNode || len(n.Content) < 2 {
		p.d.fail(n, "%s: parallel must be a mapping of branch names to steps, not %s", label, describe(n))
		return s
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !stepIDRe.MatchString(k.Value) {
			p.d.fail(k, "%s: branch name %q must match [a-z][a-zA-Z0-9_]*", label, k.Value)
			continue
		}
		if slices.ContainsFunc(s.Branches, func(b *Branch) bool { return b.Name == k.Value }) {
			p.d.fail(k, "%s: branch %q appears twice", label, k.Value)
			continue
		}
		s.Branches = append(s.Branches, &Branch{Name: k.Value, Steps: p.steps(n.Content[i+1], fmt.Sprintf("%s: branch %s", label, k.Value))})
	}
	slices.SortFunc(s.Branches, func(a, b *Branch) int { return strings.Compare(a.Name, b.Name) })
	return s
}

func (p *stepParser) foreach(f *fields, label string) *ForeachStep {
	s := &ForeachStep{Items: p.d.value(f.get("foreach")), As: nameItem, IndexAs: nameIndex, Concurrency: f.posInt("concurrency", 1)}
	if s.Items != nil {
		if _, isList := s.Items.raw.([]any); !isList && !isExprString(s.Items.raw) {
			p.d.fail(f.get("foreach"), "%s: foreach must be a list or a ${{ }} expression giving one, not %s", label, describe(f.get("foreach")))
		}
	}
	if as := f.get("as"); as != nil {
		if as.Kind == yaml.MappingNode {
			af := p.d.mapping(as, label+": as", asSpec.fields)
			if af != nil && af.has("item") {
				s.As = p.localName(af.get("item"), label)
			}
			if af != nil && af.has("index") {
				s.IndexAs = p.localName(af.get("index"), label)
			}
		} else {
			s.As = p.localName(as, label)
		}
		if s.As == s.IndexAs {
			p.d.fail(as, "%s: the element and the index need different names", label)
		}
	}
	if f.has("steps") {
		s.Steps = p.steps(f.get("steps"), label+": steps")
	}
	return s
}

func (p *stepParser) localName(n *yaml.Node, label string) string {
	if n.Kind != yaml.ScalarNode || !stepIDRe.MatchString(n.Value) {
		p.d.fail(n, "%s: as must be a name matching [a-z][a-zA-Z0-9_]*, not %s", label, describe(n))
		return nameItem
	}
	if reservedNames[n.Value] {
		p.d.fail(n, "%s: as %q would hide the language's own %s", label, n.Value, n.Value)
		return nameItem
	}
	return n.Value
}

func (p *stepParser) loop(f *fields, label string) *LoopStep {
	s := &LoopStep{MaxIterations: 1000}
	if lf := p.d.mapping(f.get("loop"), label+": loop", loopSpec.fields); lf != nil {
		s.While = p.d.cond(lf.get("while"), label+": loop.while")
		s.MaxIterations = lf.posInt("maxIterations", 1000)
	}
	if f.has("steps") {
		s.Steps = p.steps(f.get("steps"), label+": steps")
	}
	return s
}

func (p *stepParser) sleep(f *fields, label string) *SleepStep {
	n := f.get("sleep")
	if n.Kind == yaml.MappingNode {
		sf := p.d.mapping(n, label+": sleep", sleepUntilSpec.fields)
		if sf == nil {
			return &SleepStep{}
		}
		return &SleepStep{Until: p.d.value(sf.get("until"))}
	}
	return &SleepStep{Duration: p.d.duration(n, label+": sleep", 0)}
}

func (p *stepParser) wait(f *fields, label string) *WaitStep {
	s := &WaitStep{}
	if wf := p.d.mapping(f.get("wait"), label+": wait", waitSpec.fields); wf != nil {
		s.Signal = wf.str("signal")
		if wf.has("signal") && s.Signal == "" {
			p.d.fail(wf.get("signal"), "%s: wait.signal must not be empty", label)
		}
		s.Timeout = wf.duration("timeout", 0)
	}
	return s
}

func (p *stepParser) child(f *fields, label string) *WorkflowStep {
	s := &WorkflowStep{Workflow: f.str("workflow"), With: p.d.value(f.get("with")), TaskQueue: f.str("taskQueue"), Timeout: f.duration("timeout", 0)}
	if f.has("workflow") && !workflowNameRe.MatchString(s.Workflow) {
		p.d.fail(f.get("workflow"), "%s: workflow name %q must match [a-z0-9][a-z0-9._-]*", label, s.Workflow)
	}
	return s
}

func (p *stepParser) try(f *fields, label string) *TryStep {
	s := &TryStep{Steps: p.steps(f.get("try"), label+": try")}
	if f.has("finally") {
		s.Finally = p.steps(f.get("finally"), label+": finally")
	}
	if !f.has("catch") {
		if !f.has("finally") {
			p.d.fail(f.keys["try"], "%s: try needs catch or finally", label)
		}
		return s
	}
	n := f.get("catch")
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		p.d.fail(n, "%s: catch must be a list of handlers {errors, steps}, not %s", label, describe(n))
		return s
	}
	for i, cn := range n.Content {
		cf := p.d.mapping(cn, fmt.Sprintf("%s: catch %d", label, i+1), catchSpec.fields)
		if cf == nil {
			continue
		}
		c := &Catch{Errors: cf.strings("errors")}
		for _, t := range c.Errors {
			if !errorTypeRe.MatchString(t) {
				p.d.fail(cf.get("errors"), "%s: error type %q must be a name such as HTTPError", cf.what, t)
			}
		}
		if cf.has("errors") && len(c.Errors) == 0 {
			p.d.fail(cf.get("errors"), "%s: errors must name at least one type; omit it to catch every error", cf.what)
		}
		slices.Sort(c.Errors)
		if cf.has("steps") {
			c.Steps = p.steps(cf.get("steps"), cf.what+": steps")
		}
		s.Catch = append(s.Catch, c)
	}
	return s
}

func (p *stepParser) fail(f *fields, label string) *FailStep {
	s := &FailStep{Type: "Error"}
	n := f.get("fail")
	if n.Kind == yaml.ScalarNode {
		s.Message = p.d.value(n)
		return s
	}
	ff := p.d.mapping(n, label+": fail", failSpec.fields)
	if ff == nil {
		return s
	}
	if ff.has("type") {
		s.Type = ff.str("type")
		if !errorTypeRe.MatchString(s.Type) {
			p.d.fail(ff.get("type"), "%s: error type %q must be a name such as ValidationError", label, s.Type)
		}
	}
	s.Message = p.d.value(ff.get("message"))
	return s
}
