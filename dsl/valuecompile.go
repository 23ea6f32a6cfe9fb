package dsl

import (
	"slices"

	"gopkg.in/yaml.v3"
)

// compileValue compiles every expression inside v for scope sc.
func (c *exprCompiler) compileValue(file string, v *Value, sc *exprScope, label string) {
	if v == nil {
		return
	}
	v.root = c.buildNode(file, v.raw, v.src, sc, label)
}

func (c *exprCompiler) buildNode(file string, raw any, n *yaml.Node, sc *exprScope, label string) vnode {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch raw := raw.(type) {
	case string:
		return c.buildString(file, raw, n, sc, label)
	case []any:
		out := vnode{kind: vList, static: true, list: make([]vnode, len(raw))}
		for i, e := range raw {
			var child *yaml.Node
			if n != nil && n.Kind == yaml.SequenceNode && i < len(n.Content) {
				child = n.Content[i]
			}
			out.list[i] = c.buildNode(file, e, child, sc, label)
			out.static = out.static && out.list[i].static
		}
		if out.static {
			return vnode{kind: vLit, static: true, lit: raw}
		}
		return out
	case map[string]any:
		out := vnode{kind: vMap, static: true, keys: slices.Sorted(func(yield func(string) bool) {
			for k := range raw {
				if !yield(k) {
					return
				}
			}
		})}
		out.vals = make([]vnode, len(out.keys))
		for i, k := range out.keys {
			out.vals[i] = c.buildNode(file, raw[k], mapValueNode(n, k), sc, label)
			out.static = out.static && out.vals[i].static
		}
		if out.static {
			return vnode{kind: vLit, static: true, lit: raw}
		}
		return out
	}
	return vnode{kind: vLit, static: true, lit: raw}
}

func (c *exprCompiler) buildString(file string, s string, n *yaml.Node, sc *exprScope, label string) vnode {
	segs, off, err := splitTemplate(s)
	if err != nil {
		c.errs.add(scalarPos(file, n, s, off), "%s: %v", label, err)
		return vnode{kind: vLit, static: true, lit: s}
	}
	if len(segs) == 1 && segs[0].isExpr {
		e := &Expr{Src: segs[0].text, Pos: scalarPos(file, n, s, segs[0].off)}
		c.compile(e, sc, label)
		return vnode{kind: vExpr, expr: e}
	}
	if !slices.ContainsFunc(segs, func(sg segment) bool { return sg.isExpr }) {
		return vnode{kind: vLit, static: true, lit: s}
	}
	out := vnode{kind: vTmpl, parts: make([]tmplPart, len(segs))}
	for i, sg := range segs {
		if !sg.isExpr {
			out.parts[i] = tmplPart{text: sg.text}
			continue
		}
		e := &Expr{Src: sg.text, Pos: scalarPos(file, n, s, sg.off)}
		c.compile(e, sc, label)
		out.parts[i] = tmplPart{expr: e}
	}
	return out
}

// mapValueNode returns the value node of key in the mapping n.
func mapValueNode(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
