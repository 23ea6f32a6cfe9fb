package activities

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/fnchain/orchestrator/internal/schemaerr"
)

func compileSchema(name string, schema json.RawMessage) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("parsing schema: %w", err)
	}
	url := "fnchain:///functions/" + name + "/input.json"
	c := jsonschema.NewCompiler()
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("adding schema: %w", err)
	}
	return c.Compile(url)
}

// validate checks `with` against the input schema and turns every violation
// into one ValidationError whose message names each offending argument.
func validate(schema *jsonschema.Schema, with json.RawMessage) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(with))
	if err != nil {
		return NewValidationError("with: not valid JSON: %v", err)
	}
	err = schema.Validate(doc)
	var verr *jsonschema.ValidationError
	if err == nil {
		return nil
	}
	if !errors.As(err, &verr) {
		return NewValidationError("with: %v", err)
	}
	var problems []string
	for _, leaf := range schemaerr.Leaves(verr) {
		if len(leaf.InstanceLocation) == 0 {
			problems = append(problems, "with: "+schemaerr.Message(leaf))
		} else {
			problems = append(problems, fmt.Sprintf("argument %q: %s", strings.Join(leaf.InstanceLocation, "."), schemaerr.Message(leaf)))
		}
	}
	sort.Strings(problems)
	return NewValidationError("%s", strings.Join(problems, "; "))
}
