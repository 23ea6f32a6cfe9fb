package dsl

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

func languageSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(JSONSchema()))
	if err != nil {
		t.Fatal(err)
	}
	sch, err := newSchemaCompiler(doc)
	if err != nil {
		t.Fatalf("the language schema does not compile: %v", err)
	}
	return sch
}

// yamlDocs returns the documents of a YAML file as JSON values.
func yamlDocs(t *testing.T, path string) []any {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var out []any
	for {
		var v any
		if dec.Decode(&v) != nil {
			return out
		}
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, doc)
	}
}

func TestJSONSchemaAcceptsValidFiles(t *testing.T) {
	sch := languageSchema(t)
	examples, _ := filepath.Glob("../examples/*.yaml")
	valid, _ := filepath.Glob("testdata/valid/*.yaml")
	for _, path := range append(examples, valid...) {
		t.Run(path, func(t *testing.T) {
			for _, doc := range yamlDocs(t, path) {
				if err := sch.Validate(doc); err != nil {
					t.Errorf("%v", err)
				}
			}
		})
	}
}

func TestJSONSchemaRejectsBadShapes(t *testing.T) {
	sch := languageSchema(t)
	for _, path := range []string{"testdata/invalid/unknown_key.yaml", "testdata/invalid/unknown_kind.yaml", "testdata/invalid/structure.yaml", "testdata/invalid/durations.yaml"} {
		for _, doc := range yamlDocs(t, path) {
			if sch.Validate(doc) == nil {
				t.Errorf("%s: the schema accepts it", path)
			}
		}
	}
}
