package dsl

import (
	"encoding/json"
	"maps"
)

// JSONSchema returns a JSON Schema (2020-12) of the workflow language for
// editors: the VS Code YAML extension uses it for completion, hover docs
// (the descriptions) and checks. It is built from the same key tables the
// loader checks files against. It checks shape only: expressions, names and
// registry lookups need `orchestrator validate`.
func JSONSchema() []byte {
	defs := map[string]any{
		"defaults":        objectSchema(defaultsSpec.desc, defaultsSpec.fields),
		"retry":           objectSchema(retrySpec.desc, retrySpec.fields),
		"loop":            objectSchema(loopSpec.desc, loopSpec.fields),
		"wait":            objectSchema(waitSpec.desc, waitSpec.fields),
		"fail":            objectSchema(failSpec.desc, failSpec.fields),
		"sleepUntil":      objectSchema(sleepUntilSpec.desc, sleepUntilSpec.fields),
		"as":              objectSchema(asSpec.desc, asSpec.fields),
		"case":            objectSchema(caseSpec.desc, caseSpec.fields),
		"otherwise":       objectSchema(otherwiseSpec.desc, otherwiseSpec.fields),
		"catch":           objectSchema(catchSpec.desc, catchSpec.fields),
		"searchAttribute": objectSchema(searchAttrSpec.desc, searchAttrSpec.fields),
	}
	var kinds []any
	for _, k := range kindSpecs {
		kinds = append(kinds, objectSchema(k.desc, append(append([]fieldSpec{}, k.obj.fields[0]), append(stepCommonFields, k.obj.fields[1:]...)...)))
	}
	defs["step"] = map[string]any{"description": "A step: a mapping with exactly one kind key.", "anyOf": kinds}
	var triggers []any
	for _, t := range triggerSpecs {
		name := "trigger_" + string(t.typ)
		defs[name] = objectSchema(t.desc, t.obj.fields)
		fields := append(append([]fieldSpec{}, fieldSpec{name: string(t.typ), typ: "#" + name, required: true, desc: t.desc}), triggerCommonFields...)
		triggers = append(triggers, objectSchema(t.desc, fields))
	}
	defs["trigger"] = map[string]any{"description": "What starts runs: a mapping with exactly one trigger type key.", "anyOf": triggers}
	root := objectSchema(workflowSpec.desc, workflowSpec.fields)
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = "https://github.com/fnchain/orchestrator/dsl/workflow.schema.json"
	root["title"] = "fnchain workflow"
	root["$defs"] = defs
	data, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		panic("dsl: marshalling the language schema: " + err.Error())
	}
	return data
}

func objectSchema(desc string, fields []fieldSpec) map[string]any {
	props := map[string]any{}
	var required []string
	for _, f := range fields {
		s := maps.Clone(typeSchema(f))
		s["description"] = f.desc
		props[f.name] = s
		if f.required {
			required = append(required, f.name)
		}
	}
	out := map[string]any{"type": "object", "description": desc, "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

const (
	idPattern       = `^[a-z][a-zA-Z0-9_]*$`
	durationPattern = `^([0-9]+(\.[0-9]+)?d)?([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))*$`
)

func ref(name string) map[string]any { return map[string]any{"$ref": "#/$defs/" + name} }

func typeSchema(f fieldSpec) map[string]any {
	if f.typ[0] == '#' {
		return ref(f.typ[1:])
	}
	steps := map[string]any{"type": "array", "minItems": 1, "items": ref("step")}
	switch f.typ {
	case "string":
		return map[string]any{"type": "string"}
	case "name":
		return map[string]any{"type": "string", "pattern": workflowNameRe.String()}
	case "id":
		return map[string]any{"type": "string", "pattern": idPattern}
	case "duration":
		return map[string]any{"type": "string", "pattern": durationPattern}
	case "posint":
		return map[string]any{"type": "integer", "minimum": 1}
	case "backoff":
		return map[string]any{"type": "number", "minimum": 1}
	case "bool":
		return map[string]any{"type": "boolean"}
	case "cond":
		return map[string]any{"type": []string{"boolean", "string"}}
	case "schema":
		return map[string]any{"type": []string{"object", "boolean"}}
	case "steps":
		return steps
	case "strings":
		return map[string]any{"type": "array", "items": map[string]any{"type": "string", "minLength": 1}}
	case "enum":
		return map[string]any{"enum": f.enum}
	case "errtype":
		return map[string]any{"type": "string", "pattern": errorTypeRe.String()}
	case "path":
		return map[string]any{"type": "string", "pattern": "^/"}
	case "secret":
		return map[string]any{"type": "string", "pattern": "^(env:|file:)"}
	case "operations":
		return map[string]any{"type": "array", "items": map[string]any{"enum": pgOperations}}
	case "set":
		return map[string]any{"type": "object", "minProperties": 1, "propertyNames": map[string]any{"pattern": idPattern}}
	case "switch":
		return map[string]any{"type": "array", "minItems": 1, "items": map[string]any{"anyOf": []any{ref("case"), ref("otherwise")}}}
	case "parallel":
		return map[string]any{"type": "object", "minProperties": 1, "propertyNames": map[string]any{"pattern": idPattern}, "additionalProperties": steps}
	case "as":
		return map[string]any{"anyOf": []any{map[string]any{"type": "string", "pattern": idPattern}, ref("as")}}
	case "sleep":
		return map[string]any{"anyOf": []any{map[string]any{"type": "string", "pattern": durationPattern}, ref("sleepUntil")}}
	case "failval":
		return map[string]any{"anyOf": []any{map[string]any{"type": "string"}, ref("fail")}}
	case "catch":
		return map[string]any{"type": "array", "minItems": 1, "items": ref("catch")}
	case "triggers":
		return map[string]any{"type": "array", "items": ref("trigger")}
	case "search":
		return map[string]any{"type": "object", "additionalProperties": map[string]any{"anyOf": []any{ref("searchAttribute"), map[string]any{"type": []string{"string", "number", "boolean"}}}}}
	}
	return map[string]any{}
}
