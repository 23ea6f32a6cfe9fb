package dsl

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Error is one problem in a workflow file.
type Error struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	Message string `json:"message"`
	// Snippet shows an expression with a caret under the problem, as lines
	// starting with " | "; empty for problems outside expressions.
	Snippet string `json:"snippet,omitempty"`
}

// Error formats the problem as `file:line:col: message`, followed by the
// snippet lines when there are any.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
	}
	b.WriteString(": ")
	b.WriteString(e.Message)
	if e.Snippet != "" {
		b.WriteString("\n")
		b.WriteString(e.Snippet)
	}
	return b.String()
}

// Errors is every problem found, sorted by file and position. Load, LoadFile
// and LoadDir return it (as error) when anything is wrong.
type Errors []*Error

// Error prints one problem per line (snippets add lines of their own).
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (es Errors) sort() {
	slices.SortStableFunc(es, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
}

// errList collects problems while loading.
type errList struct {
	errs Errors
}

func (l *errList) add(p Pos, format string, args ...any) {
	l.errs = append(l.errs, &Error{File: p.File, Line: p.Line, Col: p.Col, Message: fmt.Sprintf(format, args...)})
}

func (l *errList) addSnippet(p Pos, msg, snippet string) {
	l.errs = append(l.errs, &Error{File: p.File, Line: p.Line, Col: p.Col, Message: msg, Snippet: snippet})
}

// err returns the sorted problems, or nil when there are none.
func (l *errList) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	l.errs.sort()
	return l.errs
}
