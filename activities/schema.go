package activities

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"

	"github.com/danielgtaylor/huma/v2"
)

const defsPrefix = "#/$defs/"

var refPattern = regexp.MustCompile(`"\$ref":"#/\$defs/([^"]+)"`)

// SchemaOf reflects a self-contained JSON Schema from a Go type, using huma's
// rules (json tags; `doc`, `enum`, `minimum`... tags; fields without
// omitempty are required). Nested named structs land in $defs.
func SchemaOf(t reflect.Type) (json.RawMessage, error) {
	reg := huma.NewMapRegistry(defsPrefix, huma.DefaultSchemaNamer)
	root, err := json.Marshal(reg.Schema(t, false, ""))
	if err != nil {
		return nil, fmt.Errorf("marshalling schema of %s: %w", t, err)
	}
	defs := map[string]json.RawMessage{}
	pending := []string{string(root)}
	for len(pending) > 0 {
		text := pending[0]
		pending = pending[1:]
		for _, m := range refPattern.FindAllStringSubmatch(text, -1) {
			name := m[1]
			if _, done := defs[name]; done {
				continue
			}
			s := reg.Map()[name]
			if s == nil {
				return nil, fmt.Errorf("schema of %s: unresolved reference %q", t, name)
			}
			b, err := json.Marshal(s)
			if err != nil {
				return nil, fmt.Errorf("marshalling schema of %s: %w", name, err)
			}
			defs[name] = b
			pending = append(pending, string(b))
		}
	}
	if len(defs) == 0 {
		return root, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(root, &obj); err != nil {
		return nil, fmt.Errorf("schema of %s: %w", t, err)
	}
	d, err := json.Marshal(defs)
	if err != nil {
		return nil, fmt.Errorf("marshalling $defs of %s: %w", t, err)
	}
	obj["$defs"] = d
	return json.Marshal(obj)
}
