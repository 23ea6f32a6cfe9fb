// Package secret resolves secret references (env:NAME, file:/path) in the
// process that needs the value, so that configuration, run inputs and
// histories only ever hold the reference.
package secret

import (
	"fmt"
	"os"
	"strings"
)

// IsRef reports whether s is a reference rather than a literal value.
func IsRef(s string) bool {
	return strings.HasPrefix(s, "env:") || strings.HasPrefix(s, "file:")
}

// Resolve returns the value a reference points at, or s itself when it is not
// a reference. Errors name the reference, never a value.
func Resolve(s string) (string, error) {
	switch {
	case strings.HasPrefix(s, "env:"):
		name := strings.TrimPrefix(s, "env:")
		v, ok := os.LookupEnv(name)
		if !ok {
			return "", fmt.Errorf("secret %s: environment variable %s is not set", s, name)
		}
		return v, nil
	case strings.HasPrefix(s, "file:"):
		path := strings.TrimPrefix(s, "file:")
		data, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("secret %s: %w", s, err)
		}
		// Files written by editors and `echo` end in a newline that is never
		// part of a key.
		return strings.TrimRight(string(data), "\r\n"), nil
	}
	return s, nil
}
