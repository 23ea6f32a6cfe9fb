package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// Option adjusts a function registered with Register.
type Option func(*Function)

// WithConnection marks a function as a binding whose with.connection must name
// a configured connection of type typ.
func WithConnection(typ string) Option {
	return func(f *Function) { f.Connection = typ }
}

// Register adds a typed Go function under name. The input and output schemas
// are reflected from In and Out, `with` is decoded into In (numbers in `any`
// fields arrive as json.Number so that large integers survive), and the Out
// value becomes the step's result.
func Register[In, Out any](r *Registry, name, description string, fn func(context.Context, In) (Out, error), opts ...Option) error {
	if fn == nil {
		return fmt.Errorf("registering function %q: fn is nil", name)
	}
	input, err := SchemaOf(reflect.TypeFor[In]())
	if err != nil {
		return fmt.Errorf("registering function %q: %w", name, err)
	}
	output, err := SchemaOf(reflect.TypeFor[Out]())
	if err != nil {
		return fmt.Errorf("registering function %q: %w", name, err)
	}
	f := Function{
		Name:        name,
		Description: description,
		Input:       input,
		Output:      output,
		Run: func(ctx context.Context, with json.RawMessage) (any, error) {
			in, err := Decode[In](with)
			if err != nil {
				return nil, err
			}
			return fn(ctx, in)
		},
	}
	for _, o := range opts {
		o(&f)
	}
	return r.Add(f)
}

// MustRegister is Register for start-up code: it panics on a duplicate name.
func MustRegister[In, Out any](r *Registry, name, description string, fn func(context.Context, In) (Out, error), opts ...Option) {
	if err := Register(r, name, description, fn, opts...); err != nil {
		panic(err)
	}
}

// Decode reads `with` into T, rejecting unknown arguments and reporting type
// mismatches as a ValidationError naming the argument.
func Decode[T any](with json.RawMessage) (T, error) {
	var v T
	dec := json.NewDecoder(bytes.NewReader(with))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return v, NewValidationError("argument %s: expected %s, got %s", argumentName(typeErr.Field), typeErr.Type, typeErr.Value)
		}
		return v, NewValidationError("with: %v", err)
	}
	return v, nil
}

func argumentName(field string) string {
	if field == "" {
		return "with"
	}
	return `"` + field + `"`
}
