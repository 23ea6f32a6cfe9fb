package dsl

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// decoder turns the YAML of one file into plan structures, reporting every
// problem with its position.
type decoder struct {
	file string
	errs *errList
}

func (d *decoder) pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: d.file}
	}
	return Pos{File: d.file, Line: n.Line, Col: n.Column}
}

func (d *decoder) fail(n *yaml.Node, format string, args ...any) {
	d.errs.add(d.pos(n), format, args...)
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for depth := 0; n != nil && n.Kind == yaml.AliasNode && depth < 100; depth++ {
		n = n.Alias
	}
	return n
}

// fields is a checked mapping: its keys are known and unique.
type fields struct {
	d    *decoder
	node *yaml.Node
	what string
	vals map[string]*yaml.Node
	keys map[string]*yaml.Node
}

// mapping checks that n is a mapping whose keys are among allowed, that no
// key repeats and that the required keys are there. It returns nil (after
// reporting) when n is not a mapping.
func (d *decoder) mapping(n *yaml.Node, what string, allowed []fieldSpec) *fields {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.MappingNode {
		d.fail(n, "%s must be a mapping, not %s", what, describe(n))
		return nil
	}
	f := &fields{d: d, node: n, what: what, vals: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = a.name
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.fail(k, "%s: keys must be plain names", what)
			continue
		}
		if _, dup := f.vals[k.Value]; dup {
			d.fail(k, "%s: key %q appears twice", what, k.Value)
			continue
		}
		if !slices.Contains(names, k.Value) {
			d.fail(k, "%s: unknown key %q%s", what, k.Value, didYouMean(k.Value, names))
			continue
		}
		f.vals[k.Value] = v
		f.keys[k.Value] = k
	}
	for _, a := range allowed {
		if _, ok := f.vals[a.name]; a.required && !ok {
			d.fail(n, "%s: missing required key %q", what, a.name)
		}
	}
	return f
}

func describe(n *yaml.Node) string {
	n = resolveAlias(n)
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Tag == "!!null":
		return "null"
	case n.Tag == "!!str":
		return fmt.Sprintf("the string %q", n.Value)
	}
	return fmt.Sprintf("%q", n.Value)
}

func (f *fields) get(key string) *yaml.Node {
	return resolveAlias(f.vals[key])
}

func (f *fields) has(key string) bool {
	_, ok := f.vals[key]
	return ok
}

// str returns a string scalar; anything else is reported.
func (f *fields) str(key string) string {
	n := f.get(key)
	if n == nil {
		return ""
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		f.d.fail(n, "%s: %s must be a string, not %s", f.what, key, describe(n))
		return ""
	}
	return n.Value
}

func (f *fields) boolean(key string) bool {
	n := f.get(key)
	if n == nil {
		return false
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		b, _ := strconv.ParseBool(strings.ToLower(n.Value))
		return b
	}
	f.d.fail(n, "%s: %s must be true or false, not %s", f.what, key, describe(n))
	return false
}

// posInt returns a positive integer, or def when the key is absent.
func (f *fields) posInt(key string, def int) int {
	n := f.get(key)
	if n == nil {
		return def
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		i, err := strconv.ParseInt(n.Value, 0, 64)
		if err == nil && i >= 1 && i <= math.MaxInt32 {
			return int(i)
		}
	}
	f.d.fail(n, "%s: %s must be a whole number of at least 1, not %s", f.what, key, describe(n))
	return def
}

func (f *fields) number(key string, def float64) float64 {
	n := f.get(key)
	if n == nil {
		return def
	}
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
		if v, err := strconv.ParseFloat(n.Value, 64); err == nil && !math.IsInf(v, 0) && !math.IsNaN(v) {
			return v
		}
	}
	f.d.fail(n, "%s: %s must be a number, not %s", f.what, key, describe(n))
	return def
}

func (f *fields) strings(key string) []string {
	n := f.get(key)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		f.d.fail(n, "%s: %s must be a list of strings, not %s", f.what, key, describe(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, e := range n.Content {
		e = resolveAlias(e)
		if e.Kind != yaml.ScalarNode || e.Tag != "!!str" || e.Value == "" {
			f.d.fail(e, "%s: %s must hold non-empty strings, not %s", f.what, key, describe(e))
			continue
		}
		out = append(out, e.Value)
	}
	return out
}

// duration returns a positive duration, or def when the key is absent.
func (f *fields) duration(key string, def time.Duration) time.Duration {
	n := f.get(key)
	if n == nil {
		return def
	}
	return f.d.duration(n, f.what+": "+key, def)
}

func (d *decoder) duration(n *yaml.Node, what string, def time.Duration) time.Duration {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, "%s must be a duration such as 30s, 5m, 2h30m or 7d, not %s", what, describe(n))
		return def
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		d.fail(n, "%s: %v", what, err)
		return def
	}
	return v
}

var durationWords = strings.NewReplacer(
	" ", "", "minutes", "m", "minute", "m", "mins", "m", "min", "m",
	"seconds", "s", "second", "s", "secs", "s", "sec", "s",
	"hours", "h", "hour", "h", "hrs", "h", "hr", "h", "days", "d", "day", "d",
)

// ParseDuration parses a Go duration that may also use d for days (7d,
// 1d12h). Durations in the language are positive.
func ParseDuration(s string) (time.Duration, error) {
	v, err := parseDuration(s)
	if err == nil {
		return v, nil
	}
	hint := ""
	if fixed := durationWords.Replace(strings.ToLower(s)); fixed != s {
		if _, err := parseDuration(fixed); err == nil {
			hint = fmt.Sprintf(" (did you mean %q?)", fixed)
		}
	}
	return 0, fmt.Errorf("%s%s", err, hint)
}

func parseDuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("invalid duration %q: use a Go duration such as 90s, 5m, 2h30m, or d for days (7d)", s)
	var total time.Duration
	rest := s
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		days, err := strconv.ParseFloat(s[:i], 64)
		if err != nil || days < 0 || days > 100000 {
			return 0, bad
		}
		total = time.Duration(days * float64(24*time.Hour))
		rest = s[i+1:]
	}
	if rest != "" {
		v, err := time.ParseDuration(rest)
		if err != nil || (total > 0 && strings.HasPrefix(rest, "-")) {
			return 0, bad
		}
		total += v
	}
	if total <= 0 {
		return 0, fmt.Errorf("invalid duration %q: must be more than zero", s)
	}
	return total, nil
}

// toAny converts YAML into the JSON-shaped values plans hold: nil, bool,
// int, float64, string, []any, map[string]any.
func (d *decoder) toAny(n *yaml.Node, depth int) (any, bool) {
	n = resolveAlias(n)
	if n == nil {
		return nil, true
	}
	if depth > 100 {
		d.fail(n, "value nests too deeply")
		return nil, false
	}
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil, true
		case "!!bool":
			b, _ := strconv.ParseBool(strings.ToLower(n.Value))
			return b, true
		case "!!int":
			if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil && i >= math.MinInt && i <= math.MaxInt {
				return int(i), true
			}
			d.fail(n, "number %s does not fit in 64 bits", n.Value)
			return nil, false
		case "!!float":
			f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				d.fail(n, "number %s cannot be written in JSON", n.Value)
				return nil, false
			}
			return f, true
		}
		return n.Value, true
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		ok := true
		for _, e := range n.Content {
			v, eok := d.toAny(e, depth+1)
			ok = ok && eok
			out = append(out, v)
		}
		return out, ok
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		ok := true
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := resolveAlias(n.Content[i])
			if k.Kind != yaml.ScalarNode {
				d.fail(k, "map keys must be strings")
				ok = false
				continue
			}
			if _, dup := out[k.Value]; dup {
				d.fail(k, "key %q appears twice", k.Value)
				ok = false
				continue
			}
			v, vok := d.toAny(n.Content[i+1], depth+1)
			ok = ok && vok
			out[k.Value] = v
		}
		return out, ok
	}
	d.fail(n, "unsupported YAML node")
	return nil, false
}

// value reads an arbitrary value that may hold expressions.
func (d *decoder) value(n *yaml.Node) *Value {
	if n == nil {
		return nil
	}
	raw, _ := d.toAny(n, 0)
	return &Value{raw: raw, src: n}
}

// cond reads a condition: one ${{ }} expression, or true/false.
func (d *decoder) cond(n *yaml.Node, what string) *Expr {
	n = resolveAlias(n)
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		return &Expr{Src: strings.ToLower(n.Value), Pos: d.pos(n), wantBool: true}
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		segs, off, err := splitTemplate(n.Value)
		if err != nil {
			d.errs.add(scalarPos(d.file, n, n.Value, off), "%s: %v", what, err)
			return nil
		}
		if len(segs) == 1 && segs[0].isExpr {
			return &Expr{Src: segs[0].text, Pos: scalarPos(d.file, n, n.Value, segs[0].off), wantBool: true}
		}
	}
	d.fail(n, "%s must be one ${{ }} expression or true/false, not %s", what, describe(n))
	return nil
}

var (
	workflowNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	stepIDRe       = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)
	errorTypeRe    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.]*$`)
)
