package activities

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Describe writes every function with its description and schemas, as
// `orchestrator functions` prints them.
func (r *Registry) Describe(w io.Writer) error {
	var b bytes.Buffer
	for i, name := range r.FunctionNames() {
		spec, _ := r.Function(name)
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s\n  %s\n", spec.Name, spec.Description)
		if spec.Connection != "" {
			fmt.Fprintf(&b, "  connection: %s\n", spec.Connection)
		}
		writeIndentedSchema(&b, "input", spec.Input)
		writeIndentedSchema(&b, "output", spec.Output)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func writeIndentedSchema(b *bytes.Buffer, label string, schema json.RawMessage) {
	if schema == nil {
		fmt.Fprintf(b, "  %s: any\n", label)
		return
	}
	var out bytes.Buffer
	if json.Indent(&out, schema, "    ", "  ") != nil {
		out.Write(schema)
	}
	fmt.Fprintf(b, "  %s: %s\n", label, out.String())
}

// Markdown renders the registry as the reference page docs/functions.md.
func (r *Registry) Markdown() []byte {
	var b bytes.Buffer
	b.WriteString("# Functions\n\n")
	b.WriteString("<!-- Generated from the function registry; do not edit. Regenerate with `go test ./bindings -run TestFunctionsDoc -update`. -->\n\n")
	b.WriteString("A `call` step names one of these functions; `with` holds its arguments. ")
	b.WriteString("Binding functions take `connection`, the name of a connection of the given type in `orchestrator.yaml`.\n\n")
	for _, name := range r.FunctionNames() {
		fmt.Fprintf(&b, "- [`%s`](#%s)\n", name, strings.ReplaceAll(name, ".", ""))
	}
	for _, name := range r.FunctionNames() {
		spec, _ := r.Function(name)
		fmt.Fprintf(&b, "\n## %s\n\n%s\n", spec.Name, spec.Description)
		if spec.Connection != "" {
			fmt.Fprintf(&b, "\nConnection type: `%s`.\n", spec.Connection)
		}
		writeSchemaSection(&b, "Arguments (`with`)", spec.Input)
		writeSchemaSection(&b, "Result", spec.Output)
	}
	return b.Bytes()
}

type schemaDoc struct {
	Type        any                  `json:"type"`
	Description string               `json:"description"`
	Properties  map[string]schemaDoc `json:"properties"`
	Required    []string             `json:"required"`
	Enum        []any                `json:"enum"`
	Default     any                  `json:"default"`
	Ref         string               `json:"$ref"`
	Items       *schemaDoc           `json:"items"`
}

func writeSchemaSection(b *bytes.Buffer, title string, schema json.RawMessage) {
	fmt.Fprintf(b, "\n### %s\n\n", title)
	var s schemaDoc
	if schema == nil || json.Unmarshal(schema, &s) != nil || len(s.Properties) == 0 {
		fmt.Fprintf(b, "Any JSON value.\n")
		return
	}
	b.WriteString("| name | type | required | description |\n| --- | --- | --- | --- |\n")
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := s.Properties[n]
		parts := []string{}
		if p.Description != "" {
			parts = append(parts, strings.TrimSuffix(p.Description, ".")+".")
		}
		if len(p.Enum) > 0 {
			parts = append(parts, fmt.Sprintf("One of %s.", joinJSON(p.Enum)))
		}
		if p.Default != nil {
			parts = append(parts, fmt.Sprintf("Default %s.", joinJSON([]any{p.Default})))
		}
		desc := strings.Join(parts, " ")
		req := ""
		for _, r := range s.Required {
			if r == n {
				req = "yes"
			}
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", n, typeName(p), req, strings.TrimSpace(strings.ReplaceAll(desc, "|", "\\|")))
	}
}

func typeName(s schemaDoc) string {
	if s.Ref != "" {
		return "object"
	}
	var t string
	switch v := s.Type.(type) {
	case string:
		t = v
	case []any:
		var parts []string
		for _, p := range v {
			if p != "null" {
				parts = append(parts, fmt.Sprint(p))
			}
		}
		t = strings.Join(parts, " or ")
	default:
		return "any"
	}
	if t == "array" && s.Items != nil {
		return "array of " + typeName(*s.Items)
	}
	return t
}

func joinJSON(vs []any) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		j, _ := json.Marshal(v)
		parts[i] = "`" + string(j) + "`"
	}
	return strings.Join(parts, ", ")
}
