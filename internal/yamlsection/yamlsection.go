// Package yamlsection decodes one section of orchestrator.yaml that a
// component owns (kept by the config package as a yaml.Node), strictly: an
// unknown key is an error naming its line and column and the keys that
// would have been accepted, so a typo never falls back to a default.
package yamlsection

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Decode decodes node into out (a pointer to a struct or map). section names
// the node in messages ("metering"). A nil or empty node leaves out as is.
func Decode(node *yaml.Node, section string, out any) error {
	if node == nil || node.IsZero() {
		return nil
	}
	if node.Kind == yaml.DocumentNode && len(node.Content) == 1 {
		node = node.Content[0]
	}
	var errs []error
	check(node, reflect.TypeOf(out).Elem(), section, &errs)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := node.Decode(out); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			return fmt.Errorf("%s: %s", section, strings.Join(trim(te.Errors), "; "))
		}
		return fmt.Errorf("%s: %s", section, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return nil
}

// Parse decodes YAML text, for sections given in an environment variable.
func Parse(text, section string, out any) error {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return fmt.Errorf("%s: %s", section, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return Decode(&doc, section, out)
}

// check walks node beside t and reports every mapping key that t has no
// field for.
func check(node *yaml.Node, t reflect.Type, path string, errs *[]error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if node.Kind != yaml.MappingNode {
		return
	}
	switch t.Kind() {
	case reflect.Map:
		for i := 0; i+1 < len(node.Content); i += 2 {
			check(node.Content[i+1], t.Elem(), path+"."+node.Content[i].Value, errs)
		}
	case reflect.Struct:
		fields := map[string]reflect.Type{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" || name == "-" || !f.IsExported() {
				continue
			}
			fields[name] = f.Type
		}
		for i := 0; i+1 < len(node.Content); i += 2 {
			key := node.Content[i]
			ft, ok := fields[key.Value]
			if !ok {
				*errs = append(*errs, fmt.Errorf("line %d column %d: unknown key %q in %s: use one of %s", key.Line, key.Column, key.Value, path, strings.Join(sortedKeys(fields), ", ")))
				continue
			}
			check(node.Content[i+1], ft, path+"."+key.Value, errs)
		}
	}
}

func sortedKeys(m map[string]reflect.Type) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func trim(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimPrefix(l, "yaml: ")
	}
	return out
}
