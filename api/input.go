package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/fnchain/orchestrator/dsl"
	"github.com/fnchain/orchestrator/internal/schemaerr"
)

// decodeInput reads a run input: an empty body is a null input.
func decodeInput(body []byte) (any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil {
		if _, extra := dec.Token(); !errors.Is(extra, io.EOF) {
			err = fmt.Errorf("more data after the JSON value at offset %d", dec.InputOffset())
		}
	}
	if err != nil {
		return nil, huma.Error400BadRequest("the body is not JSON", &huma.ErrorDetail{
			Location: "body", Message: fmt.Sprintf("invalid JSON: %v: send the run input as one JSON value", err),
		})
	}
	return v, nil
}

// inputSchemas compiles each definition's input schema once, by hash.
type inputSchemas struct {
	mu       sync.Mutex
	compiled map[string]*jsonschema.Schema
}

func newInputSchemas() *inputSchemas {
	return &inputSchemas{compiled: map[string]*jsonschema.Schema{}}
}

// validate checks input against the plan's input schema and reports every
// failing field as a 422 located at body.<field>.
func (s *inputSchemas) validate(plan *dsl.Workflow, input any) error {
	if len(plan.Input) == 0 {
		return nil
	}
	sch, err := s.schema(plan)
	if err != nil {
		return fmt.Errorf("compiling the input schema of %s: %w", plan.Name, err)
	}
	var verr *jsonschema.ValidationError
	if !errors.As(sch.Validate(input), &verr) {
		return nil
	}
	var details []error
	for _, leaf := range schemaerr.Leaves(verr) {
		details = append(details, leafDetails(leaf, input)...)
	}
	return huma.Error422UnprocessableEntity(fmt.Sprintf("the input does not match the input schema of %s", plan.Name), details...)
}

func (s *inputSchemas) schema(plan *dsl.Workflow) (*jsonschema.Schema, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sch, ok := s.compiled[plan.Hash]; ok {
		return sch, nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(plan.Input))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(localOnly{})
	if err := c.AddResource("input.json", doc); err != nil {
		return nil, err
	}
	sch, err := c.Compile("input.json")
	if err != nil {
		return nil, err
	}
	s.compiled[plan.Hash] = sch
	return sch, nil
}

// localOnly refuses references out of the schema: validating an input must
// never reach the network or the file system.
type localOnly struct{}

func (localOnly) Load(url string) (any, error) {
	return nil, fmt.Errorf("$ref %s: only references inside the schema are allowed", url)
}

// leafDetails names the field that fails; a missing or unexpected property
// is located at the property itself, not at the object holding it.
func leafDetails(leaf *jsonschema.ValidationError, input any) []error {
	msg := schemaerr.Message(leaf)
	var props []string
	switch k := leaf.ErrorKind.(type) {
	case *kind.Required:
		props = k.Missing
	case *kind.AdditionalProperties:
		props = k.Properties
	}
	if len(props) == 0 {
		return []error{&huma.ErrorDetail{Location: location(leaf.InstanceLocation), Message: msg, Value: valueAt(input, leaf.InstanceLocation)}}
	}
	out := make([]error, len(props))
	for i, p := range props {
		out[i] = &huma.ErrorDetail{Location: location(append(leaf.InstanceLocation[:len(leaf.InstanceLocation):len(leaf.InstanceLocation)], p)), Message: msg}
	}
	return out
}

func location(tokens []string) string {
	var b strings.Builder
	b.WriteString("body")
	for _, t := range tokens {
		b.WriteString(".")
		b.WriteString(t)
	}
	return b.String()
}

func valueAt(v any, tokens []string) any {
	for _, t := range tokens {
		switch c := v.(type) {
		case map[string]any:
			v = c[t]
		case []any:
			var i int
			if _, err := fmt.Sscan(t, &i); err != nil || i < 0 || i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}
