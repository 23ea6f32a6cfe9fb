package dsl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/fnchain/orchestrator/internal/schemaerr"
)

// Load parses, validates and compiles the workflows of one file (one per
// YAML document). Function and connection names are checked against reg;
// a nil reg skips those checks. On any problem it returns Errors holding
// every problem found in the file.
func Load(filename string, src []byte, reg Registry) ([]*Workflow, error) {
	errs := &errList{}
	wfs := load(filename, src, reg, errs)
	if err := errs.err(); err != nil {
		return nil, err
	}
	return wfs, nil
}

// LoadFile loads the workflows of the file at path.
func LoadFile(path string, reg Registry) ([]*Workflow, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading workflow file: %w", err)
	}
	return Load(path, src, reg)
}

// LoadDir loads every *.yaml and *.yml file directly in dir. Problems of all
// files are returned together, as are workflow names defined twice.
func LoadDir(dir string, reg Registry) ([]*Workflow, error) {
	files, err := workflowFiles(dir)
	if err != nil {
		return nil, err
	}
	errs := &errList{}
	var out []*Workflow
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading workflow file: %w", err)
		}
		out = append(out, load(path, src, reg, errs)...)
	}
	checkUniqueNames(out, errs)
	if err := errs.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func workflowFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading workflow directory: %w", err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && isWorkflowFile(e.Name()) {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	return files, nil
}

func isWorkflowFile(name string) bool {
	ext := filepath.Ext(name)
	return (ext == ".yaml" || ext == ".yml") && !strings.HasPrefix(name, ".")
}

func checkUniqueNames(wfs []*Workflow, errs *errList) {
	seen := map[string]*Workflow{}
	for _, w := range wfs {
		if prev, dup := seen[w.Name]; dup {
			errs.add(w.namePos, "workflow %q is also defined at %s", w.Name, prev.namePos)
			continue
		}
		seen[w.Name] = w
	}
}

var yamlLineRe = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func load(filename string, src []byte, reg Registry, errs *errList) []*Workflow {
	d := &decoder{file: filename, errs: errs}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var out []*Workflow
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// yaml.v3 names no line when the input ends early: point at
			// the end.
			msg, line := err.Error(), 1+bytes.Count(bytes.TrimRight(src, "\n"), []byte("\n"))
			if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
				line, _ = strconv.Atoi(m[1])
				msg = m[2]
			}
			errs.add(Pos{File: filename, Line: line, Col: 1}, "invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
			return nil
		}
		if len(doc.Content) == 0 {
			continue
		}
		if w := d.workflow(doc.Content[0], reg); w != nil {
			out = append(out, w)
		}
	}
	if len(out) == 0 && len(errs.errs) == 0 {
		errs.add(Pos{File: filename, Line: 1, Col: 1}, "no workflow in file: a workflow needs at least name and steps")
	}
	checkUniqueNames(out, errs)
	return out
}

func (d *decoder) workflow(root *yaml.Node, reg Registry) *Workflow {
	before := len(d.errs.errs)
	f := d.mapping(root, "workflow", workflowSpec.fields)
	if f == nil {
		return nil
	}
	w := &Workflow{File: d.file, Name: f.str("name"), namePos: d.pos(f.get("name"))}
	if f.has("name") && !workflowNameRe.MatchString(w.Name) {
		d.fail(f.get("name"), "workflow name %q must match [a-z0-9][a-z0-9._-]* (lowercase letters, digits, . _ -)", w.Name)
	}
	w.Description = f.str("description")
	w.TaskQueue = f.str("taskQueue")
	w.Timeout = f.duration("timeout", 0)
	if n := f.get("input"); n != nil {
		w.Input = d.inputSchema(n)
	}
	w.Defaults = d.defaults(f.get("defaults"))
	p := &stepParser{d: d, reg: reg, defaults: w.Defaults, ids: map[string]bool{}}
	if f.has("steps") {
		w.Steps = p.steps(f.get("steps"), "steps")
	}
	if f.has("triggers") {
		w.Triggers = d.triggers(f.get("triggers"), reg)
	}
	if f.has("search") {
		w.Search = d.search(f.get("search"))
	}
	w.Output = d.value(f.get("output"))
	compileWorkflow(w, d.errs)
	if len(d.errs.errs) > before {
		return nil
	}
	w.Hash = hashPlan(w)
	return w
}

// inputSchema compiles the run input's JSON Schema so that mistakes in it show
// at load, and returns it as JSON.
func (d *decoder) inputSchema(n *yaml.Node) json.RawMessage {
	raw, ok := d.toAny(n, 0)
	if !ok {
		return nil
	}
	if _, isMap := raw.(map[string]any); !isMap {
		if _, isBool := raw.(bool); !isBool {
			d.fail(n, "input must be a JSON Schema (a mapping such as {type: object}), not %s", describe(n))
			return nil
		}
	}
	data, err := json.Marshal(raw)
	if err != nil {
		d.fail(n, "input: %v", err)
		return nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err == nil {
		_, err = newSchemaCompiler(doc)
	}
	if err != nil {
		d.schemaError(n, err)
		return nil
	}
	return data
}

func (d *decoder) schemaError(n *yaml.Node, err error) {
	var sve *jsonschema.SchemaValidationError
	var ve *jsonschema.ValidationError
	if errors.As(err, &sve) && errors.As(sve.Err, &ve) {
		for _, leaf := range schemaerr.Leaves(ve) {
			at := nodeAt(n, leaf.InstanceLocation)
			if at == nil {
				at = n
			}
			d.fail(at, "input: invalid JSON Schema at %s: %s", "input"+dotted(leaf.InstanceLocation), schemaerr.Message(leaf))
		}
		return
	}
	d.fail(n, "input: invalid JSON Schema: %v", err)
}

func (d *decoder) search(n *yaml.Node) []*SearchAttribute {
	if n.Kind != yaml.MappingNode {
		d.fail(n, "search must be a mapping of attribute names to values, not %s", describe(n))
		return nil
	}
	var out []*SearchAttribute
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolveAlias(n.Content[i+1])
		if !searchNameRe.MatchString(k.Value) {
			d.fail(k, "search attribute name %q must match [A-Za-z][A-Za-z0-9_]*", k.Value)
			continue
		}
		a := &SearchAttribute{Name: k.Value}
		if v.Kind == yaml.MappingNode {
			f := d.mapping(v, fmt.Sprintf("search attribute %s", k.Value), searchAttrSpec.fields)
			if f == nil {
				continue
			}
			a.Type = f.str("type")
			if f.has("type") && !slices.Contains(searchTypes, a.Type) {
				d.fail(f.get("type"), "search attribute %s: unknown type %q%s (one of %s)", k.Value, a.Type, didYouMean(a.Type, searchTypes), strings.Join(searchTypes, ", "))
			}
			a.Value = d.value(f.get("value"))
			if a.Value == nil {
				continue
			}
		} else {
			a.Value = d.value(v)
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b *SearchAttribute) int { return strings.Compare(a.Name, b.Name) })
	return out
}

var searchNameRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

// literalSearchType infers a search attribute's type from a literal value;
// expressions get theirs from the compiled type (see compileWorkflow).
func literalSearchType(v any) string {
	switch v.(type) {
	case bool:
		return "bool"
	case int:
		return "int"
	case float64:
		return "double"
	}
	return "keyword"
}
