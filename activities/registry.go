// Package activities holds the function registry that `call` steps name, the
// built-in functions, and the glue that runs each function as a Temporal
// activity whose type is the function name.
package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/fnchain/orchestrator/dsl"
)

// Func is a function's implementation: it receives the evaluated `with` object
// (already checked against the input schema) and returns any JSON value.
type Func func(ctx context.Context, with json.RawMessage) (any, error)

// Function is one entry of the registry.
type Function struct {
	Name        string
	Description string
	Input       json.RawMessage // JSON Schema of `with`; nil accepts anything
	Output      json.RawMessage // JSON Schema of the result; nil = unknown
	Connection  string          // connection type that with.connection must name; "" = none
	Run         Func
}

// Connections is what the registry needs to know about configured
// connections; bindings.Pool implements it.
type Connections interface {
	Connection(name string) (typ string, ok bool)
	ConnectionNames() []string
}

// Registry maps function names to functions. Build one with NewRegistry (empty)
// or Builtin (with http.request, log and noop), add functions, then Register
// it with a Temporal worker.
type Registry struct {
	mu    sync.RWMutex
	funcs map[string]*entry
	conns Connections
}

type entry struct {
	fn     Function
	schema *jsonschema.Schema // compiled Input; nil when Input is nil
}

// namePattern keeps function names usable as Temporal activity types and as
// YAML scalars without quoting.
var namePattern = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_-]*(\.[a-zA-Z][a-zA-Z0-9_-]*)*$`)

var _ dsl.Registry = (*Registry)(nil)

// NewRegistry returns an empty registry with no connections.
func NewRegistry() *Registry {
	return &Registry{funcs: map[string]*entry{}}
}

// Add registers f. It fails when the name is taken or malformed, when Run is
// nil, or when the input schema does not compile.
func (r *Registry) Add(f Function) error {
	if !namePattern.MatchString(f.Name) {
		return fmt.Errorf("registering function %q: name must match %s", f.Name, namePattern)
	}
	if f.Run == nil {
		return fmt.Errorf("registering function %q: Run is nil", f.Name)
	}
	var schema *jsonschema.Schema
	if f.Input != nil {
		var err error
		if schema, err = compileSchema(f.Name, f.Input); err != nil {
			return fmt.Errorf("registering function %q: compiling input schema: %w", f.Name, err)
		}
	}
	if f.Output != nil && !json.Valid(f.Output) {
		return fmt.Errorf("registering function %q: output schema is not valid JSON", f.Name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.funcs[f.Name]; dup {
		return fmt.Errorf("registering function %q: a function with that name is already registered", f.Name)
	}
	r.funcs[f.Name] = &entry{fn: f, schema: schema}
	return nil
}

// MustAdd is Add for start-up code, where a duplicate is a programming error.
func (r *Registry) MustAdd(f Function) {
	if err := r.Add(f); err != nil {
		panic(err)
	}
}

// SetConnections tells the registry which connections are configured, so that
// the loader can check with.connection.
func (r *Registry) SetConnections(c Connections) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.conns = c
}

// Function returns the description of a function.
func (r *Registry) Function(name string) (dsl.FunctionSpec, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	e, ok := r.funcs[name]
	if !ok {
		return dsl.FunctionSpec{}, false
	}
	return dsl.FunctionSpec{Name: e.fn.Name, Description: e.fn.Description, Input: e.fn.Input, Output: e.fn.Output, Connection: e.fn.Connection}, true
}

// FunctionNames returns every registered name, sorted.
func (r *Registry) FunctionNames() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.funcs))
	for n := range r.funcs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Connection returns the type of a configured connection.
func (r *Registry) Connection(name string) (string, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.conns == nil {
		return "", false
	}
	return r.conns.Connection(name)
}

// ConnectionNames returns the configured connection names, sorted.
func (r *Registry) ConnectionNames() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.conns == nil {
		return nil
	}
	names := slices.Clone(r.conns.ConnectionNames())
	sort.Strings(names)
	return names
}

// Register registers every function with w as an activity whose type is the
// function name.
func (r *Registry) Register(w worker.ActivityRegistry) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, name := range sortedKeys(r.funcs) {
		w.RegisterActivityWithOptions(r.funcs[name].activity(), activity.RegisterOptions{Name: name})
	}
}

// Call runs a function the way its activity does (input checked against the
// schema first). It exists for callers that are already inside an activity.
func (r *Registry) Call(ctx context.Context, name string, with json.RawMessage) (any, error) {
	r.mu.RLock()
	e, ok := r.funcs[name]
	r.mu.RUnlock()
	if !ok {
		return nil, NewValidationError("unknown function %q", name)
	}
	return e.activity()(ctx, with)
}

// activity is the function Temporal calls: the single argument is the `with`
// object, kept raw so that bad input becomes a ValidationError rather than a
// data converter failure.
func (e *entry) activity() func(ctx context.Context, with json.RawMessage) (any, error) {
	return func(ctx context.Context, with json.RawMessage) (any, error) {
		if len(with) == 0 || string(with) == "null" {
			with = json.RawMessage("{}")
		}
		if e.schema != nil {
			if err := validate(e.schema, with); err != nil {
				return nil, err
			}
		}
		return e.fn.Run(ctx, with)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
