package dsl

import (
	"errors"
	"strings"

	"gopkg.in/yaml.v3"
)

const (
	openDelim  = "${{"
	closeDelim = "}}"
)

// segment is a piece of a string value: literal text, or an expression's
// source with its byte offset in the string.
type segment struct {
	text   string
	isExpr bool
	off    int
}

var errUnclosed = errors.New("unclosed ${{: add }} after the expression")

// splitTemplate cuts s into literal text and expressions. The closing `}}`
// is the first one outside string literals and outside braces opened in the
// expression, so map literals such as {a: {b: 1}} work. On error the offset
// is where the problem starts.
func splitTemplate(s string) ([]segment, int, error) {
	var segs []segment
	rest, base := s, 0
	for {
		i := strings.Index(rest, openDelim)
		if i < 0 {
			if rest != "" {
				segs = append(segs, segment{text: rest, off: base})
			}
			return segs, 0, nil
		}
		if i > 0 {
			segs = append(segs, segment{text: rest[:i], off: base})
		}
		start := i + len(openDelim)
		end := closeIndex(rest[start:])
		if end < 0 {
			return nil, base + i, errUnclosed
		}
		src := rest[start : start+end]
		trimmed := strings.TrimLeft(src, " \t\n")
		lead := len(src) - len(trimmed)
		trimmed = strings.TrimRight(trimmed, " \t\n")
		if trimmed == "" {
			return nil, base + i, errors.New("empty ${{ }}: write an expression inside")
		}
		segs = append(segs, segment{text: trimmed, isExpr: true, off: base + start + lead})
		next := start + end + len(closeDelim)
		rest, base = rest[next:], base+next
	}
}

func closeIndex(s string) int {
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0:
			if ch == '\\' && quote != '`' {
				i++
			} else if ch == quote {
				quote = 0
			}
		case ch == '"' || ch == '\'' || ch == '`':
			quote = ch
		case ch == '{':
			depth++
		case ch == '}':
			if depth == 0 && strings.HasPrefix(s[i:], closeDelim) {
				return i
			}
			if depth > 0 {
				depth--
			}
		}
	}
	return -1
}

// scalarPos is the file position of byte offset off inside the scalar n.
// Quoted and block scalars are mapped as well as their layout allows:
// escapes and folding can shift the column.
func scalarPos(file string, n *yaml.Node, s string, off int) Pos {
	if n == nil {
		return Pos{File: file}
	}
	p := Pos{File: file, Line: n.Line, Col: n.Column}
	before := s[:min(off, len(s))]
	nl := strings.Count(before, "\n")
	lineStart := strings.LastIndexByte(before, '\n') + 1
	col := len([]rune(before[lineStart:]))
	switch n.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		p.Line += 1 + nl
		p.Col = n.Column + 2 + col
	case yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		p.Line += nl
		if nl == 0 {
			p.Col += 1 + col
		} else {
			p.Col = col + 1
		}
	default:
		p.Line += nl
		if nl == 0 {
			p.Col += col
		} else {
			p.Col = col + 1
		}
	}
	return p
}
