// Package schemaerr turns JSON Schema validation errors into the problems a
// user fixes: the leaves of the error tree, each with its English message.
// The workflow loader, the function registry and the API report schema
// violations the same way through it.
package schemaerr

import (
	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

var printer = message.NewPrinter(language.English)

// Leaves returns the violations at the bottom of e's tree of causes: the
// ones that name a single value and what is wrong with it.
func Leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, Leaves(c)...)
	}
	return out
}

// Message is the English text of one violation.
func Message(e *jsonschema.ValidationError) string {
	return e.ErrorKind.LocalizedString(printer)
}
